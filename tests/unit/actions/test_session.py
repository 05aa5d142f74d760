"""shared.actions.session: hello, heartbeats, the chosen status and sync, through dispatch."""

from __future__ import annotations

from collections.abc import Callable

from shared import config, ids
from shared.observability import calls
from shared.state import presence
from shared.store.models import User
from tests.unit.actions.conftest import Clock, Team, reply_of

Configure = Callable[..., config.Settings]
POST = "apigatewaymanagementapi.PostToConnection"
REDIS_DOWN = "redis://127.0.0.1:1/0"


def durable(user_id: str) -> User:
    return User.get(user_id, consistent_read=True)


# ---------------------------------------------------------------- hello


def test_hello_answers_connection_success_with_who_you_are_your_chats_and_the_keep_alive(
    ticking: Clock, team: Team
) -> None:
    calls.reset()
    reply = reply_of(team.act("hello", request_id="r0"))
    assert calls.counted() == {"dynamodb.Query": 1}
    assert (reply["event"], reply["requestId"]) == ("connection:success", "r0")
    assert reply["data"] == {
        "connectionId": "alice-1",
        "userId": "alice",
        "chats": [team.chat_id],
        "keepAlive": {"action": "ping", "intervalSeconds": 540},
        "renew": {"afterSeconds": 6900, "maxSeconds": 7200},  # API Gateway's 2 hours
        "heartbeatSeconds": 540,  # for clients that predate keepAlive
        "serverTime": ids.iso_from_ms(ticking.ms),
    }
    assert team.gateway.posts == []


def test_hello_of_a_user_in_no_chat_lists_none(team: Team) -> None:
    reply = reply_of(team.act("hello", by=team.caller("carol-1", "carol")))
    assert reply["data"]["chats"] == []


def test_hellos_renewal_comes_a_quarter_before_a_short_maximum_duration(
    team: Team, configure: Configure
) -> None:
    configure(max_connection_seconds=4.2)  # an emulator's short stage
    assert reply_of(team.act("hello"))["data"]["renew"] == {
        "afterSeconds": 3.15,
        "maxSeconds": 4.2,
    }


def test_hellos_keep_alive_interval_follows_the_presence_ttl(
    team: Team, configure: Configure
) -> None:
    configure(presence_ttl_seconds=40)
    data = reply_of(team.act("hello"))["data"]
    assert data["keepAlive"]["intervalSeconds"] == data["heartbeatSeconds"] == 36


# ---------------------------------------------------------------- ping


def test_a_ping_that_reaches_the_function_does_nothing_and_answers_nothing(team: Team) -> None:
    """The ping route is answered by API Gateway; a stage without it still costs nothing
    but the invocation."""
    calls.reset()
    outcome = team.act("ping")
    assert outcome.reply == "" and outcome.fanout is None
    assert calls.counted() == {}
    assert team.gateway.posts == []


# ---------------------------------------------------------------- presence:heartbeat


def test_a_heartbeat_renewing_a_live_session_costs_one_redis_round_trip_and_posts_nothing(
    team: Team,
) -> None:
    presence.touch("test", "alice", "alice-1")
    calls.reset()
    outcome = team.act("presence:heartbeat")
    assert calls.counted() == {"redis.RoundTrip": 1}
    reply = reply_of(outcome)
    assert (reply["event"], reply["requestId"]) == ("ack", "r1")
    assert reply["data"] == {"ttlSeconds": 600, "heartbeatSeconds": 540, "presence": "ok"}
    assert outcome.fanout is None
    assert team.gateway.posts == []


def test_a_heartbeat_after_redis_lost_the_session_brings_the_user_back_online_for_contacts(
    ticking: Clock, team: Team
) -> None:
    assert presence.online_many(["alice"]) == {"alice": False}  # no session in Redis
    outcome = team.act("presence:heartbeat")
    assert reply_of(outcome)["data"]["presence"] == "ok"
    assert presence.online_many(["alice"]) == {"alice": True}
    [status] = team.gateway.frames("bob-1")
    assert status["event"] == "user:status"
    assert status["data"] == {
        "userId": "alice",
        "status": "online",
        "text": None,
        "lastSeen": status["data"]["lastSeen"],
    }
    assert status["data"]["lastSeen"] is not None
    assert "carol-1" not in team.gateway.receivers()  # shares no chat with alice
    assert "alice-1" not in team.gateway.receivers()  # the caller knows it is online
    assert outcome.fanout is not None
    assert outcome.fanout.delivered == len(team.gateway.receivers())


