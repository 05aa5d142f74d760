"""shared.rest.chats: create a chat (live members hear of it), list one's chats, page history."""

from __future__ import annotations

import pytest

from shared import ids, protocol
from shared.store import chats, messages, rooms
from tests.unit.rest.conftest import Api, Clock, Gateway, connect


def send(chat_id: str, sender: str, body: str) -> str:
    """Store a message as message:send would; its id."""
    message, created = messages.store(chat_id, sender, body, None)
    assert created
    return message.id


@pytest.fixture
def chat(api: Api, ticking: Clock) -> str:
    """A chat of alice (admin) and bob."""
    answer = api("POST", "/chats", body={"name": "team", "members": ["bob"]})
    assert answer.status == 201
    return str(answer.body["id"])


# ---------------------------------------------------------------- POST /chats


def test_creating_a_chat_answers_201_with_the_chat_and_its_members(
    api: Api, ticking: Clock
) -> None:
    answer = api("POST", "/chats", body={"name": "team", "members": ["bob", "carol"]})
    assert answer.status == 201
    body = answer.body
    assert body == {
        "id": body["id"],
        "name": "team",
        "createdBy": "alice",
        "createdAt": body["createdAt"],
        "members": ["alice", "bob", "carol"],
    }
    assert protocol.is_id(body["id"]) and len(body["id"]) == 26
    assert body["createdAt"] == ids.iso_from_ms(ids.decode_time(body["id"]))


def test_the_creator_is_the_chats_admin_and_the_others_members(api: Api) -> None:
    chat_id = api("POST", "/chats", body={"members": ["bob"]}).body["id"]
    alice, bob = chats.membership(chat_id, "alice"), chats.membership(chat_id, "bob")
    assert alice is not None and bob is not None
    assert (alice.role, bob.role) == ("admin", "member")


def test_members_are_listed_once_the_creator_first(api: Api) -> None:
    answer = api("POST", "/chats", body={"members": ["bob", "alice", "bob"]})
    assert answer.body["members"] == ["alice", "bob"]


def test_a_chat_needs_neither_a_name_nor_other_members(api: Api) -> None:
    bodies: list[dict[str, object] | None] = [None, {}, {"name": None, "members": []}]
    for body in bodies:
        answer = api("POST", "/chats", body=body)
        assert answer.status == 201, body
        assert (answer.body["name"], answer.body["members"]) == (None, ["alice"]), body


def test_a_chat_may_have_up_to_the_member_limit(api: Api) -> None:
    others = [f"user-{i}" for i in range(protocol.MAX_CHAT_MEMBERS)]
    answer = api("POST", "/chats", body={"members": others})
    assert answer.status == 201
    assert len(chats.member_ids(answer.body["id"])) == protocol.MAX_CHAT_MEMBERS + 1


BAD_CHATS: list[tuple[dict[str, object], str | None]] = [
    ({"members": "bob"}, "members must be a list of at most 100"),
    ({"members": [f"u{i}" for i in range(101)]}, "members must be a list of at most 100"),
    ({"members": [42]}, "members must be user ids"),
    ({"members": ["not an id"]}, "members must be user ids"),
    ({"members": [""]}, "members must be user ids"),
    ({"name": "x" * (protocol.MAX_CHAT_NAME_CHARS + 1)}, None),
    ({"name": 7}, None),
    ({"topic": "extra"}, "unexpected field body.topic"),
]


def test_a_bad_chat_is_refused_400_and_nothing_is_created(api: Api) -> None:
    for body, message in BAD_CHATS:
        answer = api("POST", "/chats", body=body)
        assert (answer.status, answer.error[0]) == (400, "bad_request"), body
        if message is not None:
            assert answer.error[1] == message, body
    assert chats.user_chats("alice") == []


def test_a_name_of_the_maximum_length_is_kept(api: Api) -> None:
    name = "n" * protocol.MAX_CHAT_NAME_CHARS
    assert api("POST", "/chats", body={"name": name}).body["name"] == name


def test_members_connected_now_hear_of_the_chat_and_join_its_room(
    api: Api, gateway: Gateway
) -> None:
    connect("alice-1", "alice")
    connect("bob-1", "bob")
    connect("bob-2", "bob")
    answer = api("POST", "/chats", body={"name": "team", "members": ["bob", "carol"]})
    for connection_id in ("alice-1", "bob-1", "bob-2"):
        assert gateway.frames(connection_id) == [{"event": "chat:created", "data": answer.body}]
    room = rooms.resolve(rooms.chat_room(answer.body["id"]))
    assert sorted(e.connection_id for e in room) == ["alice-1", "bob-1", "bob-2"]


def test_a_chat_of_members_who_are_not_connected_posts_nothing(api: Api, gateway: Gateway) -> None:
    connect("dave-1", "dave")  # connected, but not a member
    assert api("POST", "/chats", body={"members": ["bob"]}).status == 201
    assert gateway.posts == []


# ---------------------------------------------------------------- GET /chats


def test_a_user_lists_only_their_own_chats(api: Api, ticking: Clock) -> None:
    mine = api("POST", "/chats", body={"name": "mine", "members": ["bob"]}).body["id"]
    api("POST", "/chats", user="carol", body={"name": "theirs"})
    listed = api("GET", "/chats").body["chats"]
    assert [(c["id"], c["name"]) for c in listed] == [(mine, "mine")]
    assert api("GET", "/chats", user="bob").body["chats"][0]["id"] == mine
    assert api("GET", "/chats", user="stranger").body == {"chats": []}


