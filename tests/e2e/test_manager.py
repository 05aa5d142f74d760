"""The manager API, called from server-side code running in a function's environment
(as another Lambda would), against the emulator's DynamoDB, Redis and Management API."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from typing import Any

from tests.wsclient import ChatClient


def in_function(emulator: Any, code: str) -> Any:
    """Run ``code`` with the ApiFunction's Lambda environment; it sets ``result``."""
    from infra.runtime.pools import lambda_environment

    env = lambda_environment(emulator.template.functions["ApiFunction"], emulator.runtime.settings)
    script = "import json\n" + textwrap.dedent(code) + "\nprint(json.dumps(result))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_presence_reads_and_stats(
    emulator: Any,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = create_chat(alice, bob, carol)
    connect(alice).request("hello")
    connect(alice).request("hello")
    connect(bob).request("hello")
    result = in_function(
        emulator,
        f"""
        from shared import manager
        result = {{
            "online": [manager.is_user_online(u) for u in ({alice!r}, {bob!r}, {carol!r})],
            "chat": sorted(u["userId"] for u in manager.get_chat_users({chat_id!r})),
            "stats": manager.get_stats(),
        }}
        """,
    )
    assert result["online"] == [True, True, False]
    assert result["chat"] == sorted([alice, bob])
    stats = result["stats"]
    assert stats["source"] == "redis"
    assert stats["connections"] >= 3
    assert stats["onlineUsers"] >= 2
    assert stats["stages"]["test"] >= 3


def test_send_to_user_broadcast_to_chat_and_disconnect_user(
    emulator: Any,
    connect: Callable[..., ChatClient],
    create_chat: Callable[..., str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = create_chat(alice, bob)
    phone, laptop, bobs = connect(alice), connect(alice), connect(bob)
    for client in (phone, laptop, bobs):
        client.request("hello")
    result = in_function(
        emulator,
        f"""
        from shared import manager
        from shared.protocol import Event
        to_user = manager.send_to_user({alice!r}, Event.MESSAGE_NEW, {{"note": "for alice"}})
        to_chat = manager.broadcast_to_chat({chat_id!r}, Event.MESSAGE_NEW, {{"note": "all"}})
        result = {{"user": to_user.as_dict(), "chat": to_chat.as_dict()}}
        """,
    )
    assert result["user"] == {"delivered": 2, "gone": 0, "failed": 0}
    assert result["chat"] == {"delivered": 3, "gone": 0, "failed": 0}
    for client in (phone, laptop):
        assert client.wait_event("message:new")["data"] == {"note": "for alice"}
    assert bobs.wait_event("message:new")["data"] == {"note": "all"}

    closed = in_function(
        emulator,
        f"""
        from shared import manager
        result = manager.disconnect_user({alice!r})
        """,
    )
    assert closed == 2
    for client in (phone, laptop):
        client.drain(1.0)
        assert client.ws.close_code is not None
    assert bobs.request("hello")["event"] == "connection:success"
