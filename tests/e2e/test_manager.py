"""The manager API, called in-process by server-side code with a function's environment
(as another Lambda would), against the emulator's DynamoDB, Redis and Management API."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared import config, manager
from shared.protocol import Event
from tests.wsclient import ChatClient

HOST_ONLY = {"PATH", "HOME", "LANG", "TZ", "PYTHONPATH"}


@pytest.fixture
def as_function(emulator: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process gets the ApiFunction's Lambda environment (tables, Redis, Management
    endpoint, credentials); settings are read again from it, and restored after."""
    from infra.runtime.pools import lambda_environment

    env = lambda_environment(emulator.template.functions["ApiFunction"], emulator.runtime.settings)
    for name, value in env.items():
        if name not in HOST_ONLY:
            monkeypatch.setenv(name, value)
    config.reload()
    yield
    monkeypatch.undo()
    config.reload()


def test_presence_reads_and_stats(
    as_function: None,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)
    connect(alice).request("hello")
    connect(alice).request("hello")
    connect(bob).request("hello")
    assert [manager.is_user_online(u) for u in (alice, bob, carol)] == [True, True, False]
    assert sorted(u["userId"] for u in manager.get_chat_users(chat_id)) == sorted([alice, bob])
    stats = manager.get_stats()
    assert stats["source"] == "redis"
    assert stats["connections"] >= 3
    assert stats["onlineUsers"] >= 2
    assert stats["stages"]["test"] >= 3


def test_send_to_user_broadcast_to_chat_and_disconnect_user(
    as_function: None,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = connect(alice), connect(alice), connect(bob)
    for client in (phone, laptop, bobs):
        client.request("hello")
    to_user = manager.send_to_user(alice, Event.MESSAGE_NEW, {"note": "for alice"})
    to_chat = manager.broadcast_to_chat(chat_id, Event.MESSAGE_NEW, {"note": "all"})
    assert to_user.as_dict() == {"delivered": 2, "gone": 0, "failed": 0}
    assert to_chat.as_dict() == {"delivered": 3, "gone": 0, "failed": 0}
    for client in (phone, laptop):
        assert client.wait_event("message:new")["data"] == {"note": "for alice"}
    assert bobs.wait_event("message:new")["data"] == {"note": "all"}

    assert manager.disconnect_user(alice) == 2
    for client in (phone, laptop):
        client.drain(1.0)
        assert client.ws.close_code is not None
    assert bobs.request("hello")["event"] == "connection:success"