def test_a_heartbeat_while_redis_is_down_is_acked_degraded_and_posts_nothing(
    team: Team, configure: Configure
) -> None:
    configure(redis_url=REDIS_DOWN)
    outcome = team.act("presence:heartbeat")
    assert reply_of(outcome)["data"] == {
        "ttlSeconds": 600,
        "heartbeatSeconds": 540,
        "presence": "degraded",
    }
    assert outcome.fanout is None
    assert team.gateway.posts == []


# ---------------------------------------------------------------- presence:set


def test_setting_a_status_keeps_it_in_redis_and_durably_and_tells_contacts_but_the_sender(
    ticking: Clock, team: Team
) -> None:
    reply = reply_of(team.act("presence:set", {"status": "away", "text": "lunch"}))
    expected = {
        "userId": "alice",
        "status": "away",
        "text": "lunch",
        "lastSeen": reply["data"]["lastSeen"],
    }
    assert (reply["event"], reply["data"]) == ("ack", expected)
    assert reply["data"]["lastSeen"] is not None
    assert presence.statuses(["alice"]) == {"alice": {"status": "away", "text": "lunch"}}
    stored = durable("alice")
    assert (stored.status, stored.status_text) == ("away", "lunch")
    # bob and alice's other device hear it; the sending connection and carol do not.
    assert team.gateway.receivers() == ["alice-2", "bob-1"]
    assert team.gateway.frames("bob-1") == [{"event": "user:status", "data": expected}]


def test_a_status_without_text_has_none(team: Team) -> None:
    data = reply_of(team.act("presence:set", {"status": "busy"}))["data"]
    assert (data["status"], data["text"]) == ("busy", None)
    assert durable("alice").status_text == ""
    assert team.gateway.frames("bob-1")[0]["data"]["text"] is None


def test_a_status_set_while_redis_is_down_is_kept_durably_and_still_announced(
    team: Team, configure: Configure
) -> None:
    configure(redis_url=REDIS_DOWN)
    data = reply_of(team.act("presence:set", {"status": "busy", "text": "focus"}))["data"]
    assert (data["status"], data["text"]) == ("busy", "focus")
    assert durable("alice").status == "busy"
    assert team.gateway.receivers("user:status") == ["alice-2", "bob-1"]


# ---------------------------------------------------------------- sync


def test_sync_acks_the_messages_after_the_cursor_and_the_30_seconds_before_it(
    ticking: Clock, team: Team
) -> None:
    def send(body: str) -> str:
        reply = reply_of(team.act("message:send", {"chatId": team.chat_id, "body": body}))
        message_id: str = reply["data"]["id"]
        return message_id

    send("long ago")
    ticking.ms += 60_000
    cursor = send("had it")
    newer = send("missed")
    reply = reply_of(
        team.act(
            "sync",
            {"chats": {team.chat_id: cursor, "no-such-chat": None}},
            by=team.caller("bob-1", "bob"),
            request_id="s1",
        )
    )
    assert (reply["event"], reply["requestId"]) == ("ack", "s1")
    got = reply["data"]["chats"][team.chat_id]
    assert [m["id"] for m in got["messages"]] == [cursor, newer]  # the overlap, oldest first
    assert got["hasMore"] is False
    assert reply["data"]["unknown"] == ["no-such-chat"]


def test_sync_from_null_returns_a_chats_history_from_the_beginning(
    ticking: Clock, team: Team
) -> None:
    for body in ("one", "two"):
        team.act("message:send", {"chatId": team.chat_id, "body": body})
    posted = len(team.gateway.posts)
    reply = reply_of(team.act("sync", {"chats": {team.chat_id: None}}))
    assert [m["body"] for m in reply["data"]["chats"][team.chat_id]["messages"]] == ["one", "two"]
    assert reply["data"]["unknown"] == []
    assert len(team.gateway.posts) == posted  # the reply only, nothing posted


def test_sync_lists_a_chat_the_caller_is_not_in_as_unknown(team: Team) -> None:
    reply = reply_of(
        team.act("sync", {"chats": {team.chat_id: None}}, by=team.caller("carol-1", "carol"))
    )
    assert reply["data"] == {"chats": {}, "unknown": [team.chat_id]}
