"""Events out through the emulator, as `switchboard local --parameter-overrides
EventFamilies=all --add-template examples/push-notifications/template.yaml` runs them:
every family reaches a rule's target on the stack's bus with its documented detail,
message.undelivered names exactly the members without a live connection, and the
push-notification example is invoked with it.

One emulator for the module (stage "events") shares the session's moto and Redis; a
test snippet adds a function that records every event it receives.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import ROOT, TEMPLATE
from tests.waits import TIMEOUT, after
from tests.wsclient import ChatClient

RECORDER = Path(__file__).parent / "fixtures" / "event_recorder" / "template.yaml"
PUSH_EXAMPLE = ROOT / "examples" / "push-notifications" / "template.yaml"

# The detail of each event, as docs/events.md documents it (version 1).
DETAIL_FIELDS = {
    "connection.opened": {"connectionId", "userId", "stage", "connectedAt", "sourceIp"},
    "connection.closed": {"connectionId", "userId", "stage", "reason"},
    "user.online": {"userId", "onlineAt"},
    "user.offline": {"userId", "lastSeen"},
    "message.created": {
        "chatId", "messageId", "senderId", "createdAt", "body", "clientMessageId", "attachments",
        "call",
    },
    "message.edited": {
        "chatId", "messageId", "senderId", "createdAt", "body", "editedAt", "messageVersion",
    },
    "message.deleted": {"chatId", "messageId", "senderId", "createdAt", "deletedBy", "deletedAt"},
    "message.undelivered": {
        "chatId", "messageId", "senderId", "createdAt", "body", "attachments", "call", "userIds",
    },
    "chat.created": {"chatId", "name", "createdBy", "createdAt"},
    "chat.member.added": {"chatId", "userId", "role", "joinedAt"},
    "chat.member.removed": {"chatId", "userId"},
}  # fmt: skip


class Relayed(logging.Handler):
    """The lines the functions write, as the emulator relays them ("[Function] line")."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.changed = threading.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        with self.changed:
            self.lines.append(record.getMessage())
            self.changed.notify_all()

    def documents(self, function: str, marker: str) -> list[dict[str, Any]]:
        prefix = f"[{function}] "
        with self.changed:
            lines = list(self.lines)
        found = []
        for line in lines:
            if line.startswith(prefix) and marker in line:
                text = line[len(prefix) :]
                found.append(json.loads(text[text.index("{") :]))
        return found


