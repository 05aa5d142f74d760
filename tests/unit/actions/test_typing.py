"""shared.actions.typing: typing:start and typing:stop tell the other members' devices,
typing:list says who is typing; Redis down degrades, never refuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared import config, errors, ids
from shared.observability import calls
from shared.state import typing_indicators
from shared.state.typing_indicators import TYPING_TTL_MS
from tests.unit.actions.conftest import Clock, Team, reply_of

Configure = Callable[..., config.Settings]
POST = "apigatewaymanagementapi.PostToConnection"
REDIS_DOWN = "redis://127.0.0.1:1/0"


def typing(team: Team, action: str, by: str = "alice-1", user: str = "alice") -> Any:
    return team.act(action, {"chatId": team.chat_id}, by=team.caller(by, user))


def test_typing_start_is_acked_and_posted_to_the_other_members_devices_only(
    ticking: Clock, team: Team
) -> None:
    calls.reset()
    outcome = typing(team, "typing:start")
    # the chat's size: read once, then kept a minute by the container
    assert calls.counted() == {
        "dynamodb.Query": 1,
        "dynamodb.BatchGetItem": 1,
        "redis.RoundTrip": 1,
        POST: 1,
    }
    reply = reply_of(outcome)
    expected = {
        "chatId": team.chat_id,
        "userId": "alice",
        "isTyping": True,
        "expiresAt": ids.iso_from_ms(ticking.ms + TYPING_TTL_MS),
    }
    assert (reply["event"], reply["requestId"], reply["data"]) == ("ack", "r1", expected)
    assert team.gateway.receivers() == ["bob-1"]  # not alice-2: her own device
    assert team.gateway.frames("bob-1") == [{"event": "typing", "data": expected}]
    assert [user for user, _ in typing_indicators.who(team.chat_id)] == ["alice"]


def test_the_rate_limiters_token_rides_in_the_same_round_trip_and_a_refusal_posts_nothing(
    team: Team, configure: Configure
) -> None:
    from shared.state.rate_limit import RateLimited

    configure(rate_limits="typing=2/0.001")
    for _ in range(2):
        typing(team, "typing:start")
    posted = len(team.gateway.posts)
    calls.reset()
    with pytest.raises(RateLimited):
        typing(team, "typing:start")
    assert calls.counted()["redis.RoundTrip"] == 1
    assert len(team.gateway.posts) == posted


def test_typing_stop_clears_the_indicator_and_tells_the_other_members(team: Team) -> None:
    typing(team, "typing:start")
    data = reply_of(typing(team, "typing:stop"))["data"]
    assert data == {"chatId": team.chat_id, "userId": "alice", "isTyping": False, "expiresAt": None}
    assert typing_indicators.who(team.chat_id) == []
    assert team.gateway.frames("bob-1")[-1] == {"event": "typing", "data": data}
    assert team.gateway.receivers() == ["bob-1"]


def test_typing_while_redis_is_down_still_goes_out(team: Team, configure: Configure) -> None:
    configure(redis_url=REDIS_DOWN)
    data = reply_of(typing(team, "typing:start"))["data"]
    assert data["isTyping"] is True and data["expiresAt"] is not None
    assert team.gateway.events("bob-1") == ["typing"]


def test_a_non_member_cannot_type_in_a_chat(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        typing(team, "typing:start", by="carol-1", user="carol")
    assert typing_indicators.who(team.chat_id) == []
    assert team.gateway.posts == []


def test_typing_list_answers_who_is_typing_now_and_posts_nothing(
    ticking: Clock, team: Team
) -> None:
    typing(team, "typing:start", by="bob-1", user="bob")
    expires_at = ticking.ms + TYPING_TTL_MS
    posted = list(team.gateway.posts)
    calls.reset()
    reply = reply_of(typing(team, "typing:list"))
    assert calls.counted() == {"dynamodb.Query": 1, "redis.RoundTrip": 1}
    assert reply["data"] == {
        "chatId": team.chat_id,
        "typing": [{"userId": "bob", "expiresAt": ids.iso_from_ms(expires_at)}],
    }
    assert team.gateway.posts == posted


def test_typing_list_leaves_out_indicators_that_expired(ticking: Clock, team: Team) -> None:
    typing(team, "typing:start", by="bob-1", user="bob")
    ticking.ms += TYPING_TTL_MS + 1
    assert reply_of(typing(team, "typing:list"))["data"]["typing"] == []


def test_typing_list_while_redis_is_down_is_empty(team: Team, configure: Configure) -> None:
    typing(team, "typing:start", by="bob-1", user="bob")
    configure(redis_url=REDIS_DOWN)
    assert reply_of(typing(team, "typing:list"))["data"]["typing"] == []


def test_a_non_member_cannot_list_who_is_typing(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        typing(team, "typing:list", by="carol-1", user="carol")
