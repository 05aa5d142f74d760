"""Session actions: the greeting, heartbeats and chosen status (presence), and sync."""

from __future__ import annotations

import logging
from typing import Any

from shared import clock, ids
from shared.actions.caller import Caller, Outcome
from shared.actions.registry import handles
from shared.config import settings
from shared.lifecycle import status
from shared.protocol import Action, Event, Request, frame
from shared.state import presence, rate_limit, redis_client
from shared.store import connections, sync
from shared.store.models import User

log = logging.getLogger(__name__)


def keep_alive() -> dict[str, Any]:
    """What clients send to keep an idle connection open, and how often."""
    return {"action": Action.PING.value, "intervalSeconds": presence.keep_alive_seconds()}


# How long before API Gateway's cut a client opens its next connection: time for a
# slow network to connect and say hello, and for a failed attempt to be tried again.
RENEW_MARGIN_MAX_SECONDS = 300


def renew() -> dict[str, Any]:
    """When to replace this connection (seconds after it opened), and when API Gateway
    cuts it: a client that opens its next connection first, then closes this one, is
    never offline, so its contacts hear nothing and nothing needs a sync."""
    limit = settings().max_connection_seconds
    after = limit - min(RENEW_MARGIN_MAX_SECONDS, limit / 4)
    return {"afterSeconds": _number(after), "maxSeconds": _number(limit)}


def _number(value: float) -> int | float:
    return int(value) if value == int(value) else round(value, 3)


@handles(Action.HELLO)
def hello(request: Request, caller: Caller) -> Outcome:
    """The greeting: who you are, your chats, the keep-alive and when to renew the
    connection (one Query). ``heartbeatSeconds`` is for clients that predate
    ``keepAlive``: they heartbeat."""
    chat_ids = connections.user_chat_ids(caller.user_id)
    data = {
        "connectionId": caller.connection_id,
        "userId": caller.user_id,
        "chats": chat_ids,
        "keepAlive": keep_alive(),
        "renew": renew(),
        "heartbeatSeconds": presence.keep_alive_seconds(),
        "serverTime": ids.iso_from_ms(clock.now_ms()),
    }
    return Outcome(frame(Event.CONNECTION_SUCCESS, data, request.request_id))


@handles(Action.PING)
def ping(request: Request, caller: Caller) -> Outcome:
    """A keep-alive that reached a function (a stage deployed without the ping route):
    nothing to do, nothing to answer."""
    return Outcome("")


@handles(Action.PRESENCE_HEARTBEAT)
def heartbeat(request: Request, caller: Caller) -> Outcome:
    """Keep this session alive. One Redis round trip; if Redis had lost the session
    (a restart, a sweep), the user comes back online and the contacts hear it."""
    data: dict[str, Any] = {
        "ttlSeconds": presence.ttl_seconds(),
        "heartbeatSeconds": presence.keep_alive_seconds(),
    }
    result = None
    try:
        take = rate_limit.take_for(request.action, caller.connection_id)  # rides along
        if presence.touch(caller.stage, caller.user_id, caller.connection_id, take):
            result = status.announce(
                caller.user_id,
                status.user_status(caller.user_id, online=True),
                exclude_connection=caller.connection_id,  # the caller knows it is online
                endpoint=caller.endpoint,
            )
        data["presence"] = "ok"
    except redis_client.RedisUnavailable:
        data["presence"] = "degraded"
    return Outcome(frame(Event.ACK, data, request.request_id), result)


@handles(Action.PRESENCE_SET)
def set_status(request: Request, caller: Caller) -> Outcome:
    """Choose online/away/busy (+ text): Redis, a durable copy, and the contacts hear it."""
    chosen, text = request.data["status"], request.data.get("text")
    try:
        presence.set_status(caller.user_id, chosen, text)
    except redis_client.RedisUnavailable:
        log.warning("status of %s kept durably only: redis unavailable", caller.user_id)
    User(caller.user_id).update(actions=[User.status.set(chosen), User.status_text.set(text or "")])
    payload = status.online_status(caller.user_id, chosen, text)
    result = status.announce(
        caller.user_id, payload, exclude_connection=caller.connection_id, endpoint=caller.endpoint
    )
    return Outcome(frame(Event.ACK, payload, request.request_id), result)


@handles(Action.SYNC)
def catch_up(request: Request, caller: Caller) -> Outcome:
    """What the client missed since the last message it has of each chat, in order."""
    data = sync.catch_up(caller.user_id, request.data["chats"])
    return Outcome(frame(Event.ACK, data, request.request_id))
