"""shared.actions.messages: send, edit, delete, react and unreact, each through dispatch."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

import pytest

from shared import config, errors, ids
from shared.observability import calls
from shared.store import messages
from shared.store.message_updates import MAX_REACTION_EMOJIS
from shared.store.models import Message
from tests.unit.actions.conftest import Clock, Team, reply_of
from tests.unit.attachments.conftest import exists
from tests.unit.conftest import Upload

POST = "apigatewaymanagementapi.PostToConnection"


def send(team: Team, body: str = "hello", client_message_id: str | None = None) -> dict[str, Any]:
    """alice-1 sends a message to the team chat; the ack's data (the stored message)."""
    data = {"chatId": team.chat_id, "body": body}
    if client_message_id is not None:
        data["clientMessageId"] = client_message_id
    return reply_of(team.act("message:send", data))["data"]


def stored(team: Team, message_id: str) -> Message:
    found = messages.find(team.chat_id, message_id)
    assert found is not None
    return found


# ---------------------------------------------------------------- message:send


def test_send_acks_the_stored_message_and_posts_it_to_every_other_connection_in_the_chat(
    ticking: Clock, team: Team
) -> None:
    outcome = team.act(
        "message:send", {"chatId": team.chat_id, "body": "hi", "clientMessageId": "m1"}
    )
    reply = reply_of(outcome)
    message = reply["data"]
    assert (reply["event"], reply["requestId"]) == ("ack", "r1")
    assert message == {
        "id": message["id"],
        "chatId": team.chat_id,
        "senderId": "alice",
        "body": "hi",
        "createdAt": ids.iso_from_ms(ids.decode_time(message["id"])),
        "clientMessageId": "m1",
        "version": 1,
        "editedAt": None,
        "deleted": False,
        "reactions": {},
        "attachments": [],
        "call": None,
    }
    assert messages.to_wire(stored(team, message["id"])) == message
    # The sender's other device and bob hear it; the sending connection and carol do not.
    assert team.gateway.receivers() == ["alice-2", "bob-1"]
    assert team.gateway.frames("bob-1") == [{"event": "message:new", "data": message}]
    assert team.gateway.frames("alice-2") == [{"event": "message:new", "data": message}]
    assert outcome.fanout is not None and outcome.fanout.delivered == 2


def test_send_costs_one_room_query_one_conditional_put_and_one_post_per_recipient(
    team: Team,
) -> None:
    calls.reset()
    send(team, client_message_id="m1")
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.PutItem": 1, POST: 2}


def test_a_resend_with_the_same_client_message_id_acks_the_original_and_posts_nothing(
    team: Team,
) -> None:
    first = send(team, "hello", "m1")
    posted = list(team.gateway.posts)
    outcome = team.act(
        "message:send", {"chatId": team.chat_id, "body": "hello again", "clientMessageId": "m1"}
    )
    assert reply_of(outcome)["data"] == first
    assert outcome.fanout is None
    assert team.gateway.posts == posted
    history, _ = messages.history(team.chat_id)
    assert [m.body for m in history] == ["hello"]


def test_sends_without_a_client_message_id_are_each_a_new_message(team: Team) -> None:
    first, second = send(team, "one"), send(team, "two")
    assert first["id"] != second["id"]
    assert first["clientMessageId"] == first["id"]
    history, _ = messages.history(team.chat_id)
    assert sorted(m.body for m in history) == ["one", "two"]


