"""A call's transitions: what each action or timer changes, and who hears of it.

Every change to the call is one atomic Redis transaction (shared/state/calls.py) whose
``decide`` refuses with a domain error before anything is written; what is announced is
decided from the call as that transaction left it. A change that ends the call settles
its history message first, then announces the end: whoever hears ``call:ended``
(``call:missed``, ``call:cancelled``) can read the history and find it settled. Who hears what:

| change | peers | the user's other devices | ringing devices | history |
| --- | --- | --- | --- | --- |
| invite | | | ``call:ringing`` | ``message:new`` (ringing) |
| accept | ``call:joined`` | ``call:answered-elsewhere`` | | first answer: active |
| decline | ``call:declined`` | ``call:declined`` | | last invitee: declined |
| cancel | | | ``call:cancelled`` | cancelled |
| join | ``call:joined`` | | | |
| leave, grace over | ``call:left`` (+ ``call:ended``) | | (``call:cancelled``) | last peer: ended |
| ring timeout | ``call:missed`` (+ ``call:ended``) | | ``call:missed`` | missed |
| signal | the one peer named: ``call:signal`` | | | |
| screen | ``call:screen`` | | | |
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from shared import clock, errors, ids, protocol
from shared.calls import history, ice, notify, timers
from shared.config import settings
from shared.delivery import fanout
from shared.protocol import Event
from shared.state import calls
from shared.state.calls import Call, Peer
from shared.store import chats

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Device:
    """Who acts: a user on one connection, and where to post to connections."""

    connection_id: str
    user_id: str
    endpoint: str


# ---------------------------------------------------------------- wire shapes


def peer_to_wire(peer: Peer) -> dict[str, Any]:
    return {"peerId": peer.peer_id, "userId": peer.user_id, "screen": peer.screen}


def call_to_wire(call: Call) -> dict[str, Any]:
    return {
        "callId": call.id,
        "chatId": call.chat_id,
        "media": call.media,
        "inviter": call.inviter,
        "status": "active" if call.active else "ringing",
        "createdAt": ids.iso_from_ms(call.created_at),
        "answeredAt": ids.iso_from_ms(call.answered_at) if call.answered_at else None,
        "ringing": list(call.ringing),
        "peers": [peer_to_wire(p) for p in call.peers.values()],
    }


def _joined(call: Call, peer: Peer) -> dict[str, Any]:
    """The ack of whoever becomes a peer: the call, their peer id, the ICE servers."""
    return {
        "call": call_to_wire(call),
        "peerId": peer.peer_id,
        "iceServers": ice.servers(peer.user_id),
    }


def _duration(call: Call) -> int | None:
    return (clock.now_ms() - call.answered_at) // 1000 if call.answered_at else None


def _ended(call: Call, reason: str) -> dict[str, Any]:
    return {
        "callId": call.id,
        "chatId": call.chat_id,
        "reason": reason,
        "durationSeconds": _duration(call),
    }


# ---------------------------------------------------------------- ringing


def invite(device: Device, chat_id: str, media: str, user_ids: list[str] | None) -> dict[str, Any]:
    """Ring the invitees' devices (the chat's other members, or the named ones). The caller
    must be a member (checked by the action). Busy invitees are not rung; when all are
    busy the call ends at once (history: ``busy``). ``Conflict`` if the caller is in a
    call already."""
    members = chats.member_ids(chat_id)
    others = [m for m in members if m != device.user_id]
    if user_ids:
        invitees = list(dict.fromkeys(user_ids))
        strangers = [u for u in invitees if u not in others]
        if strangers:
            raise errors.NotFound(f"{strangers[0]} is not another member of this chat")
    else:
        invitees = others
        if len(invitees) > protocol.MAX_CALL_PEERS - 1:
            raise errors.Invalid(
                f"name at most {protocol.MAX_CALL_PEERS - 1} members to call (userIds)"
            )
    if not invitees:
        raise errors.Invalid("nobody else in this chat to call")
    busy = calls.busy_users(invitees)
    now = clock.now_ms()
    call_id = ids.new_id(now)
    peer = Peer(ids.new_id(now), device.user_id, device.connection_id, now)
    call = Call(
        id=call_id,
        chat_id=chat_id,
        media=media,
        inviter=device.user_id,
        created_at=now,
        ring_seconds=settings().call_ring_seconds,
        message_key=history.message_key(device.user_id, call_id),
        ringing=[u for u in invitees if u not in busy],
        peers={peer.peer_id: peer},
    )
    if not call.ringing:  # everybody is in another call: nothing rings, history says so
        if calls.busy_users([device.user_id]):
            raise errors.Conflict("you are already in a call")
        _history(call, "busy", device.endpoint, start=True)
        return {"call": {**call_to_wire(call), "status": "ended"}, "busy": sorted(busy)}
    calls.create(call)
    try:
        timers.schedule(timers.RING, call.id, call.ring_seconds)
    except Exception:
        calls.change(call.id, _end)  # no timer, no call: never ring forever
        raise
    _history(call, "ringing", device.endpoint, start=True)
    ringing = {
        "callId": call.id,
        "chatId": chat_id,
        "from": device.user_id,
        "media": media,
        "ringSeconds": call.ring_seconds,
        "ringUntil": ids.iso_from_ms(now + call.ring_seconds * 1000),
    }
    notify.post(notify.devices(call.ringing), Event.CALL_RINGING, ringing, device.endpoint)
    return {**_joined(call, peer), "busy": sorted(busy)}


def _end(call: Call) -> Call:
    call.ended = True
    return call


def _history(call: Call, status: str, endpoint: str, start: bool = False) -> None:
    """The call's message: stored (``start``) or settled; a failure is logged, never
    raised: the call itself stands, and its message is a record of it."""
    try:
        if start:  # every device in the chat shows it, the inviter's included
            wire = history.start(call, status)
            fanout.broadcast_to_chat(call.chat_id, Event.MESSAGE_NEW, wire, endpoint=endpoint)
        else:
            history.settle(call, status, endpoint)
    except Exception:
        log.exception("call %s: its message could not be recorded as %s", call.id, status)


def accept(device: Device, call_id: str) -> dict[str, Any]:
    """The invitee answers on this device: it becomes a peer; their other devices stop
    ringing; the peers hear who joined. The first answer makes the call active."""

    def decide(call: Call) -> tuple[Call, Peer, bool]:
        if device.user_id in call.users():
            raise errors.Conflict("you are already in this call")
        if device.user_id not in call.ringing:
            raise errors.NotFound("no such call ringing for you")
        call.ringing.remove(device.user_id)
        now = clock.now_ms()
        peer = Peer(ids.new_id(now), device.user_id, device.connection_id, now)
        call.peers[peer.peer_id] = peer
        first = not call.active
        if first:
            call.answered_at = now
        return call, peer, first

    call, peer, first = calls.change(call_id, decide, joining=device.user_id)
    elsewhere = {"callId": call.id, "userId": device.user_id}
    notify.post(
        notify.devices([device.user_id], device.connection_id),
        Event.CALL_ANSWERED_ELSEWHERE,
        elsewhere,
        device.endpoint,
    )
    joined = {"callId": call.id, "peer": peer_to_wire(peer)}
    notify.post(notify.peers(call, peer.peer_id), Event.CALL_JOINED, joined, device.endpoint)
    if first:
        _history(call, "active", device.endpoint)
        _watch_later(call)
    return _joined(call, peer)


def decline(device: Device, call_id: str) -> dict[str, Any]:
    """The invitee declines (on any device; all of theirs stop ringing). When nobody is
    left ringing and nobody answered, the call ends (history: ``declined``)."""

    def decide(call: Call) -> tuple[Call, bool]:
        if device.user_id not in call.ringing:
            raise errors.NotFound("no such call ringing for you")
        call.ringing.remove(device.user_id)
        call.declined.append(device.user_id)
        call.ended = not call.ringing and not call.active
        return call, call.ended

    call, ended = calls.change(call_id, decide)
    if ended:
        _history(call, "declined", device.endpoint)
    declined = {"callId": call.id, "userId": device.user_id}
    targets = notify.peers(call) + notify.devices([device.user_id], device.connection_id)
    notify.post(targets, Event.CALL_DECLINED, declined, device.endpoint)
    if ended:
        notify.post(notify.peers(call), Event.CALL_ENDED, _ended(call, "declined"), device.endpoint)
    return declined


def cancel(device: Device, call_id: str) -> dict[str, Any]:
    """The inviter hangs up before anyone answered: every ringing device stops."""

    def decide(call: Call) -> Call:
        peer = call.peer_of(device.connection_id)
        if peer is None:
            raise errors.NotFound("you are not in this call on this connection")
        if call.inviter != device.user_id:
            raise errors.Forbidden("only the caller can cancel a call")
        if call.active:
            raise errors.Conflict("the call was answered: leave it instead")
        return _end(call)

    call = calls.change(call_id, decide)
    _history(call, "cancelled", device.endpoint)
    cancelled = {"callId": call.id, "chatId": call.chat_id}
    notify.post(notify.devices(call.ringing), Event.CALL_CANCELLED, cancelled, device.endpoint)
    return cancelled


# ---------------------------------------------------------------- in the call


def join(device: Device, call: Call) -> dict[str, Any]:
    """A member (checked by the action) joins an answered call: a group call's late comer,
    or someone who declined. An invitee whose call still rings accepts it instead.
    ``Conflict`` when the call is full (``MAX_CALL_PEERS``) or the user is in it already."""
    if device.user_id in call.ringing:
        return accept(device, call.id)

    def decide(call: Call) -> tuple[Call, Peer]:
        if device.user_id in call.ringing:
            raise errors.Conflict("the call rings for you: accept it")
        if device.user_id in call.users():
            raise errors.Conflict("you are already in this call")
        if not call.active:
            raise errors.Conflict("the call has not been answered yet")
        if len(call.peers) >= protocol.MAX_CALL_PEERS:
            raise errors.Conflict(f"the call is full ({protocol.MAX_CALL_PEERS} peers)")
        now = clock.now_ms()
        peer = Peer(ids.new_id(now), device.user_id, device.connection_id, now)
        call.peers[peer.peer_id] = peer
        if device.user_id in call.declined:
            call.declined.remove(device.user_id)
        return call, peer

    call, peer = calls.change(call.id, decide, joining=device.user_id)
    joined = {"callId": call.id, "peer": peer_to_wire(peer)}
    notify.post(notify.peers(call, peer.peer_id), Event.CALL_JOINED, joined, device.endpoint)
    return _joined(call, peer)


def leave(device: Device, call_id: str) -> dict[str, Any]:
    """Hang up: this device's peer leaves; see ``_remove``."""
    return _remove(call_id, device.connection_id, "left", device.endpoint, refuse=True) or {}


