"""shared.actions.receipts: message:read and chat:read-all move a read position forward
and tell the chat only when it moved."""

from __future__ import annotations

from typing import Any

import pytest

from shared import errors, ids
from shared.observability import calls
from shared.store import chats
from tests.unit.actions.conftest import Clock, Team, reply_of

POST = "apigatewaymanagementapi.PostToConnection"


def send(team: Team, body: str) -> str:
    """alice-1 sends a message; its id."""
    reply = reply_of(team.act("message:send", {"chatId": team.chat_id, "body": body}))
    message_id: str = reply["data"]["id"]
    return message_id


def read(team: Team, message_id: str) -> Any:
    """bob-1 reads the chat up to ``message_id``."""
    return team.act(
        "message:read",
        {"chatId": team.chat_id, "messageId": message_id},
        by=team.caller("bob-1", "bob"),
    )


def read_all(team: Team) -> Any:
    return team.act("chat:read-all", {"chatId": team.chat_id}, by=team.caller("bob-1", "bob"))


def position(team: Team, user_id: str = "bob") -> tuple[str | None, int | None]:
    member = chats.membership(team.chat_id, user_id)
    assert member is not None
    return member.last_read_id, (int(member.read_at) if member.read_at is not None else None)


def read_events(team: Team) -> list[str]:
    return team.gateway.receivers("message:read")


# ---------------------------------------------------------------- message:read


def test_reading_a_message_stores_the_position_acks_it_and_the_chat_hears_message_read(
    ticking: Clock, team: Team
) -> None:
    first = send(team, "one")
    calls.reset()
    reply = reply_of(read(team, first))
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1, POST: 2}
    last_read_id, read_at = position(team)
    assert last_read_id == first and read_at is not None
    expected = {
        "chatId": team.chat_id,
        "userId": "bob",
        "messageId": first,
        "readAt": ids.iso_from_ms(read_at),
    }
    assert (reply["event"], reply["requestId"], reply["data"]) == ("ack", "r1", expected)
    assert read_events(team) == ["alice-1", "alice-2"]
    assert team.gateway.frames("alice-1")[-1] == {"event": "message:read", "data": expected}


def test_reading_the_same_message_again_acks_the_position_and_posts_nothing(
    ticking: Clock, team: Team
) -> None:
    first = send(team, "one")
    acked = reply_of(read(team, first))["data"]
    posted = list(team.gateway.posts)
    calls.reset()
    outcome = read(team, first)
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1}
    assert reply_of(outcome)["data"] == acked
    assert outcome.fanout is None
    assert team.gateway.posts == posted


def test_reading_an_older_message_keeps_the_newer_position_and_acks_it(
    ticking: Clock, team: Team
) -> None:
    older, newer = send(team, "one"), send(team, "two")
    acked = reply_of(read(team, newer))["data"]
    posted = list(team.gateway.posts)
    outcome = read(team, older)
    assert reply_of(outcome)["data"] == acked  # its messageId is not the one sent
    assert reply_of(outcome)["data"]["messageId"] == newer
    assert position(team)[0] == newer
    assert team.gateway.posts == posted


def test_reading_a_message_the_chat_does_not_have_is_not_found(team: Team) -> None:
    with pytest.raises(errors.NotFound, match="no such message"):
        read(team, ids.new_id())
    assert position(team) == (None, None)
    assert team.gateway.posts == []


def test_a_non_member_cannot_read(team: Team) -> None:
    first = send(team, "one")
    with pytest.raises(errors.Forbidden):
        team.act(
            "message:read",
            {"chatId": team.chat_id, "messageId": first},
            by=team.caller("carol-1", "carol"),
        )
    assert read_events(team) == []


def test_a_deleted_message_can_still_be_read(ticking: Clock, team: Team) -> None:
    first = send(team, "oops")
    team.act("message:delete", {"chatId": team.chat_id, "messageId": first})
    assert reply_of(read(team, first))["data"]["messageId"] == first
    assert position(team)[0] == first


# ---------------------------------------------------------------- chat:read-all


def test_read_all_moves_the_position_to_the_newest_message_and_the_chat_hears_it(
    ticking: Clock, team: Team
) -> None:
    send(team, "one")
    newest = send(team, "two")
    calls.reset()
    reply = reply_of(read_all(team))
    assert calls.counted() == {"dynamodb.Query": 2, "dynamodb.UpdateItem": 1, POST: 2}
    assert (reply["event"], reply["data"]["messageId"]) == ("ack", newest)
    assert position(team)[0] == newest
    assert team.gateway.frames("alice-2")[-1] == {"event": "message:read", "data": reply["data"]}
    assert read_events(team) == ["alice-1", "alice-2"]


def test_read_all_of_a_chat_without_messages_acks_an_empty_position_for_two_queries(
    team: Team,
) -> None:
    calls.reset()
    outcome = read_all(team)
    assert calls.counted() == {"dynamodb.Query": 2}
    assert reply_of(outcome)["data"] == {
        "chatId": team.chat_id,
        "userId": "bob",
        "messageId": None,
        "readAt": None,
    }
    assert outcome.fanout is None
    assert team.gateway.posts == []


def test_read_all_when_already_at_the_newest_posts_nothing(ticking: Clock, team: Team) -> None:
    newest = send(team, "one")
    read(team, newest)
    posted = list(team.gateway.posts)
    outcome = read_all(team)
    assert reply_of(outcome)["data"]["messageId"] == newest
    assert outcome.fanout is None
    assert team.gateway.posts == posted


def test_a_non_member_cannot_read_all(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        team.act("chat:read-all", {"chatId": team.chat_id}, by=team.caller("carol-1", "carol"))