class Stack:
    def __init__(self, emulator: Any, relayed: Relayed) -> None:
        self.emulator = emulator
        self.relayed = relayed
        self.http = httpx.Client(base_url=emulator.rest_url, timeout=after(5))

    def call(self, user_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {self.emulator.token(user_id)}"}
        return self.http.request(method, path, headers=headers, **kwargs)

    def connect(self, user_id: str) -> ChatClient:
        client = ChatClient(self.emulator.websocket_url, self.emulator.token(user_id))
        client.request("hello")
        return client

    def recorded(self, predicate: Callable[[dict[str, Any]], bool], count: int = 1) -> list[Any]:
        """The events the recorder received that match, once there are ``count`` of them
        (what EventBridge delivered: the stream read, the rule matched, the target run)."""
        with self.relayed.changed:
            found: list[dict[str, Any]] = []

            def enough() -> bool:
                found[:] = [
                    e
                    for e in self.relayed.documents("EventRecorderFunction", "RECORDED")
                    if predicate(e)
                ]
                return len(found) >= count

            assert self.relayed.changed.wait_for(enough, after(5)), found
        return found


@pytest.fixture(scope="module")
def stack(emulator: Any) -> Iterator[Stack]:
    from infra.emulator import Emulator

    relayed = Relayed()
    logger = logging.getLogger("switchboard.lambda")
    level = logger.level
    logger.setLevel(logging.INFO)  # the relay's level
    logger.addHandler(relayed)
    emu = Emulator(
        TEMPLATE,
        stage="events",
        schedules=False,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
        parameter_overrides={"EventFamilies": "all"},
        snippets=[PUSH_EXAMPLE, RECORDER],
    )
    emu.start()
    stack = Stack(emu, relayed)
    try:
        yield stack
    finally:
        stack.http.close()
        emu.stop()
        logger.removeHandler(relayed)
        logger.setLevel(level)


def of(name: str, **fields: Any) -> Callable[[dict[str, Any]], bool]:
    def matches(event: dict[str, Any]) -> bool:
        detail = event.get("detail") or {}
        return event.get("detail-type") == name and all(
            detail.get(k) == v for k, v in fields.items()
        )

    return matches


def assert_documented(event: dict[str, Any]) -> None:
    """The envelope EventBridge delivers, and exactly the documented detail."""
    assert event["source"] == "switchboard"
    assert {"version", "id", "detail-type", "source", "account", "time", "region"} <= set(event)
    detail = event["detail"]
    assert detail["version"] == 1
    assert set(detail) - {"version"} == DETAIL_FIELDS[event["detail-type"]]


def test_connections_and_users_come_and_go(stack: Stack, user: Callable[[str], str]) -> None:
    alice = user("alice")
    phone = stack.connect(alice)
    laptop = stack.connect(alice)
    (online,) = stack.recorded(of("user.online", userId=alice))
    opened = stack.recorded(of("connection.opened", userId=alice), count=2)
    laptop.close()
    (closed,) = stack.recorded(of("connection.closed", userId=alice))
    assert closed["detail"]["reason"] == "disconnected"
    phone.close()
    (offline,) = stack.recorded(of("user.offline", userId=alice))
    stack.recorded(of("connection.closed", userId=alice), count=2)
    assert stack.recorded(of("user.online", userId=alice)) == [online]  # once, first device
    for event in (online, *opened, closed, offline):
        assert_documented(event)


def test_chats_members_and_messages(stack: Stack, user: Callable[[str], str]) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    created = stack.call(alice, "POST", "/chats", json={"members": [bob], "name": "plans"})
    chat_id = created.json()["id"]
    (chat,) = stack.recorded(of("chat.created", chatId=chat_id))
    assert (chat["detail"]["name"], chat["detail"]["createdBy"]) == ("plans", alice)
    added = stack.recorded(of("chat.member.added", chatId=chat_id), count=2)
    assert sorted(e["detail"]["userId"] for e in added) == sorted([alice, bob])
    assert stack.call(alice, "POST", f"/chats/{chat_id}/members", json={"userId": carol})
    stack.recorded(of("chat.member.added", chatId=chat_id), count=3)
    assert stack.call(alice, "DELETE", f"/chats/{chat_id}/members/{carol}").status_code == 204
    (removed,) = stack.recorded(of("chat.member.removed", chatId=chat_id))
    assert removed["detail"]["userId"] == carol

    sender = stack.connect(alice)
    sent = sender.request("message:send", {"chatId": chat_id, "body": "draft"})["data"]
    sender.request("message:react", {"chatId": chat_id, "messageId": sent["id"], "emoji": "👍"})
    sender.request("message:edit", {"chatId": chat_id, "messageId": sent["id"], "body": "final"})
    sender.request("message:delete", {"chatId": chat_id, "messageId": sent["id"]})
    (new,) = stack.recorded(of("message.created", messageId=sent["id"]))
    (edited,) = stack.recorded(of("message.edited", messageId=sent["id"]))
    (deleted,) = stack.recorded(of("message.deleted", messageId=sent["id"]))
    assert (new["detail"]["body"], edited["detail"]["body"]) == ("draft", "final")
    assert deleted["detail"]["deletedBy"] == alice
    for event in (chat, *added, removed, new, edited, deleted):
        assert_documented(event)
    sender.close()


def test_undelivered_names_exactly_the_members_without_a_live_connection(
    stack: Stack, user: Callable[[str], str]
) -> None:
    alice, bob, carol, dave = user("alice"), user("bob"), user("carol"), user("dave")
    created = stack.call(alice, "POST", "/chats", json={"members": [bob, carol, dave]})
    chat_id = created.json()["id"]
    sender, bobs = stack.connect(alice), stack.connect(bob)
    sent = sender.request("message:send", {"chatId": chat_id, "body": "anyone around?"})["data"]
    (event,) = stack.recorded(of("message.undelivered", messageId=sent["id"]))
    assert_documented(event)
    assert event["detail"]["userIds"] == sorted([carol, dave])
    assert event["detail"]["body"] == "anyone around?"

    # The push-notification example heard it and would push to exactly those two.
    def pushes() -> list[dict[str, Any]]:
        found = stack.relayed.documents("PushNotificationFunction", '"msg": "push"')
        return [p for p in found if p["messageId"] == sent["id"]]

    with stack.relayed.changed:
        assert stack.relayed.changed.wait_for(lambda: len(pushes()) == 2, after(5))
    assert sorted(p["userId"] for p in pushes()) == sorted([carol, dave])
    assert {p["notification"]["title"] for p in pushes()} == {alice}

    # Everyone online: no undelivered event for the next message.
    carols, daves = stack.connect(carol), stack.connect(dave)
    second = sender.request("message:send", {"chatId": chat_id, "body": "hi all"})["data"]
    stack.recorded(of("message.created", messageId=second["id"]))
    stack.emulator.streams.wait_idle(TIMEOUT)
    stack.emulator.async_invocations.wait_idle(TIMEOUT)
    assert stack.recorded(of("message.undelivered", chatId=chat_id)) == [event]
    for client in (sender, bobs, carols, daves):
        client.close()


def test_every_family_was_put_on_the_stacks_own_bus(stack: Stack) -> None:
    names = {put.detail_type for put in stack.emulator.eventbridge.events()}
    assert names >= set(DETAIL_FIELDS)
    assert {put.bus for put in stack.emulator.eventbridge.events()} == {"switchboard-events"}
