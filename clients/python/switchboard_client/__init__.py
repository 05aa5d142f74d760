"""Switchboard's Python client: asyncio, on the ``websockets`` library.

Connect with a token (or a callable returning a fresh one), call the typed helpers
(one per action of docs/protocol.md), subscribe to events by name. The client keeps a
connection open: it reconnects with exponential backoff and jitter, then ``sync``\\ s
and delivers what it missed, in order and without duplicates, and resends the
requests that were in flight (a send keeps its ``clientMessageId``). See docs/client.md.

Modules: ``wire`` (names and payload shapes), ``errors``, ``backoff``, ``transport``
(one WebSocket), ``requests`` (request ids, replies, what may be resent), ``events``
(subscriptions), ``resume`` (dedupe and sync cursors), ``messages`` (each chat's
messages in id order, merged by version: ``client.messages(chat_id)``), ``history`` (REST
paging), ``attachments`` (uploads to S3 and download URLs over REST), ``heartbeat`` (the
keep-alive), ``core`` (connection lifecycle), ``api`` (the typed
helpers).
"""

from switchboard_client.api import SwitchboardClient, new_client_message_id
from switchboard_client.attachments import UploadError
from switchboard_client.backoff import Backoff
from switchboard_client.errors import (
    AuthenticationError,
    BadRequest,
    ClientClosed,
    Conflict,
    ConnectError,
    ConnectionLost,
    Forbidden,
    InternalError,
    NotFound,
    RateLimited,
    RequestTimeout,
    ServerError,
    SwitchboardError,
    Unauthorized,
    UnknownAction,
)
from switchboard_client.events import Event, Subscription
from switchboard_client.history import HistoryError
from switchboard_client.wire import Action, ClientEvent, ErrorCode
from switchboard_client.wire import Event as EventName

__all__ = [
    "Action",
    "AuthenticationError",
    "Backoff",
    "BadRequest",
    "ClientClosed",
    "ClientEvent",
    "Conflict",
    "ConnectError",
    "ConnectionLost",
    "ErrorCode",
    "Event",
    "EventName",
    "Forbidden",
    "HistoryError",
    "InternalError",
    "NotFound",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "Subscription",
    "SwitchboardClient",
    "SwitchboardError",
    "Unauthorized",
    "UnknownAction",
    "UploadError",
    "new_client_message_id",
]
