"""The message list under sharded delivery: a chat's frames (``message:new`` and the
``message:edited`` / ``message:deleted`` / ``message:reaction`` of its messages) arriving
in any order and any number of times. The list is in id order, each id once, each message
at its newest version; an event is raised for a copy only when it changed something.

Most tests feed frames straight into the store, or into a client through the scripted
fake server (not the emulator, which delivers in order); the last one runs against the
emulator.
"""

from __future__ import annotations

import copy
import itertools
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

from switchboard_client import SwitchboardClient
from switchboard_client.messages import PENDING_LIMIT, Change, MessageStore
from switchboard_client.resume import lowest_id
from tests.client.conftest import FAST, OpenDevice, Recorder
from tests.client.fakeserver import FakeServer, ack

T0 = 4_000_000_000_000  # epoch ms: after any stream start (ids older than it are history)
CHAT = "c1"


def mid(n: int) -> str:
    """The id of the n-th message (ids sort as n does, like the server's ULIDs)."""
    return lowest_id(T0 + n)[:-1] + "1"


class Chat:
    """The server's side of one chat: every change bumps the message's version; each
    returns the frame the fan-out would push, ``(event, data)``."""

    def __init__(self, chat_id: str = CHAT) -> None:
        self.chat_id = chat_id
        self.state: dict[str, dict[str, Any]] = {}

    def send(self, n: int, sender: str = "bob") -> tuple[str, dict[str, Any]]:
        message = {
            "id": mid(n),
            "chatId": self.chat_id,
            "senderId": sender,
            "body": f"message {n}",
            "createdAt": "2026-05-01T10:00:00.000Z",
            "clientMessageId": f"cm{n}",
            "version": 1,
            "editedAt": None,
            "deleted": False,
            "reactions": {},
        }
        self.state[message["id"]] = message
        return "message:new", copy.deepcopy(message)

    def edit(self, n: int, body: str) -> tuple[str, dict[str, Any]]:
        old = self.state[mid(n)]
        assert not old["deleted"]
        self.state[mid(n)] = new = {
            **old,
            "body": body,
            "editedAt": "2026-05-01T10:01:00.000Z",
            "version": old["version"] + 1,
        }
        return "message:edited", copy.deepcopy(new)

    def react(self, n: int, emoji: str, user: str, added: bool = True) -> tuple[str, dict]:
        old = self.state[mid(n)]
        assert not old["deleted"]
        users = set(old["reactions"].get(emoji, {}).get("users", []))
        users = users | {user} if added else users - {user}
        reactions = {k: v for k, v in old["reactions"].items() if k != emoji}
        if users:
            reactions[emoji] = {"count": len(users), "users": sorted(users)}
        reactions = dict(sorted(reactions.items()))
        self.state[mid(n)] = {**old, "reactions": reactions, "version": old["version"] + 1}
        data = {
            "chatId": self.chat_id,
            "messageId": mid(n),
            "emoji": emoji,
            "userId": user,
            "added": added,
            "reactions": copy.deepcopy(reactions),
            "version": old["version"] + 1,
        }
        return "message:reaction", data

    def delete(self, n: int, by: str = "bob") -> tuple[str, dict[str, Any]]:
        old = self.state[mid(n)]
        self.state[mid(n)] = {
            **old,
            "body": None,
            "deleted": True,
            "reactions": {},
            "version": old["version"] + 1,
        }
        data = {
            "chatId": self.chat_id,
            "messageId": mid(n),
            "deletedBy": by,
            "deletedAt": "2026-05-01T10:02:00.000Z",
            "version": old["version"] + 1,
        }
        return "message:deleted", data

    def expected(self) -> list[dict[str, Any]]:
        return [self.state[i] for i in sorted(self.state)]


