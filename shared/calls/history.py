"""A call's message in the chat's history: stored when the call starts ringing, its
``call`` part updated as the call goes (answered, ended with its duration, or missed,
declined, cancelled, busy), and announced like any message (``message:new``, then
``message:edited``), so clients show calls in the conversation with no extra code.

The message is the inviter's, with an empty body, keyed by ``clientMessageId``
``call-{callId}`` (so its table key is known from the call alone: updates cost one
UpdateItem, no lookup).
"""

from __future__ import annotations

from typing import Any

from shared import clock
from shared.delivery import fanout
from shared.protocol import Event
from shared.state.calls import Call
from shared.store import dynamodb, messages
from shared.store.models import CallRecord, Message, dedup_key


def client_message_id(call_id: str) -> str:
    return f"call-{call_id}"


def message_key(inviter: str, call_id: str) -> str:
    return dedup_key(inviter, client_message_id(call_id))


def start(call: Call, status: str = "ringing") -> dict[str, Any]:
    """Store the call's message (status ``ringing``, or ``busy`` for a call that could
    ring nobody); its wire shape. One conditional Put."""
    record = CallRecord.of(call.id, call.media, status)
    if status != "ringing":
        record.ended_at = clock.now_ms()
    message, _ = messages.store(
        call.chat_id, call.inviter, "", client_message_id(call.id), call=record
    )
    return messages.to_wire(message)


def settle(call: Call, status: str, endpoint: str) -> None:
    """Record how the call stands (``active``, ``ended``, ``missed``, ...) and announce the
    updated message to the chat (``message:edited``). One UpdateItem, one room Query and
    its posts. A call message deleted meanwhile stays deleted."""
    values: dict[str, Any] = {":status": {"S": status}}
    update = "SET #call.#status = :status"
    if status == "active" and call.answered_at:
        update += ", #call.startedAt = :started"
        values[":started"] = {"N": str(call.answered_at)}
    elif status != "active":
        update += ", #call.endedAt = :ended"
        values[":ended"] = {"N": str(clock.now_ms())}
    _update(call.chat_id, call.message_key, update, "attribute_exists(#call)", values, endpoint)


def abandon(chat_id: str, message_key: str, endpoint: str) -> bool:
    """A call whose record is gone (no function settled it: every peer's device and
    function went away) but whose message still says ``active``: it ended, when is not
    known (``endedAt`` stays null, so no duration is shown). Whether it was changed."""
    return _update(
        chat_id,
        message_key,
        "SET #call.#status = :status",
        "#call.#status = :active",
        {":status": {"S": "ended"}, ":active": {"S": "active"}},
        endpoint,
    )


def _update(
    chat_id: str,
    message_key: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    endpoint: str,
) -> bool:
    try:
        answer = dynamodb.conditional(
            "update_item",
            TableName=Message.Meta.table_name,
            Key={"chatId": {"S": chat_id}, "dedupKey": {"S": message_key}},
            UpdateExpression=update + " ADD version :one",
            ConditionExpression=f"{condition} AND attribute_not_exists(deletedAt)",
            ExpressionAttributeNames={"#call": "call", "#status": "status"},
            ExpressionAttributeValues={**values, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
    except dynamodb.ConditionFailed:
        return False
    wire = messages.to_wire(Message.from_raw_data(answer["Attributes"]))
    fanout.broadcast_to_chat(chat_id, Event.MESSAGE_EDITED, wire, endpoint=endpoint)
    return True
