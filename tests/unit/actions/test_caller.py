"""shared.actions.caller: who sent a frame, the rooms they may act in, and announcements
to a chat's other connections."""

from __future__ import annotations

from typing import Any

import pytest

from shared import errors
from shared.actions.caller import Caller
from shared.delivery.fanout import FanoutResult
from shared.invocation import GatewayEvent
from shared.observability import calls
from shared.protocol import Event
from shared.store import chats, rooms
from tests.unit.actions.conftest import Team, connect


def websocket_event(**context: Any) -> GatewayEvent:
    """A MESSAGE route event behind the $connect authorizer, with ``context`` changes
    (a value of None leaves that field out)."""
    request_context: dict[str, Any] = {
        "routeKey": "$default",
        "eventType": "MESSAGE",
        "connectionId": "L0SM9cOFvHcCIhw=",
        "requestId": "req-1",
        "stage": "prod",
        "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
        "authorizer": {"userId": "alice", "principalId": "alice"},
    }
    request_context.update(context)
    request_context = {k: v for k, v in request_context.items() if v is not None}
    return GatewayEvent({"requestContext": request_context, "body": "{}"})


def room_connections(chat_id: str) -> list[str]:
    return sorted(e.connection_id for e in rooms.resolve(rooms.chat_room(chat_id)))


# ---------------------------------------------------------------- from_event


def test_the_caller_of_an_event_is_the_authorized_user_on_its_connection_and_stage() -> None:
    caller = Caller.from_event(websocket_event())
    assert caller == Caller(
        connection_id="L0SM9cOFvHcCIhw=",
        user_id="alice",
        endpoint="https://abc123.execute-api.eu-west-1.amazonaws.com/prod",
        stage="prod",
    )


@pytest.mark.parametrize(
    "context",
    [
        {"authorizer": None},
        {"authorizer": {"principalId": "alice"}},
        {"authorizer": {"userId": ""}},
        {"connectionId": None},
        {"connectionId": ""},
    ],
    ids=["no-authorizer", "no-user-id", "empty-user-id", "no-connection", "empty-connection"],
)
def test_an_event_without_an_authorized_user_or_a_connection_is_unauthorized(
    context: dict[str, Any],
) -> None:
    with pytest.raises(errors.Unauthorized, match="connection is not authorized"):
        Caller.from_event(websocket_event(**context))


# ---------------------------------------------------------------- room_of


def test_room_of_a_members_chat_is_its_room_for_one_query(team: Team) -> None:
    calls.reset()
    room = team.caller().room_of(team.chat_id)
    assert sorted(e.connection_id for e in room) == ["alice-1", "alice-2", "bob-1"]
    assert calls.counted() == {"dynamodb.Query": 1}


def test_room_of_a_chat_the_caller_is_not_in_is_forbidden(team: Team) -> None:
    with pytest.raises(errors.Forbidden, match="not a member of this chat"):
        team.caller("carol-1", "carol").room_of(team.chat_id)
    assert room_connections(team.chat_id) == ["alice-1", "alice-2", "bob-1"]


def test_room_of_a_chat_that_does_not_exist_is_forbidden_too(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        team.caller().room_of("no-such-chat")


def test_a_members_connection_missing_from_the_room_joins_it(team: Team) -> None:
    """A connection made while the member was being added: its room entry is written now."""
    connect("dave-1", "dave")
    assert chats.add_member(team.chat_id, "dave")  # the membership only, no room entry
    calls.reset()
    room = team.caller("dave-1", "dave").room_of(team.chat_id)
    assert sorted(e.connection_id for e in room) == ["alice-1", "alice-2", "bob-1", "dave-1"]
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.GetItem": 1, "dynamodb.PutItem": 1}
    assert room_connections(team.chat_id) == ["alice-1", "alice-2", "bob-1", "dave-1"]
    assert {e.connection_id: e.user_id for e in room}["dave-1"] == "dave"


# ---------------------------------------------------------------- announce


def test_announce_posts_the_event_to_the_room_but_the_callers_connection(team: Team) -> None:
    caller = team.caller()
    room = caller.room_of(team.chat_id)
    result = caller.announce(room, Event.MESSAGE_NEW, {"body": "hi"})
    assert result == FanoutResult(delivered=2)
    assert team.gateway.receivers() == ["alice-2", "bob-1"]
    assert team.gateway.frames("bob-1") == [{"event": "message:new", "data": {"body": "hi"}}]
    assert team.gateway.frames("alice-2") == [{"event": "message:new", "data": {"body": "hi"}}]


def test_announce_without_own_devices_skips_every_connection_of_the_callers_user(
    team: Team,
) -> None:
    caller = team.caller()
    room = caller.room_of(team.chat_id)
    result = caller.announce(room, Event.TYPING, {"isTyping": True}, own_devices=False)
    assert result.delivered == 1
    assert team.gateway.receivers() == ["bob-1"]


def test_announce_to_a_room_of_the_caller_alone_posts_nothing(team: Team) -> None:
    caller = team.caller()
    whole = caller.room_of(team.chat_id)
    room = rooms.Page(whole.room, [e for e in whole if e.user_id == "alice"])
    assert caller.announce(room, Event.TYPING, {}, own_devices=False) == FanoutResult()
    assert team.gateway.posts == []


def test_announce_counts_one_post_per_recipient_and_reports_gone_connections(
    team: Team,
) -> None:
    team.gateway.answers = {"bob-1": 410}
    caller = team.caller()
    room = caller.room_of(team.chat_id)
    calls.reset()
    result = caller.announce(room, Event.MESSAGE_NEW, {})
    assert (result.delivered, result.gone, result.failed) == (1, ["bob-1"], [])
    assert calls.counted()["apigatewaymanagementapi.PostToConnection"] == 2