def test_a_listed_chat_has_its_wire_fields_last_message_and_unread_count(
    api: Api, chat: str
) -> None:
    send(chat, "bob", "one")
    send(chat, "alice", "two")
    last = send(chat, "bob", "three")
    (listed,) = api("GET", "/chats").body["chats"]
    assert {"id", "name", "createdBy", "createdAt"} <= set(listed)
    assert "members" not in listed
    assert listed["lastMessage"]["id"] == last
    assert listed["lastMessage"]["body"] == "three"
    assert listed["unreadCount"] == 2  # bob's two: one's own messages are never unread
    (bobs,) = api("GET", "/chats", user="bob").body["chats"]
    assert bobs["unreadCount"] == 1


def test_a_chat_without_messages_has_no_last_message_and_nothing_unread(
    api: Api, chat: str
) -> None:
    (listed,) = api("GET", "/chats").body["chats"]
    assert (listed["lastMessage"], listed["unreadCount"]) == (None, 0)


# ---------------------------------------------------------------- GET /chats/{id}/messages


def history(api: Api, chat: str, query: str = "", user: str = "alice") -> tuple[list[str], object]:
    answer = api("GET", f"/chats/{chat}/messages", user=user, query=query)
    assert answer.status == 200, answer.body
    return [m["body"] for m in answer.body["messages"]], answer.body["nextCursor"]


def test_history_is_newest_first_in_pages_linked_by_a_cursor(api: Api, chat: str) -> None:
    sent = [send(chat, "bob", f"m{i}") for i in range(1, 6)]
    assert history(api, chat, "limit=2") == (["m5", "m4"], sent[3])
    assert history(api, chat, f"limit=2&cursor={sent[3]}") == (["m3", "m2"], sent[1])
    assert history(api, chat, f"limit=2&cursor={sent[1]}") == (["m1"], None)


def test_a_page_that_holds_the_rest_has_no_cursor(api: Api, chat: str) -> None:
    for i in range(3):
        send(chat, "bob", f"m{i}")
    assert history(api, chat, "limit=3") == (["m2", "m1", "m0"], None)
    assert history(api, chat) == (["m2", "m1", "m0"], None)  # default page: 50


def test_history_messages_have_the_wire_shape(api: Api, chat: str) -> None:
    message_id = send(chat, "bob", "hello")
    (wire,) = api("GET", f"/chats/{chat}/messages").body["messages"]
    assert wire["id"] == message_id
    assert (wire["chatId"], wire["senderId"], wire["body"]) == (chat, "bob", "hello")
    assert (wire["deleted"], wire["version"], wire["reactions"]) == (False, 1, {})


def test_an_empty_chat_has_an_empty_history(api: Api, chat: str) -> None:
    assert history(api, chat) == ([], None)


def test_after_gives_the_newer_messages_oldest_first(api: Api, chat: str) -> None:
    sent = [send(chat, "bob", f"m{i}") for i in range(1, 6)]
    assert history(api, chat, f"after={sent[0]}&limit=2") == (["m2", "m3"], sent[2])
    assert history(api, chat, f"after={sent[2]}&limit=2") == (["m4", "m5"], None)
    assert history(api, chat, f"after={sent[4]}") == ([], None)


def test_a_limit_outside_1_to_100_is_refused_400(api: Api, chat: str) -> None:
    for limit in ["0", "101", "-1", "1.5", "abc", "", "%EF%BC%95", "1e2"]:  # %EF%BC%95: "５"
        answer = api("GET", f"/chats/{chat}/messages", query=f"limit={limit}")
        expected = (400, ("bad_request", "limit must be an integer 1-100"))
        assert (answer.status, answer.error) == expected, limit


def test_a_limit_from_1_to_100_is_taken(api: Api, chat: str) -> None:
    for i in range(3):
        send(chat, "bob", f"m{i}")
    for limit, count in [("1", 1), ("100", 3), ("002", 2)]:
        messages_page, _ = history(api, chat, f"limit={limit}")
        assert len(messages_page) == count, limit


def test_a_cursor_that_is_not_an_id_is_refused_400(api: Api, chat: str) -> None:
    for name in ("cursor", "after"):
        answer = api("GET", f"/chats/{chat}/messages", query=f"{name}=not%20an%20id")
        assert (answer.status, answer.error) == (400, ("bad_request", f"invalid {name}")), name


def test_the_history_of_a_chat_the_caller_is_not_in_is_404(api: Api, chat: str) -> None:
    send(chat, "bob", "secret")
    answer = api("GET", f"/chats/{chat}/messages", user="eve")
    assert (answer.status, answer.error) == (404, ("not_found", "no such chat"))


def test_the_history_of_a_chat_that_does_not_exist_is_404(api: Api) -> None:
    for chat_id in ["01JDQ8Y7C3W2ZK3T0M4V9N6B2E", "no such chat", "x" * 129]:
        answer = api("GET", f"/chats/{chat_id}/messages")
        assert (answer.status, answer.error) == (404, ("not_found", "no such chat")), chat_id
