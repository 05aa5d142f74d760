"""shared.rest.members: add, remove and list members, who is online, presence of chat-mates only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared import config, ids
from shared.state import presence
from shared.store import chats, messages, receipts, rooms
from shared.store.models import User
from tests.unit.rest.conftest import STAGE, Api, Clock, Gateway, connect

Configure = Callable[..., config.Settings]


@pytest.fixture
def chat(api: Api, ticking: Clock) -> str:
    """A chat of alice (admin) and bob (member)."""
    answer = api("POST", "/chats", body={"name": "team", "members": ["bob"]})
    assert answer.status == 201
    return str(answer.body["id"])


def members_of(chat_id: str) -> list[str]:
    return sorted(chats.member_ids(chat_id))


def online(user_id: str, connection_id: str) -> None:
    """A live session of the user, as $connect and heartbeats keep it."""
    connect(connection_id, user_id)
    presence.touch(STAGE, user_id, connection_id)


# ---------------------------------------------------------------- POST /chats/{id}/members


def test_an_admin_adds_a_member_201(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/members", body={"userId": "carol"})
    assert answer.status == 201
    assert answer.body == {"chatId": chat, "userId": "carol", "role": "member", "added": True}
    assert members_of(chat) == ["alice", "bob", "carol"]
    assert [c["id"] for c in api("GET", "/chats", user="carol").body["chats"]] == [chat]


def test_adding_a_member_again_changes_nothing_200(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/members", body={"userId": "bob", "role": "admin"})
    assert answer.status == 200
    assert answer.body["added"] is False
    bob = chats.membership(chat, "bob")
    assert bob is not None and bob.role == "member"  # the existing membership is kept


def test_an_added_admin_may_add_members_in_turn(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/members", body={"userId": "carol", "role": "admin"})
    assert (answer.status, answer.body["role"]) == (201, "admin")
    assert (
        api("POST", f"/chats/{chat}/members", user="carol", body={"userId": "dave"}).status == 201
    )


def test_a_member_who_is_not_an_admin_may_not_add_members_403(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/members", user="bob", body={"userId": "carol"})
    assert (answer.status, answer.error) == (
        403,
        ("forbidden", "only a chat admin can add members"),
    )
    assert members_of(chat) == ["alice", "bob"]


def test_a_stranger_adding_to_a_chat_gets_404_not_403(api: Api, chat: str) -> None:
    answer = api("POST", f"/chats/{chat}/members", user="eve", body={"userId": "eve"})
    assert (answer.status, answer.error) == (404, ("not_found", "no such chat"))
    assert members_of(chat) == ["alice", "bob"]


BAD_MEMBERS: list[tuple[dict[str, object], str | None]] = [
    ({}, "body.userId is required"),
    ({"userId": "not an id"}, None),
    ({"userId": 7}, None),
    ({"userId": "carol", "role": "owner"}, None),
    ({"userId": "carol", "note": "hi"}, "unexpected field body.note"),
]


def test_a_bad_member_is_refused_400(api: Api, chat: str) -> None:
    for body, message in BAD_MEMBERS:
        answer = api("POST", f"/chats/{chat}/members", body=body)
        assert (answer.status, answer.error[0]) == (400, "bad_request"), body
        if message is not None:
            assert answer.error[1] == message, body
    assert members_of(chat) == ["alice", "bob"]


def test_an_added_members_live_connections_join_the_room_and_the_chat_hears_it(
    api: Api, chat: str, gateway: Gateway
) -> None:
    connect("alice-1", "alice")
    connect("carol-1", "carol")
    api("POST", f"/chats/{chat}/members", body={"userId": "carol"})
    room = rooms.resolve(rooms.chat_room(chat))
    assert sorted(e.connection_id for e in room) == ["alice-1", "carol-1"]
    added = {
        "event": "chat:member-added",
        "data": {"chatId": chat, "userId": "carol", "role": "member", "addedBy": "alice"},
    }
    assert gateway.frames("alice-1") == [added]
    assert gateway.frames("carol-1") == [added]


# ---------------------------------------------------------------- DELETE /chats/{id}/members/{user}


def test_an_admin_removes_a_member_204(api: Api, chat: str) -> None:
    answer = api("DELETE", f"/chats/{chat}/members/bob")
    assert (answer.status, answer.body) == (204, None)
    assert members_of(chat) == ["alice"]
    assert api("GET", f"/chats/{chat}/messages", user="bob").status == 404


def test_a_member_leaves_a_chat_204(api: Api, chat: str) -> None:
    assert api("DELETE", f"/chats/{chat}/members/bob", user="bob").status == 204
    assert members_of(chat) == ["alice"]


def test_a_member_who_is_not_an_admin_may_not_remove_others_403(api: Api, chat: str) -> None:
    answer = api("DELETE", f"/chats/{chat}/members/alice", user="bob")
    assert (answer.status, answer.error) == (
        403,
        ("forbidden", "only a chat admin can remove others"),
    )
    assert members_of(chat) == ["alice", "bob"]


def test_removing_someone_who_is_not_a_member_is_404(api: Api, chat: str) -> None:
    for target in ("carol", "not%20an%20id"):
        answer = api("DELETE", f"/chats/{chat}/members/{target}")
        assert (answer.status, answer.error) == (404, ("not_found", "no such member")), target


def test_removing_a_member_twice_is_404_the_second_time(api: Api, chat: str) -> None:
    assert api("DELETE", f"/chats/{chat}/members/bob").status == 204
    assert api("DELETE", f"/chats/{chat}/members/bob").status == 404


def test_a_stranger_removing_from_a_chat_gets_404(api: Api, chat: str) -> None:
    answer = api("DELETE", f"/chats/{chat}/members/bob", user="eve")
    assert (answer.status, answer.error) == (404, ("not_found", "no such chat"))
    assert members_of(chat) == ["alice", "bob"]


def test_a_removed_members_connections_leave_the_room_and_both_sides_hear_it(
    api: Api, chat: str, gateway: Gateway
) -> None:
    connect("alice-1", "alice")
    connect("bob-1", "bob")
    api("DELETE", f"/chats/{chat}/members/bob")
    room = rooms.resolve(rooms.chat_room(chat))
    assert [e.connection_id for e in room] == ["alice-1"]
    removed = {
        "event": "chat:member-removed",
        "data": {"chatId": chat, "userId": "bob", "removedBy": "alice"},
    }
    assert gateway.frames("alice-1") == [removed]
    assert gateway.frames("bob-1") == [removed]


# ---------------------------------------------------------------- GET /chats/{id}/members


def test_members_are_listed_with_role_join_time_presence_and_read_position(
    api: Api, chat: str, ticking: Clock
) -> None:
    last = messages.store(chat, "alice", "hello", None)[0].id
    position = receipts.mark_read(chat, "bob", last)
    assert position.read_at is not None
    online("bob", "bob-1")
    answer = api("GET", f"/chats/{chat}/members")
    assert answer.status == 200
    assert answer.body["chatId"] == chat
    listed = {m["userId"]: m for m in answer.body["members"]}
    assert listed.keys() == {"alice", "bob"}
    alice, bob = listed["alice"], listed["bob"]
    assert (alice["role"], alice["online"], alice["status"]) == ("admin", False, "offline")
    assert (alice["lastReadId"], alice["readAt"]) == (None, None)
    assert alice["joinedAt"] == ids.iso_from_ms(ids.decode_time(chat))  # joined as it was made
    assert (bob["role"], bob["online"], bob["status"]) == ("member", True, "online")
    assert (bob["lastReadId"], bob["readAt"]) == (last, ids.iso_from_ms(position.read_at))


def test_a_listed_online_member_shows_their_chosen_status(api: Api, chat: str) -> None:
    online("bob", "bob-1")
    presence.set_status("bob", "busy", "in a meeting")
    listed = {m["userId"]: m for m in api("GET", f"/chats/{chat}/members").body["members"]}
    assert (listed["bob"]["online"], listed["bob"]["status"]) == (True, "busy")


def test_a_stranger_listing_members_gets_404(api: Api, chat: str) -> None:
    answer = api("GET", f"/chats/{chat}/members", user="eve")
    assert (answer.status, answer.error) == (404, ("not_found", "no such chat"))


# ---------------------------------------------------------------- GET /chats/{id}/online


def test_online_lists_the_members_online_now_with_their_status(api: Api, chat: str) -> None:
    answer = api("GET", f"/chats/{chat}/online")
    assert (answer.status, answer.body) == (200, {"chatId": chat, "users": []})
    online("bob", "bob-1")
    presence.set_status("bob", "away", None)
    online("eve", "eve-1")  # online, but not a member
    answer = api("GET", f"/chats/{chat}/online")
    assert answer.body == {"chatId": chat, "users": [{"userId": "bob", "status": "away"}]}


def test_without_redis_online_falls_back_to_connection_records(
    api: Api, chat: str, configure: Configure
) -> None:
    connect("bob-1", "bob")  # a connection record, no Redis session
    configure(redis_url="")
    answer = api("GET", f"/chats/{chat}/online")
    assert answer.body == {"chatId": chat, "users": [{"userId": "bob", "status": "online"}]}


def test_a_stranger_asking_who_is_online_gets_404(api: Api, chat: str) -> None:
    assert api("GET", f"/chats/{chat}/online", user="eve").status == 404


# ---------------------------------------------------------------- GET /users/{id}/presence


def test_a_user_reads_their_own_presence(api: Api, ticking: Clock) -> None:
    answer = api("GET", "/users/alice/presence")
    assert (answer.status, answer.body) == (
        200,
        {"userId": "alice", "status": "offline", "text": None, "lastSeen": None},
    )


def test_the_presence_of_someone_sharing_a_chat_is_their_status_now(
    api: Api, chat: str, ticking: Clock
) -> None:
    online("bob", "bob-1")
    presence.set_status("bob", "busy", "in a meeting")
    before = ticking.ms
    answer = api("GET", "/users/bob/presence")
    after = ticking.ms
    assert answer.status == 200
    assert answer.body == {
        "userId": "bob",
        "status": "busy",
        "text": "in a meeting",
        "lastSeen": answer.body["lastSeen"],
    }
    seen = answer.body["lastSeen"]  # online: seen now, during the request
    assert ids.iso_from_ms(before) < seen <= ids.iso_from_ms(after)


def test_an_offline_chat_mate_shows_when_last_seen(api: Api, chat: str) -> None:
    User("bob", last_seen=1_795_687_200_123).save()
    answer = api("GET", "/users/bob/presence")
    assert answer.body == {
        "userId": "bob",
        "status": "offline",
        "text": None,
        "lastSeen": "2026-11-26T10:00:00.123Z",
    }


def test_the_presence_of_a_stranger_is_404(api: Api, chat: str) -> None:
    online("eve", "eve-1")  # online, but shares no chat with alice
    for target in ("eve", "nobody-at-all", "not%20an%20id"):
        answer = api("GET", f"/users/{target}/presence")
        assert (answer.status, answer.error) == (404, ("not_found", "no such user")), target


def test_a_former_chat_mate_becomes_a_stranger(api: Api, chat: str) -> None:
    assert api("GET", "/users/bob/presence").status == 200
    api("DELETE", f"/chats/{chat}/members/bob")
    assert api("GET", "/users/bob/presence").status == 404