def busy_chat() -> tuple[Chat, list[tuple[str, dict[str, Any]]]]:
    """Six messages and a dozen changes of them: edits, reactions, deletes, an edit
    followed by a reaction (the reaction carries no body), a delete after an edit."""
    chat = Chat()
    frames = [chat.send(n) for n in range(1, 7)]
    frames += [
        chat.edit(2, "two, edited"),
        chat.react(2, "👍", "alice"),  # v3: overtakes the edit, carries no body
        chat.edit(3, "three, edited"),
        chat.delete(3),  # v3: a late edit v2 must not bring the body back
        chat.react(4, "🎉", "alice"),
        chat.react(4, "🎉", "carol"),
        chat.react(4, "🎉", "alice", added=False),
        chat.edit(5, "five, once"),
        chat.edit(5, "five, twice"),
        chat.react(6, "👍", "carol"),
        chat.delete(6, by="alice"),
    ]
    return chat, frames


def feed(store: MessageStore, event: str, data: dict[str, Any]) -> Change:
    if event in ("message:new", "message:edited"):
        return store.put(data)[1]
    if event == "message:deleted":
        return store.deleted(data)
    return store.reaction(data)


def shown(message: dict[str, Any]) -> tuple[Any, ...]:
    """What a screen shows of a message (editedAt only while not deleted: a delete that
    overtook the message itself cannot tell when it had been edited)."""
    return (
        message["id"],
        message["body"],
        message["deleted"],
        message["reactions"],
        message["version"],
        None if message["deleted"] else message["editedAt"],
    )


def shuffled_with_copies(frames: list[Any], rng: random.Random) -> list[Any]:
    """Every frame at least once, a third of them twice or three times, in any order."""
    copies = list(frames) + [
        f for f in frames if rng.random() < 0.33 for _ in range(rng.randint(1, 2))
    ]
    rng.shuffle(copies)
    return [copy.deepcopy(f) for f in copies]


# ------------------------------------------------------------------ the store alone


def test_messages_are_listed_in_id_order_whatever_the_arrival_order() -> None:
    chat = Chat()
    frames = [chat.send(n) for n in range(1, 6)]
    for order in itertools.permutations(frames):
        store = MessageStore()
        for event, data in order:
            assert feed(store, event, data) is Change.CHANGED
            ids = [m["id"] for m in store.messages(CHAT)]
            assert ids == sorted(ids), "the list is in id order after every arrival"
        for event, data in order:  # every one again: nothing changes, nothing moves
            assert feed(store, event, copy.deepcopy(data)) is Change.STALE
        assert store.messages(CHAT) == chat.expected()


def test_a_late_edit_never_brings_a_deleted_body_back() -> None:
    chat = Chat()
    frames = [chat.send(1), chat.edit(1, "edited"), chat.delete(1)]
    late_copy = copy.deepcopy(frames[1])
    for order in itertools.permutations([*frames, late_copy]):
        store = MessageStore()
        for event, data in order:
            feed(store, event, copy.deepcopy(data))
        [held] = store.messages(CHAT)
        assert shown(held) == shown(chat.expected()[0])
        assert held["body"] is None and held["deleted"] is True and held["version"] == 3


def test_an_edit_overtaken_by_a_reaction_still_brings_its_body() -> None:
    """The reaction (v3) carries no body, so the edit (v2) arriving after it is not stale:
    its body is newer than the one held, its reactions are not."""
    chat = Chat()
    new, edited, reacted = chat.send(1), chat.edit(1, "edited"), chat.react(1, "👍", "carol")
    store = MessageStore()
    assert feed(store, *new) is Change.CHANGED
    assert feed(store, *reacted) is Change.CHANGED
    assert feed(store, *edited) is Change.CHANGED
    assert feed(store, *copy.deepcopy(edited)) is Change.STALE
    [held] = store.messages(CHAT)
    assert held["body"] == "edited" and held["version"] == 3
    assert held["reactions"] == {"👍": {"count": 1, "users": ["carol"]}}


def test_updates_of_a_message_not_received_yet_wait_for_it() -> None:
    chat = Chat()
    new, reacted, deleted = chat.send(1), chat.react(1, "👍", "carol"), chat.delete(1)
    store = MessageStore()
    assert feed(store, *reacted) is Change.CHANGED  # kept, not listed
    assert feed(store, *copy.deepcopy(reacted)) is Change.STALE
    assert store.messages(CHAT) == [] and store.get(CHAT, mid(1)) is None
    assert feed(store, *deleted) is Change.CHANGED
    merged, change = store.put(new[1])
    assert change is Change.CHANGED
    assert shown(merged) == shown(chat.expected()[0])  # a tombstone at v3
    assert store.messages(CHAT) == [merged]


