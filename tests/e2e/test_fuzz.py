"""Property-based fuzzing (hypothesis) of the event function and the REST API, through
the emulator: no exception escapes a handler, bad input is answered with a client error
(never internal_error / 500), and stored state stays consistent."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.gateway.events import WebSocketConnectionInfo, message_event
from shared.protocol import ACTION_FIELDS, Action, ErrorCode
from tests.tables import chat_members, connection_record, room_entries, stored_messages
from tests.wsclient import ChatClient

FIELD_NAMES = sorted({name for fields in ACTION_FIELDS.values() for name in fields})
CLIENT_ERRORS = {c.value for c in ErrorCode} - {ErrorCode.INTERNAL_ERROR.value}

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=60),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


def frames(chats: list[str], message_ids: list[str]) -> st.SearchStrategy[str]:
    """Frames that are mostly right (real actions, plausible values) with a share of
    wrong ones, so both the success paths and the refusals are exercised."""
    good = {
        "chatId": st.sampled_from(chats),
        "messageId": st.sampled_from(message_ids),
        "clientMessageId": st.sampled_from(["c1", "c2", "c3"]),
        "body": st.text(min_size=1, max_size=80).filter(str.strip),
        "emoji": st.sampled_from(["👍", "🎉", ":ok:"]),
        "status": st.sampled_from(["online", "away", "busy"]),
        "text": st.text(max_size=40),
        "cursor": st.sampled_from(["0", "17", "x"]),
        "chats": st.dictionaries(st.sampled_from(chats), st.none() | st.sampled_from(message_ids)),
        "attachments": st.lists(st.sampled_from(["A1", "A2"]), max_size=2),
        "callId": st.sampled_from(["C1", "01NOSUCHCALL"]),
        "media": st.sampled_from(["audio", "video"]),
        "userIds": st.lists(st.sampled_from(["u1", "u2"]), max_size=3),
        "peerId": st.sampled_from(["P1", "P2"]),
        "to": st.sampled_from(["P1", "P2"]),
        "kind": st.sampled_from(["offer", "answer", "candidate"]),
        "payload": st.dictionaries(st.text(max_size=8), st.text(max_size=20), max_size=3),
        "sharing": st.booleans(),
    }
    junk = json_value | st.text(min_size=1, max_size=5000)

    @st.composite
    def frame(draw: st.DrawFn) -> str:
        # Not the keep-alive: API Gateway answers "ping" itself, with nothing.
        action = draw(st.sampled_from([a for a in Action if a is not Action.PING]))
        data: dict[str, Any] = {}
        for name, spec in ACTION_FIELDS[action].items():
            if spec.required or draw(st.booleans()):
                bad = draw(st.integers(0, 9)) == 0
                data[name] = draw(junk if bad else good[name])
        if draw(st.integers(0, 9)) == 0:
            data[draw(st.text(max_size=8))] = draw(json_value)
        envelope: dict[str, Any] = {"action": action.value, "data": data}
        request_id = draw(
            st.one_of(st.text(min_size=1, max_size=20), st.integers(0, 10**6), json_value)
            if draw(st.integers(0, 4)) == 0
            else st.text(min_size=1, max_size=20)
        )
        if request_id is not None:
            envelope["requestId"] = request_id
        return json.dumps(envelope)

    noise = st.one_of(st.text(max_size=200), json_value.map(json.dumps))
    return st.one_of(frame(), frame(), frame(), noise)


def test_the_event_function_never_lets_an_exception_out_and_state_stays_consistent(
    emulator: Any,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    other_chat = create_chat(user("carol"), user("dave"))
    alices, bobs = connect(alice), connect(bob)
    hello = alices.request("hello")["data"]
    sent = alices.request("message:send", {"chatId": chat_id, "body": "seed"})["data"]
    info = WebSocketConnectionInfo(
        connection_id=hello["connectionId"],
        api_id=emulator.template.websocket_api.api_id,
        stage=emulator.stage,
        domain_name=f"127.0.0.1:{emulator.tls_port}",
        source_ip="127.0.0.1",
        user_agent="hypothesis",
        headers=[],
        query=[],
        authorizer={"userId": alice, "principalId": alice},
    )

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        frames([chat_id, other_chat, "no-such-chat"], [sent["id"], "01ZZZZZZZZZZZZZZZZZZZZZZZZ"])
    )
    def one_frame(body: str) -> None:
        result = emulator.invoke("EventFunction", message_event(info, "$default", body))
        assert "errorType" not in result, result
        assert result["statusCode"] == 200
        reply = json.loads(result["body"])
        assert reply["event"] in ("ack", "error", "connection:success"), reply
        if reply["event"] == "error":
            assert reply["data"]["code"] in CLIENT_ERRORS, (body, reply)

    one_frame()
    bobs.drain(0.2)

    # Every stored message belongs to a chat its sender is a member of.
    for chat in (chat_id, other_chat):
        members = chat_members(dynamodb, tables, chat)
        for message in stored_messages(dynamodb, tables, chat):
            assert message["senderId"]["S"] in members
    # Every room entry of these users points at a live connection record.
    for room in (f"chat:{chat_id}", f"user:{alice}", f"user:{bob}"):
        for entry in room_entries(dynamodb, tables, room):
            assert connection_record(dynamodb, tables, entry["connectionId"]["S"]), entry


def test_the_rest_api_answers_anything_with_a_client_error_never_a_500(
    emulator: Any, create_chat: Callable[..., str], user: Callable[[str], str]
) -> None:
    alice = user("alice")
    chat_id = create_chat(alice, user("bob"))
    token = emulator.token(alice)
    segment = st.sampled_from(
        [chat_id, "chats", "members", "messages", "online", alice, "%00"]
    ) | st.text(alphabet=st.characters(codec="ascii", exclude_categories=["Cc"]), max_size=12)
    paths = st.lists(segment, min_size=1, max_size=4).map(lambda parts: "/" + "/".join(parts))
    known = st.sampled_from(
        [
            "/chats",
            f"/chats/{chat_id}/messages",
            f"/chats/{chat_id}/members",
            f"/chats/{chat_id}/online",
            f"/users/{alice}/presence",
        ]
    )

    @settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.sampled_from(["GET", "POST", "DELETE", "PUT", "PATCH"]),
        known | paths,
        st.one_of(st.none(), json_value.map(json.dumps), st.text(max_size=100)),
        st.dictionaries(
            st.sampled_from(["limit", "cursor", "after"]), st.text(max_size=30), max_size=3
        ),
        st.booleans(),
    )
    def one_request(method: str, path: str, body: str | None, params: dict, authed: bool) -> None:
        headers = {"content-type": "application/json"}
        if authed:
            headers["authorization"] = f"Bearer {token}"
        response = httpx.request(
            method,
            emulator.rest_url + path,
            content=body,
            params=params,
            headers=headers,
            timeout=15,
        )
        assert response.status_code < 500, (method, path, body, params, response.text)
        if response.status_code >= 400 and response.content:
            answer = response.json()  # ours: {"error": {code, message}}; API Gateway's: {message}
            assert "code" in answer.get("error", {}) or set(answer) == {"message"}, answer

    one_request()