def _remove(
    call_id: str, connection_id: str, reason: str, endpoint: str, refuse: bool
) -> dict[str, Any] | None:
    """Take the peer on ``connection_id`` out of the call. The call ends when fewer than two
    peers are left and nobody is ringing (history: ``ended`` with its duration), or when
    the inviter leaves before an answer (``cancelled``)."""

    def decide(call: Call) -> tuple[Call, Peer | None, str | None]:
        peer = call.peer_of(connection_id)
        if peer is None:
            if refuse:
                raise errors.NotFound("you are not in this call on this connection")
            return call, None, None
        del call.peers[peer.peer_id]
        outcome = None
        if not call.active:
            outcome = "cancelled"  # only the inviter is a peer before an answer
        elif not call.peers or (len(call.peers) < 2 and not call.ringing):
            outcome = "ended"
        call.ended = outcome is not None
        return call, peer, outcome

    try:
        call, peer, outcome = calls.change(call_id, decide)
    except errors.NotFound:
        if refuse:
            raise
        return None
    if peer is None:
        return None
    if outcome is not None:
        _history(call, outcome, endpoint)
    left = {"callId": call.id, "peerId": peer.peer_id, "userId": peer.user_id, "reason": reason}
    notify.post(notify.peers(call), Event.CALL_LEFT, left, endpoint)
    if outcome is not None and call.ringing:  # whoever still rings stops
        cancelled = {"callId": call.id, "chatId": call.chat_id}
        notify.post(notify.devices(call.ringing), Event.CALL_CANCELLED, cancelled, endpoint)
    if outcome == "ended":
        notify.post(notify.peers(call), Event.CALL_ENDED, _ended(call, "ended"), endpoint)
    return {**left, "ended": outcome is not None}