def test_a_non_member_cannot_send_and_nothing_is_stored_or_posted(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        team.act(
            "message:send",
            {"chatId": team.chat_id, "body": "hi"},
            by=team.caller("carol-1", "carol"),
        )
    assert messages.history(team.chat_id) == ([], None)
    assert team.gateway.posts == []


def test_a_send_to_a_chat_that_does_not_exist_is_forbidden_like_a_non_members(
    domain: config.Settings, team: Team
) -> None:
    with pytest.raises(errors.Forbidden, match="not a member of this chat"):
        team.act("message:send", {"chatId": "no-such-chat", "body": "hi"})
    assert team.gateway.posts == []


# ---------------------------------------------------------------- attachments


def test_a_message_with_attachments_is_stored_with_them_and_every_member_gets_their_urls(
    ticking: Clock, team: Team, upload: Upload
) -> None:
    upload(team.chat_id, "alice", "IMG", data=b"12345", name="cat.png")
    calls.reset()
    reply = reply_of(team.act("message:send", {"chatId": team.chat_id, "attachments": ["IMG"]}))
    counted = calls.counted()
    assert (counted["s3.HeadObject"], counted["s3.CopyObject"]) == (1, 1)
    message = reply["data"]
    assert message["body"] == ""  # a message may be its attachments alone
    [shown] = message["attachments"]
    assert {k: shown[k] for k in ("id", "name", "size", "contentType")} == {
        "id": "IMG",
        "name": "cat.png",
        "size": 5,
        "contentType": "image/png",
    }
    assert f"files/{team.chat_id}/IMG" in unquote(shown["url"])
    [heard] = team.gateway.frames("bob-1")
    assert heard["data"]["attachments"][0]["id"] == "IMG"
    assert [a.id for a in stored(team, message["id"]).attachments] == ["IMG"]
    assert exists(f"files/{team.chat_id}/IMG")


def test_a_message_naming_an_upload_that_is_not_the_senders_is_refused_and_nothing_is_kept(
    team: Team, upload: Upload
) -> None:
    upload(team.chat_id, "alice", "MINE")
    upload(team.chat_id, "bob", "BOBS")
    with pytest.raises(errors.NotFound):
        team.act(
            "message:send",
            {"chatId": team.chat_id, "body": "look", "attachments": ["MINE", "BOBS"]},
        )
    assert messages.history(team.chat_id) == ([], None)
    assert team.gateway.posts == []
    assert not exists(f"files/{team.chat_id}/MINE")


def test_a_message_with_neither_body_nor_attachments_is_invalid(team: Team) -> None:
    for data in ({"chatId": team.chat_id}, {"chatId": team.chat_id, "attachments": []}):
        with pytest.raises(errors.Invalid, match="body is required"):
            team.act("message:send", data)
    assert messages.history(team.chat_id) == ([], None)


def test_a_failed_store_removes_the_files_it_had_copied(
    team: Team, upload: Upload, monkeypatch: pytest.MonkeyPatch
) -> None:
    upload(team.chat_id, "alice", "IMG")

    def failing(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("DynamoDB is down")

    monkeypatch.setattr(messages, "store", failing)
    with pytest.raises(RuntimeError):
        team.act("message:send", {"chatId": team.chat_id, "attachments": ["IMG"]})
    assert not exists(f"files/{team.chat_id}/IMG")


def test_a_retried_send_keeps_the_first_messages_files(team: Team, upload: Upload) -> None:
    upload(team.chat_id, "alice", "IMG")
    upload(team.chat_id, "alice", "OTHER")
    data = {"chatId": team.chat_id, "clientMessageId": "m1"}
    first = reply_of(team.act("message:send", data | {"attachments": ["IMG"]}))["data"]
    again = reply_of(team.act("message:send", data | {"attachments": ["OTHER"]}))["data"]
    assert again["id"] == first["id"]
    assert [a["id"] for a in again["attachments"]] == ["IMG"]
    assert exists(f"files/{team.chat_id}/IMG")
    assert not exists(f"files/{team.chat_id}/OTHER")


def test_deleting_a_message_deletes_its_files_and_its_tombstone_shows_none(
    team: Team, upload: Upload
) -> None:
    upload(team.chat_id, "alice", "IMG")
    sent = reply_of(team.act("message:send", {"chatId": team.chat_id, "attachments": ["IMG"]}))
    message_id = sent["data"]["id"]
    calls.reset()
    team.act("message:delete", {"chatId": team.chat_id, "messageId": message_id})
    assert calls.counted()["s3.DeleteObjects"] == 1
    assert not exists(f"files/{team.chat_id}/IMG")
    tombstone = stored(team, message_id)
    assert tombstone.attachments is None
    assert messages.to_wire(tombstone)["attachments"] == []


# ---------------------------------------------------------------- message:edit


def test_the_author_edits_a_message_acks_it_and_the_chat_hears_message_edited(
    ticking: Clock, team: Team
) -> None:
    sent = send(team, "helo", "m1")
    calls.reset()
    reply = reply_of(
        team.act("message:edit", {"chatId": team.chat_id, "messageId": sent["id"], "body": "hello"})
    )
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1, POST: 2}
    edited = reply["data"]
    assert reply["event"] == "ack"
    assert edited == sent | {"body": "hello", "version": 2, "editedAt": edited["editedAt"]}
    assert edited["editedAt"] is not None
    assert messages.to_wire(stored(team, sent["id"])) == edited
    assert team.gateway.frames("bob-1")[-1] == {"event": "message:edited", "data": edited}
    assert team.gateway.frames("alice-2")[-1] == {"event": "message:edited", "data": edited}
    assert "alice-1" not in team.gateway.receivers()


def test_only_the_author_may_edit(team: Team) -> None:
    sent = send(team, "mine")
    posted = list(team.gateway.posts)
    with pytest.raises(errors.Forbidden, match="only the author"):
        team.act(
            "message:edit",
            {"chatId": team.chat_id, "messageId": sent["id"], "body": "yours"},
            by=team.caller("bob-1", "bob"),
        )
    assert stored(team, sent["id"]).body == "mine"
    assert team.gateway.posts == posted


def test_editing_a_message_the_chat_does_not_have_is_not_found(team: Team) -> None:
    with pytest.raises(errors.NotFound):
        team.act("message:edit", {"chatId": team.chat_id, "messageId": ids.new_id(), "body": "x"})


# ---------------------------------------------------------------- message:delete


def test_the_author_deletes_a_message_leaving_a_tombstone_and_the_chat_hears_it(
    ticking: Clock, team: Team
) -> None:
    sent = send(team, "oops")
    calls.reset()
    reply = reply_of(team.act("message:delete", {"chatId": team.chat_id, "messageId": sent["id"]}))
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1, POST: 2}
    tombstone = stored(team, sent["id"])
    expected = {
        "chatId": team.chat_id,
        "messageId": sent["id"],
        "deletedBy": "alice",
        "deletedAt": ids.iso_from_ms(int(tombstone.deleted_at)),
        "version": 2,
    }
    assert (reply["event"], reply["data"]) == ("ack", expected)
    wire = messages.to_wire(tombstone)
    assert (wire["deleted"], wire["body"], wire["reactions"]) == (True, None, {})
    assert team.gateway.frames("bob-1")[-1] == {"event": "message:deleted", "data": expected}
    assert team.gateway.frames("alice-2")[-1] == {"event": "message:deleted", "data": expected}


