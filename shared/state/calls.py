"""Calls in Redis: each call one JSON record that expires by itself, changed atomically.

Keys:

- ``call:{callId}``: the call (``Call``). Its TTL is the ring timeout plus a minute while
  it rings and ``ACTIVE_TTL_SECONDS`` once answered, set again by every change, so a call
  that no function ever touches again (a crashed function, a lost timer) is gone within
  that time.
- ``call-user:{userId}``: the call a user takes part in, so an invite to them answers
  ``busy`` and they cannot be in two calls at once. Same TTL as the call.
- ``call-connection:{connectionId}``: the call a connection is a peer of, read by
  ``$disconnect`` (one GET) to start the participant's grace period.

Why Redis and not DynamoDB: a call lives for seconds to hours and must stop ringing on
time; Redis TTLs are exact to the second, DynamoDB's TTL deletes up to days late. What
must outlive a call (that it happened, when, how long) is the call's message in the
chat's history (shared/calls/history.py), in DynamoDB. A Redis loss ends the calls'
signalling (peers already connected keep their media, which never passes here).

Every change is an optimistic transaction (WATCH the call and the users' keys, read,
decide in Python, MULTI/EXEC), retried when another change got there first: two devices
accepting at once, or an accept racing the ring timeout, resolve to one winner.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, TypeVar

from shared import errors
from shared.state import redis_client

if TYPE_CHECKING:
    import redis

T = TypeVar("T")
ACTIVE_TTL_SECONDS = 3 * 60 * 60  # beyond a connection's 2 hours: a renewal rejoins
RINGING_MARGIN_SECONDS = 60
MAX_ATTEMPTS = 10


def call_key(call_id: str) -> str:
    return f"call:{call_id}"


def user_key(user_id: str) -> str:
    return f"call-user:{user_id}"


def connection_key(connection_id: str) -> str:
    return f"call-connection:{connection_id}"


@dataclass
class Peer:
    """One device in a call: a peer connection of the mesh, addressed by ``peer_id``."""

    peer_id: str
    user_id: str
    connection_id: str
    joined_at: int  # epoch ms
    screen: bool = False


@dataclass
class Call:
    id: str
    chat_id: str
    media: str  # audio | video
    inviter: str
    created_at: int  # epoch ms
    ring_seconds: int
    message_key: str  # its message's table key (dedupKey): updates need no lookup
    answered_at: int | None = None
    ringing: list[str] = field(default_factory=list)  # invited users not yet answered
    declined: list[str] = field(default_factory=list)
    peers: dict[str, Peer] = field(default_factory=dict)
    ended: bool = False  # set by the change that ends it; the record is then deleted

    @property
    def active(self) -> bool:
        return self.answered_at is not None

    def users(self) -> set[str]:
        return {peer.user_id for peer in self.peers.values()}

    def peer_of(self, connection_id: str) -> Peer | None:
        return next((p for p in self.peers.values() if p.connection_id == connection_id), None)

    def ttl(self) -> int:
        return ACTIVE_TTL_SECONDS if self.active else self.ring_seconds + RINGING_MARGIN_SECONDS

    def to_json(self) -> str:
        return json.dumps(asdict(self), separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> Call:
        data = json.loads(raw)
        data["peers"] = {k: Peer(**v) for k, v in data.get("peers", {}).items()}
        return cls(**data)


def load(call_id: str) -> Call | None:
    """The call, or None (never was, ended or expired): one round trip."""
    raw = redis_client.call(lambda r: r.get(call_key(call_id)))
    return Call.from_json(str(raw)) if raw else None


def call_of_connection(connection_id: str) -> str | None:
    """The call a connection is a peer of (its id), or None: one round trip."""
    found = redis_client.call(lambda r: r.get(connection_key(connection_id)))
    return str(found) if found else None


def busy_users(user_ids: Iterable[str]) -> set[str]:
    """The users among ``user_ids`` who are in a call now: one round trip."""
    users = list(user_ids)
    if not users:
        return set()
    found = redis_client.call(lambda r: r.mget([user_key(u) for u in users]))
    return {user for user, call_id in zip(users, found, strict=True) if call_id}


def create(call: Call) -> None:
    """Store a new call, its inviter's peer included; ``Conflict`` if the inviter is
    already in a call. One transaction."""
    [inviter] = call.peers.values()

    def run(pipe: redis.client.Pipeline) -> None:
        if pipe.get(user_key(inviter.user_id)):
            raise errors.Conflict("you are already in a call")
        pipe.multi()
        _write(pipe, call, {}, {})

    _transaction(run, [user_key(inviter.user_id)])


def _write(
    pipe: redis.client.Pipeline, call: Call, before: dict[str, Peer], owners: dict[str, Any]
) -> None:
    """Queue the writes that leave Redis as ``call`` says: the record (deleted once the
    call ended), and the connection and user keys of its peers; the keys of peers that
    left (or moved to another connection) are deleted, a user's only while it still
    names this call (``owners``: user id -> the call id their key held)."""
    peers = {} if call.ended else call.peers
    staying = {p.user_id for p in peers.values()}
    for peer_id, old in before.items():
        new = peers.get(peer_id)
        if new is None or new.connection_id != old.connection_id:
            pipe.delete(connection_key(old.connection_id))
        if old.user_id not in staying and owners.get(old.user_id) == call.id:
            pipe.delete(user_key(old.user_id))
    if call.ended:
        pipe.delete(call_key(call.id))
        return
    ttl = call.ttl()
    pipe.set(call_key(call.id), call.to_json(), ex=ttl)
    for peer in peers.values():
        pipe.set(connection_key(peer.connection_id), call.id, ex=ttl)
        pipe.set(user_key(peer.user_id), call.id, ex=ttl)


def _transaction(run: Callable[[Any], T], watched: list[str]) -> T:
    """``run(pipe)`` under WATCH of ``watched`` (and whatever it watches itself), retried
    when a watched key changed before EXEC."""
    import redis

    def attempt(r: redis.Redis) -> T:
        for _ in range(MAX_ATTEMPTS):
            with r.pipeline() as pipe:
                try:
                    pipe.watch(*watched)  # type: ignore[no-untyped-call]  # redis-py
                    result = run(pipe)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue
        raise errors.Conflict("the call is changing too fast; try again")

    return redis_client.call(attempt)


def change(call_id: str, decide: Callable[[Call], T], joining: str | None = None) -> T:
    """Apply ``decide`` to the call atomically and store what it leaves (deleted once it
    set ``ended``). ``decide`` raises a domain error to refuse (nothing is written); it
    may add, remove or move peers. ``joining``: a user about to become a peer, refused
    with ``Conflict`` when they are in another call. ``NotFound``: no such call."""
    key = call_key(call_id)

    def run(pipe: redis.client.Pipeline) -> T:
        raw = pipe.get(key)
        if not raw:
            raise errors.NotFound("no such call")
        call = Call.from_json(str(raw))
        before = {peer_id: replace(peer) for peer_id, peer in call.peers.items()}  # copies
        users = sorted({p.user_id for p in before.values()} | ({joining} if joining else set()))
        owners: dict[str, Any] = {}
        if users:
            pipe.watch(*(user_key(u) for u in users))  # type: ignore[no-untyped-call]  # redis-py
            owners = dict(zip(users, pipe.mget([user_key(u) for u in users]), strict=True))
        if joining and owners.get(joining) not in (None, call_id):
            raise errors.Conflict("already in another call")
        result = decide(call)
        pipe.multi()
        _write(pipe, call, before, owners)
        return result

    return _transaction(run, [key])
