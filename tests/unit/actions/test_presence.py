"""chat:presence: a chat's online members on demand. A small chat answers with all of them
(its members also hear each change); a large one (over PresenceAnnounceLimit members) pages
through the online set its members' changes keep, and hears no per-user change."""

from __future__ import annotations

from typing import Any

import pytest

from shared import clock, config, errors
from shared.actions.caller import Caller
from shared.lifecycle import sessions
from shared.protocol import ProtocolError
from shared.store import chats
from tests.unit.actions.conftest import STAGE, Team, connect, reply_of
from tests.unit.management_stub import Gateway


def presence_of(team: Team, by: Caller | None = None, **data: Any) -> dict[str, Any]:
    reply = reply_of(team.act("chat:presence", {"chatId": team.chat_id, **data}, by=by))
    assert reply["event"] == "ack"
    return dict(reply["data"])


def online(caller: Caller) -> None:
    sessions.opened(
        caller.connection_id, caller.user_id, STAGE, clock.now_ms(), None, caller.endpoint
    )


def test_a_small_chat_lists_every_online_member_and_says_it_is_announced(team: Team) -> None:
    online(team.caller())
    online(team.caller("bob-1", "bob"))
    data = presence_of(team)
    assert data == {
        "chatId": team.chat_id,
        "announced": True,
        "onlineCount": 2,
        "users": [{"userId": "alice", "status": "online"}, {"userId": "bob", "status": "online"}],
        "cursor": None,
    }


def test_a_non_member_is_forbidden(team: Team) -> None:
    with pytest.raises(errors.Forbidden):
        team.act("chat:presence", {"chatId": team.chat_id}, by=team.caller("carol-1", "carol"))


@pytest.mark.parametrize("cursor", ["abc", "-1", "18446744073709551616", "٣"])
def test_a_cursor_that_is_not_one_given_is_a_bad_request(team: Team, cursor: str) -> None:
    """Not digits, or past Redis's 64-bit cursors (Redis itself would answer an error)."""
    with pytest.raises(ProtocolError):
        team.act("chat:presence", {"chatId": team.chat_id, "cursor": cursor})


@pytest.fixture
def large(team: Team) -> Team:
    """The team's chat counts as large: the presence announce limit is 2 and it has 3."""
    chats.add_member(team.chat_id, "carol")
    chats._size_cache.clear()
    with config.override(presence_announce_limit=2):
        yield team
    chats._size_cache.clear()


def test_in_a_large_chat_status_changes_are_not_announced_but_counted(
    large: Team, gateway: Gateway
) -> None:
    online(large.caller("bob-1", "bob"))
    online(large.caller("carol-1", "carol"))
    assert gateway.receivers("user:status") == []  # nobody heard: the only chat is large
    data = presence_of(large)
    assert (data["announced"], data["onlineCount"], data["cursor"]) == (False, 2, None)
    assert [u["userId"] for u in data["users"]] == ["bob", "carol"]
    sessions.closed("carol-1", "carol", STAGE, large.gateway.endpoint)
    data = presence_of(large)
    assert (data["onlineCount"], [u["userId"] for u in data["users"]]) == (1, ["bob"])
    assert gateway.receivers("user:status") == []


def test_a_large_chats_online_members_come_a_page_at_a_time(
    large: Team, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.actions import presence

    monkeypatch.setattr(presence, "PAGE_SIZE", 1)
    users = [f"user{i:02d}" for i in range(30)]
    for user in users:
        chats.add_member(large.chat_id, user)
        connect(f"{user}-1", user)
        online(large.caller(f"{user}-1", user))
    seen: list[str] = []
    cursor = None
    for _ in range(100):
        data = presence_of(large, **({"cursor": cursor} if cursor else {}))
        assert data["onlineCount"] == 30
        seen += [u["userId"] for u in data["users"]]
        cursor = data["cursor"]
        if cursor is None:
            break
    assert sorted(set(seen)) == users


def test_typing_in_a_large_chat_is_not_announced_but_listed(large: Team, gateway: Gateway) -> None:
    ack = reply_of(large.act("typing:start", {"chatId": large.chat_id}))
    assert ack["event"] == "ack" and ack["data"]["isTyping"] is True
    assert gateway.receivers("typing") == []
    listed = reply_of(large.act("typing:list", {"chatId": large.chat_id}))
    assert [t["userId"] for t in listed["data"]["typing"]] == ["alice"]