def test_a_chat_admin_may_delete_another_members_message_for_one_more_get_item(
    team: Team,
) -> None:
    bobs = reply_of(
        team.act(
            "message:send", {"chatId": team.chat_id, "body": "spam"}, by=team.caller("bob-1", "bob")
        )
    )["data"]
    calls.reset()
    reply = reply_of(team.act("message:delete", {"chatId": team.chat_id, "messageId": bobs["id"]}))
    assert calls.counted() == {
        "dynamodb.Query": 2,
        "dynamodb.GetItem": 1,
        "dynamodb.UpdateItem": 1,
        POST: 2,
    }
    assert reply["data"]["deletedBy"] == "alice"  # the chat's creator is its admin
    assert stored(team, bobs["id"]).deleted_by == "alice"
    assert team.gateway.events("bob-1")[-1] == "message:deleted"


def test_a_member_who_is_neither_author_nor_admin_may_not_delete(team: Team) -> None:
    sent = send(team, "keep")
    with pytest.raises(errors.Forbidden, match="only the author or a chat admin"):
        team.act(
            "message:delete",
            {"chatId": team.chat_id, "messageId": sent["id"]},
            by=team.caller("bob-1", "bob"),
        )
    assert stored(team, sent["id"]).deleted_at is None


def test_deleting_twice_is_not_found_and_posts_once(team: Team) -> None:
    sent = send(team)
    team.act("message:delete", {"chatId": team.chat_id, "messageId": sent["id"]})
    with pytest.raises(errors.NotFound):
        team.act("message:delete", {"chatId": team.chat_id, "messageId": sent["id"]})
    assert team.gateway.events("bob-1") == ["message:new", "message:deleted"]