def rejoin(device: Device, call_id: str, peer_id: str) -> dict[str, Any]:
    """A peer moves to this connection (a renewed or re-established one): signals to it
    arrive here from now on, and its grace period (if it dropped) is over."""

    def decide(call: Call) -> tuple[Call, Peer]:
        peer = call.peers.get(peer_id)
        if peer is None or peer.user_id != device.user_id:
            raise errors.NotFound("no such peer of yours in this call")
        peer.connection_id = device.connection_id
        return call, peer

    call, peer = calls.change(call_id, decide)
    return _joined(call, peer)


def signal(
    device: Device, call_id: str, to: str, kind: str, payload: dict[str, Any]
) -> dict[str, Any]:
    """Relay an offer, answer or ICE candidate to the one peer named, never to the room.
    Only a peer of the call may signal, from its own connection. One Redis read."""
    call = calls.load(call_id)
    sender = call.peer_of(device.connection_id) if call else None
    if call is None or sender is None:
        raise errors.Forbidden("you are not in this call on this connection")
    target = call.peers.get(to)
    if target is None or target.peer_id == sender.peer_id:
        raise errors.NotFound("no such peer in this call")
    data = {
        "callId": call.id,
        "from": sender.peer_id,
        "fromUserId": sender.user_id,
        "kind": kind,
        "payload": payload,
    }
    result = notify.post([target.connection_id], Event.CALL_SIGNAL, data, device.endpoint)
    return {"callId": call.id, "to": to, "delivered": result.delivered == 1}


