"""Call actions: invite, accept, decline, cancel, join, leave, rejoin, signal and screen.

Thin over shared/calls/lifecycle.py, which owns the transitions and who hears of them.
Membership is checked where the action names a chat (``call:invite``: one room Query)
or joins a call uninvited (``call:join``); every other action is allowed by the call
itself (the user rings in it, or this connection is one of its peers).
"""

from __future__ import annotations

from typing import Any

from shared import errors
from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.calls import lifecycle
from shared.calls.lifecycle import Device
from shared.protocol import Action, Event, Request, frame
from shared.state import calls


def _device(caller: Caller) -> Device:
    return Device(caller.connection_id, caller.user_id, caller.endpoint)


def _ack(request: Request, data: Any) -> Outcome:
    return Outcome(frame(Event.ACK, data, request.request_id))


@handles(Action.CALL_INVITE)
def invite(request: Request, caller: Caller) -> Outcome:
    """Ring the chat's other members (or ``userIds``): one room Query (membership), one
    Query (members), Redis (busy check, the call), one SendMessage (ring timer), the call's
    message (a Put, then its announcement) and one room Query per invitee (ringing)."""
    chat_id = request.data["chatId"]
    caller.room_of(chat_id)
    data = lifecycle.invite(
        _device(caller), chat_id, request.data["media"], request.data.get("userIds")
    )
    return _ack(request, data)


@handles(Action.CALL_ACCEPT)
def accept(request: Request, caller: Caller) -> Outcome:
    return _ack(request, lifecycle.accept(_device(caller), request.data["callId"]))


@handles(Action.CALL_DECLINE)
def decline(request: Request, caller: Caller) -> Outcome:
    return _ack(request, lifecycle.decline(_device(caller), request.data["callId"]))


@handles(Action.CALL_CANCEL)
def cancel(request: Request, caller: Caller) -> Outcome:
    return _ack(request, lifecycle.cancel(_device(caller), request.data["callId"]))


@handles(Action.CALL_JOIN)
def join(request: Request, caller: Caller) -> Outcome:
    """Join an answered call of a chat the caller is a member of (one Redis read, one
    room Query)."""
    call = calls.load(request.data["callId"])
    if call is None:
        raise errors.NotFound("no such call")
    caller.room_of(call.chat_id)
    return _ack(request, lifecycle.join(_device(caller), call))


@handles(Action.CALL_LEAVE)
def leave(request: Request, caller: Caller) -> Outcome:
    return _ack(request, lifecycle.leave(_device(caller), request.data["callId"]))


@handles(Action.CALL_REJOIN)
def rejoin(request: Request, caller: Caller) -> Outcome:
    data = lifecycle.rejoin(_device(caller), request.data["callId"], request.data["peerId"])
    return _ack(request, data)


@handles(Action.CALL_SIGNAL)
def signal(request: Request, caller: Caller) -> Outcome:
    """Relay to one peer: one Redis read and one post, nothing else."""
    data = request.data
    relayed = lifecycle.signal(
        _device(caller), data["callId"], data["to"], data["kind"], data["payload"]
    )
    return _ack(request, relayed)


@handles(Action.CALL_SCREEN)
def screen(request: Request, caller: Caller) -> Outcome:
    data = lifecycle.screen(_device(caller), request.data["callId"], request.data["sharing"])
    return _ack(request, data)