@pytest.mark.parametrize("seed", range(300))
def test_any_order_with_copies_converges_to_the_servers_state(seed: int) -> None:
    chat, frames = busy_chat()
    rng = random.Random(seed)
    store = MessageStore()
    for event, data in shuffled_with_copies(frames, rng):
        feed(store, event, data)
        ids = [m["id"] for m in store.messages(CHAT)]
        assert ids == sorted(set(ids))
    assert [shown(m) for m in store.messages(CHAT)] == [shown(m) for m in chat.expected()]


def test_the_list_keeps_the_newest_messages_up_to_its_limit() -> None:
    chat = Chat()
    frames = [chat.send(n) for n in range(1, 8)]
    store = MessageStore(limit=3)
    for event, data in [frames[6], frames[0], frames[4], frames[5], frames[1]]:
        feed(store, event, data)
    assert [m["id"] for m in store.messages(CHAT)] == [mid(5), mid(6), mid(7)]
    # Older than every message of a full list: not taken, and the store cannot tell.
    assert feed(store, *frames[2]) is Change.UNTRACKED
    assert feed(store, *chat.react(1, "👍", "carol")) is Change.UNTRACKED
    assert [m["id"] for m in store.messages(CHAT)] == [mid(5), mid(6), mid(7)]

    none = MessageStore(limit=0)
    assert feed(none, *frames[0]) is Change.UNTRACKED and none.messages(CHAT) == []
    with pytest.raises(ValueError):
        MessageStore(limit=-1)


def test_updates_waiting_for_their_message_are_bounded() -> None:
    store = MessageStore(limit=None)
    for n in range(PENDING_LIMIT + 10):
        data = {"chatId": CHAT, "messageId": mid(n), "reactions": {}, "version": 2}
        assert store.reaction(data) is Change.CHANGED
    # The oldest were forgotten: their message arriving later shows its own state.
    first, _ = store.put({**Chat().send(0)[1], "reactions": {"x": {"count": 1, "users": ["u"]}}})
    assert first["version"] == 1 and first["reactions"]
    last, _ = store.put({**Chat().send(PENDING_LIMIT + 9)[1]})
    assert last["version"] == 2


def test_copies_without_a_version_are_taken_in_arrival_order() -> None:
    store = MessageStore()
    store.put({"id": mid(1), "chatId": CHAT, "body": "one"})
    assert store.put({"id": mid(1), "chatId": CHAT, "body": "one, edited"})[1] is Change.CHANGED
    assert store.deleted({"chatId": CHAT, "messageId": mid(1)}) is Change.CHANGED
    assert store.get(CHAT, mid(1)) == {
        "id": mid(1),
        "chatId": CHAT,
        "body": None,
        "deleted": True,
        "reactions": {},
        "version": 1,
    }
    # Not messages: passed through untouched.
    assert store.put({"chatId": CHAT}) == ({"chatId": CHAT}, Change.UNTRACKED)
    assert store.deleted({"messageId": mid(1)}) is Change.UNTRACKED


# ------------------------------------------------------------------ through a client


async def push(server: FakeServer, frames: list[tuple[str, dict[str, Any]]]) -> None:
    connection = server.connections[-1]
    for event, data in frames:
        await connection.send(json.dumps({"event": event, "data": data}))
    # A marker after them: once it is delivered, so is everything before it.
    await connection.send(json.dumps({"event": "user:status", "data": {"userId": "marker"}}))


async def delivered(inbox: Recorder, markers: int) -> None:
    await inbox.wait(
        lambda: len([s for s in inbox.named("user:status") if s["userId"] == "marker"]) >= markers,
        "the frames to be delivered",
    )