def screen(device: Device, call_id: str, sharing: bool) -> dict[str, Any]:
    """Announce that this peer starts or stops sharing its screen (the track itself is
    added or removed by renegotiating, through ``call:signal``)."""

    def decide(call: Call) -> tuple[Call, Peer]:
        peer = call.peer_of(device.connection_id)
        if peer is None:
            raise errors.Forbidden("you are not in this call on this connection")
        peer.screen = sharing
        return call, peer

    call, peer = calls.change(call_id, decide)
    data = {"callId": call.id, "peerId": peer.peer_id, "userId": peer.user_id, "sharing": sharing}
    notify.post(notify.peers(call, peer.peer_id), Event.CALL_SCREEN, data, device.endpoint)
    return data


# ---------------------------------------------------------------- timers and drops


def ring_timeout(call_id: str, endpoint: str) -> None:
    """The ring timer fired: whoever still rings missed the call; a call nobody answered
    ends (history: ``missed``). A call no longer ringing is left alone."""

    def decide(call: Call) -> tuple[Call, list[str]]:
        missed = list(call.ringing)
        call.ringing = []
        call.ended = bool(missed) and (not call.active or len(call.peers) < 2)
        return call, missed

    try:
        call, missed = calls.change(call_id, decide)
    except errors.NotFound:
        return  # ended meanwhile
    if not missed:
        return
    reason = "missed" if not call.active else "ended"
    if call.ended:
        _history(call, reason, endpoint)
    data = {"callId": call.id, "chatId": call.chat_id, "userIds": missed}
    notify.post(notify.devices(missed) + notify.peers(call), Event.CALL_MISSED, data, endpoint)
    if call.ended:
        notify.post(notify.peers(call), Event.CALL_ENDED, _ended(call, reason), endpoint)


def connection_dropped(connection_id: str, call_id: str) -> None:
    """A connection that was a peer of ``call_id`` closed: start its grace period (it may
    rejoin from a new connection meanwhile). One SendMessage."""
    timers.schedule(
        timers.GRACE, call_id, settings().call_grace_seconds, connectionId=connection_id
    )


def _watch_later(call: Call) -> None:
    """Ask again about this answered call in WATCH_SECONDS (see ``watch``); a failure is
    logged: the call goes on, its record's TTL still ends it."""
    try:
        timers.schedule(
            timers.WATCH,
            call.id,
            timers.WATCH_SECONDS,
            chatId=call.chat_id,
            messageKey=call.message_key,
        )
    except Exception:
        log.exception("call %s: its watch timer was not scheduled", call.id)


def watch(call_id: str, chat_id: str, message_key: str, endpoint: str) -> None:
    """The watch timer of an answered call fired: while the call goes on, watch again; once
    its record is gone (ended by a change, or expired), a message still ``active`` is
    marked ended (``history.abandon``): nothing stays in progress forever."""
    call = calls.load(call_id)
    if call is not None:
        _watch_later(call)
        return
    history.abandon(chat_id, message_key, endpoint)


def grace_over(call_id: str, connection_id: str, endpoint: str) -> None:
    """The grace timer fired: a peer still on the dropped connection leaves the call."""
    _remove(call_id, connection_id, "dropped", endpoint, refuse=False)
