"""shared.calls.notify: a user's devices (but one), and a call's peers (but one)."""

from __future__ import annotations

from shared import config
from shared.calls import notify
from shared.state.calls import Call, Peer
from shared.store import connections


def test_devices_are_every_connection_of_each_user_but_the_excluded(
    domain: config.Settings,
) -> None:
    for connection_id, user_id in [("a-1", "alice"), ("a-2", "alice"), ("b-1", "bob")]:
        connections.register(connection_id, user_id, 1_000, "203.0.113.9")
    assert sorted(notify.devices(["alice", "bob"], exclude_connection="a-1")) == ["a-2", "b-1"]
    assert notify.devices(["nobody"]) == []


def test_peers_are_the_calls_connections_but_the_excluded_peer() -> None:
    peers = {p.peer_id: p for p in (Peer("P1", "alice", "a-1", 0), Peer("P2", "bob", "b-1", 0))}
    call = Call("C", "chat", "audio", "alice", 0, 30, "k", peers=peers)
    assert notify.peers(call) == ["a-1", "b-1"]
    assert notify.peers(call, exclude_peer="P1") == ["b-1"]