@pytest.mark.anyio
@pytest.mark.parametrize("seed", range(6))
async def test_a_client_fed_frames_out_of_order_and_twice(
    fake_server: FakeServer, seed: int
) -> None:
    chat, frames = busy_chat()
    arrivals = shuffled_with_copies(frames, random.Random(seed))
    client = SwitchboardClient(fake_server.url, "t", backoff=FAST)
    inbox = Recorder(client)
    views: list[tuple[str, list[str]]] = []  # each message:new, and the list as it was then
    client.on(
        "message:new",
        lambda e: views.append((e.data["id"], [m["id"] for m in client.messages(CHAT)])),
    )
    async with client:
        await push(fake_server, arrivals)
        await delivered(inbox, 1)

        # The list: id order, each id once, each message as the server holds it.
        held = client.messages(CHAT)
        assert [shown(m) for m in held] == [shown(m) for m in chat.expected()]
        assert client.get_message(CHAT, mid(3)) == held[2]
        assert client.get_message(CHAT, "nope") is None

        # message:new: once per id, on the arrival of its first copy (not in id order),
        # carrying the message as held then, with the ordered list already holding it.
        first_arrivals = list(dict.fromkeys(d["id"] for e, d in arrivals if e == "message:new"))
        raised = inbox.message_ids(CHAT)
        assert sorted(raised) == sorted(chat.state) and len(raised) == len(set(raised))
        assert raised == first_arrivals
        for message_id, listed in views:
            assert message_id in listed and listed == sorted(set(listed))

        # Updates: a copy that changed nothing is not raised (so no more events than
        # distinct frames, and each delete once). Per message, what is raised never goes
        # back a version, and nothing raised after its delete shows a body.
        raised_updates = [(e.name, e.data) for e in inbox.events if e.name.startswith("message:")]
        assert len(raised_updates) <= len(frames), "a duplicate was raised"
        deletes = [d["messageId"] for d in inbox.named("message:deleted")]
        assert sorted(deletes) == [mid(3), mid(6)]
        for message_id in chat.state:
            about = [
                d for _, d in raised_updates if message_id in (d.get("id"), d.get("messageId"))
            ]
            versions = [d["version"] for d in about]
            assert versions == sorted(versions), (message_id, about)
            gone = [i for i, d in enumerate(about) if d.get("messageId") and "deletedBy" in d]
            for d in about[gone[0] if gone else len(about) :]:
                assert d.get("body") is None, (message_id, about)

        # Every copy again: nothing is raised, nothing moves.
        before = len(inbox.events)
        await push(fake_server, [copy.deepcopy(f) for f in frames])
        await delivered(inbox, 2)
        assert [e.name for e in inbox.events[before:]] == ["user:status"]
        assert client.messages(CHAT) == held


@pytest.mark.anyio
async def test_a_late_edit_after_a_delete_is_neither_raised_nor_shown(
    fake_server: FakeServer,
) -> None:
    chat = Chat()
    new, edited, deleted = chat.send(1), chat.edit(1, "edited"), chat.delete(1)
    client = SwitchboardClient(fake_server.url, "t", backoff=FAST)
    inbox = Recorder(client)
    async with client:
        await push(fake_server, [deleted, new, edited, copy.deepcopy(edited), deleted])
        await delivered(inbox, 1)
    names = [e.name for e in inbox.events if e.name.startswith("message:")]
    assert names == ["message:deleted", "message:new"]
    [raised] = inbox.messages(CHAT)
    assert raised["deleted"] is True and raised["body"] is None and raised["version"] == 3
    [held] = client.messages(CHAT)
    assert held == raised