# ---------------------------------------------------------------- reactions


def react(team: Team, action: str, message_id: str, emoji: str = "👍") -> Any:
    """bob-1 adds (``message:react``) or removes (``message:unreact``) a reaction."""
    return team.act(
        action,
        {"chatId": team.chat_id, "messageId": message_id, "emoji": emoji},
        by=team.caller("bob-1", "bob"),
    )


def test_a_reaction_is_acked_with_the_whole_state_and_the_chat_hears_message_reaction(
    team: Team,
) -> None:
    sent = send(team)
    calls.reset()
    reply = reply_of(react(team, "message:react", sent["id"]))
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1, POST: 2}
    expected = {
        "chatId": team.chat_id,
        "messageId": sent["id"],
        "emoji": "👍",
        "userId": "bob",
        "added": True,
        "reactions": {"👍": {"count": 1, "users": ["bob"]}},
        "version": 2,
    }
    assert (reply["event"], reply["data"]) == ("ack", expected)
    assert stored(team, sent["id"]).reactions == {"👍": {"bob"}}
    assert team.gateway.receivers("message:reaction") == ["alice-1", "alice-2"]
    assert team.gateway.frames("alice-1") == [{"event": "message:reaction", "data": expected}]


def test_reacting_again_with_the_same_emoji_changes_nothing_and_posts_nothing(
    team: Team,
) -> None:
    sent = send(team)
    react(team, "message:react", sent["id"])
    posted = list(team.gateway.posts)
    calls.reset()
    outcome = react(team, "message:react", sent["id"])
    data = reply_of(outcome)["data"]
    assert (data["added"], data["version"]) == (True, 2)
    assert data["reactions"] == {"👍": {"count": 1, "users": ["bob"]}}
    assert outcome.fanout is None
    assert team.gateway.posts == posted
    assert calls.counted() == {"dynamodb.Query": 2}  # no write


def test_unreacting_the_emojis_last_user_removes_it_and_the_chat_hears_it(team: Team) -> None:
    sent = send(team)
    react(team, "message:react", sent["id"])
    calls.reset()
    data = reply_of(react(team, "message:unreact", sent["id"]))["data"]
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 2, POST: 2}
    assert (data["added"], data["reactions"], data["version"]) == (False, {}, 3)
    assert stored(team, sent["id"]).reactions == {}
    assert stored(team, sent["id"]).reaction_emojis is None  # the emoji's slot is free again
    assert team.gateway.frames("alice-1")[-1] == {"event": "message:reaction", "data": data}


def test_unreacting_a_reaction_that_is_not_there_changes_nothing_and_posts_nothing(
    team: Team,
) -> None:
    sent = send(team)
    posted = list(team.gateway.posts)
    outcome = react(team, "message:unreact", sent["id"])
    data = reply_of(outcome)["data"]
    assert (data["added"], data["reactions"], data["version"]) == (False, {}, 1)
    assert outcome.fanout is None
    assert team.gateway.posts == posted


def test_reacting_to_a_deleted_message_is_not_found(team: Team) -> None:
    sent = send(team)
    team.act("message:delete", {"chatId": team.chat_id, "messageId": sent["id"]})
    with pytest.raises(errors.NotFound):
        react(team, "message:react", sent["id"])


def test_a_new_emoji_beyond_the_cap_is_a_conflict(team: Team, dynamodb: Any) -> None:
    sent = send(team)
    message = stored(team, sent["id"])
    taken = [f":e{i}:" for i in range(MAX_REACTION_EMOJIS)]
    dynamodb.update_item(
        TableName=Message.Meta.table_name,
        Key={"chatId": {"S": team.chat_id}, "dedupKey": {"S": message.dedup_key}},
        UpdateExpression="SET reactionEmojis = :all",
        ExpressionAttributeValues={":all": {"SS": taken}},
    )
    with pytest.raises(errors.Conflict, match=f"at most {MAX_REACTION_EMOJIS} emojis"):
        react(team, "message:react", sent["id"], ":new:")
    assert team.gateway.events("alice-1") == []