@pytest.mark.anyio
async def test_a_catch_up_merges_with_what_arrived_live_out_of_order(
    fake_server: FakeServer,
) -> None:
    """Live: 3 then 1. Dropped; the sync answers 1, 2, 3 edited, 4 (out of order, as pages
    may be), and on the new connection 4 and 5 come live, 5 before the catch-up ends."""
    chat = Chat()
    news = {n: chat.send(n) for n in range(1, 6)}
    _, three_edited = chat.edit(3, "three, edited")

    async def answer(frame: dict[str, Any], server: FakeServer, connection: Any) -> bool:
        if frame["action"] != "sync":
            return False
        await connection.send(json.dumps({"event": "message:new", "data": news[5][1]}))
        messages = [news[4][1], three_edited, news[1][1], news[2][1]]
        await connection.send(
            ack(frame, {"chats": {CHAT: {"messages": messages, "hasMore": False}}, "unknown": []})
        )
        await connection.send(json.dumps({"event": "message:new", "data": news[4][1]}))
        return True

    client = SwitchboardClient(fake_server.url, "t", backoff=FAST, rest_url=None)
    inbox = Recorder(client)
    async with client:
        await push(fake_server, [news[3], news[1]])
        await delivered(inbox, 1)
        fake_server.handler = answer
        await client.reconnect()
        await inbox.wait_count("client:resumed", 1)
        await inbox.wait_ids([mid(5)])
        assert [m["id"] for m in client.messages(CHAT)] == [mid(n) for n in range(1, 6)]
        assert client.get_message(CHAT, mid(3))["body"] == "three, edited"
    assert inbox.message_ids(CHAT) == [mid(3), mid(1), mid(2), mid(4), mid(5)]
    assert [m["version"] for m in inbox.named("message:edited")] == [2]


@pytest.mark.anyio
async def test_own_requests_and_mark_seen_join_the_list(fake_server: FakeServer) -> None:
    chat = Chat()
    _, history = chat.send(1)
    _, theirs = chat.send(3)
    stored = {**chat.send(2, sender="fake")[1]}
    _, edited = chat.edit(2, "mine, edited")
    _, reacted = chat.react(1, "👍", "fake")

    async def answer(frame: dict[str, Any], server: FakeServer, connection: Any) -> bool:
        replies = {"message:send": stored, "message:edit": edited, "message:react": reacted}
        if frame["action"] not in replies:
            return False
        await connection.send(ack(frame, replies[frame["action"]]))
        return True

    fake_server.handler = answer
    client = SwitchboardClient(fake_server.url, "t", backoff=FAST)
    inbox = Recorder(client)
    async with client:
        await push(fake_server, [("message:new", theirs)])
        await delivered(inbox, 1)
        await client.edit_message(CHAT, mid(2), "mine, edited")  # its ack comes first...
        await client.send_message(CHAT, "message 2")  # ...the send's after: not older
        client.mark_seen([history])
        await client.react(CHAT, mid(1), "👍")
        assert [shown(m) for m in client.messages(CHAT)] == [shown(m) for m in chat.expected()]
    assert inbox.message_ids(CHAT) == [mid(3)]  # acks and mark_seen raise nothing


# ------------------------------------------------------------------ against the emulator


@pytest.mark.anyio
async def test_both_ends_list_the_same_messages_as_the_history(
    device: OpenDevice,
    create_chat: Callable[..., str],
    user: Any,
    api: Callable[..., Any],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    a, b = await device(alice), await device(bob)
    sent = [await a.client.send_message(chat_id, f"line {n}") for n in range(4)]
    reply = await b.client.send_message(chat_id, "reply")
    await a.client.edit_message(chat_id, sent[1]["id"], "line 1, edited")
    await b.client.react(chat_id, sent[1]["id"], "👍")
    await a.client.delete_message(chat_id, sent[2]["id"])
    await b.client.reconnect()  # a drop: the catch-up's overlap comes again
    await b.inbox.wait_count("client:resumed", 1)
    await a.client.react(chat_id, reply["id"], "🎉")
    await b.inbox.wait_count("message:reaction", 1)
    await a.inbox.wait_count("message:reaction", 1)

    response = api(alice, "GET", f"/chats/{chat_id}/messages", params={"limit": 100})
    stored = list(reversed(response.json()["messages"]))
    assert [shown(m) for m in a.client.messages(chat_id)] == [shown(m) for m in stored]
    assert [shown(m) for m in b.client.messages(chat_id)] == [shown(m) for m in stored]
    assert stored[2]["deleted"] and stored[1]["version"] == 3
    assert len(b.inbox.message_ids(chat_id)) == len(set(b.inbox.message_ids(chat_id))) == 4
