"""The wire contract as the client sees it: action, event and error names, payload shapes.

A copy of what docs/protocol.md documents (the server declares the same names in
``shared/protocol.py``; a client library does not import server code). The payload
shapes are ``TypedDict``s: what the typed helpers return and events carry.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, NotRequired, TypedDict

# Limits the client needs (docs/protocol.md).
MAX_SYNC_CHATS = 100  # chats per `sync` request
DEFAULT_HEARTBEAT_SECONDS = 65  # when `hello` announces neither keepAlive nor heartbeatSeconds
SYNC_OVERLAP_SECONDS = 30  # `sync` also returns the 30 s before the cursor


class Action(StrEnum):
    """Client -> server actions."""

    HELLO = "hello"
    PING = "ping"  # the keep-alive frame: no requestId, no data, never answered
    SYNC = "sync"
    MESSAGE_SEND = "message:send"
    MESSAGE_EDIT = "message:edit"
    MESSAGE_DELETE = "message:delete"
    MESSAGE_REACT = "message:react"
    MESSAGE_UNREACT = "message:unreact"
    MESSAGE_READ = "message:read"
    CHAT_READ_ALL = "chat:read-all"
    CHAT_PRESENCE = "chat:presence"
    PRESENCE_HEARTBEAT = "presence:heartbeat"
    PRESENCE_SET = "presence:set"
    TYPING_START = "typing:start"
    TYPING_STOP = "typing:stop"
    TYPING_LIST = "typing:list"
    CALL_INVITE = "call:invite"
    CALL_ACCEPT = "call:accept"
    CALL_DECLINE = "call:decline"
    CALL_CANCEL = "call:cancel"
    CALL_JOIN = "call:join"
    CALL_LEAVE = "call:leave"
    CALL_REJOIN = "call:rejoin"
    CALL_SIGNAL = "call:signal"
    CALL_SCREEN = "call:screen"


class Event(StrEnum):
    """Server -> client events."""

    ACK = "ack"
    ERROR = "error"
    CONNECTION_SUCCESS = "connection:success"
    MESSAGE_NEW = "message:new"
    MESSAGE_EDITED = "message:edited"
    MESSAGE_DELETED = "message:deleted"
    MESSAGE_REACTION = "message:reaction"
    MESSAGE_READ = "message:read"
    CHAT_CREATED = "chat:created"
    CHAT_MEMBER_ADDED = "chat:member-added"
    CHAT_MEMBER_REMOVED = "chat:member-removed"
    USER_STATUS = "user:status"
    TYPING = "typing"
    CALL_RINGING = "call:ringing"
    CALL_ANSWERED_ELSEWHERE = "call:answered-elsewhere"
    CALL_JOINED = "call:joined"
    CALL_DECLINED = "call:declined"
    CALL_CANCELLED = "call:cancelled"
    CALL_MISSED = "call:missed"
    CALL_LEFT = "call:left"
    CALL_ENDED = "call:ended"
    CALL_SIGNAL = "call:signal"
    CALL_SCREEN = "call:screen"


class ClientEvent(StrEnum):
    """Events the client itself emits (never sent by the server), on the same bus."""

    CONNECTED = "client:connected"  # hello answered on a new connection
    RESUMED = "client:resumed"  # what was missed during a drop has been delivered
    DISCONNECTED = "client:disconnected"  # a connection ended; reconnecting follows
    RENEWED = "client:renewed"  # the connection was replaced before its cut, nothing missed
    CALL_REJOINED = "client:call-rejoined"  # a call's peer moved to a new connection
    CALL_LOST = "client:call-lost"  # a call could not be rejoined on a new connection
    HEARTBEAT = "client:heartbeat"  # a timer heartbeat was acked (server without keepAlive)
    GAP = "client:gap"  # missed messages of a chat could not all be fetched
    GATEWAY_ERROR = "client:gateway-error"  # API Gateway's own frame (no requestId of ours)
    CLOSED = "client:closed"  # the client stopped for good (close() or a fatal error)


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    UNKNOWN_ACTION = "unknown_action"
    UNAUTHORIZED = "unauthorized"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    RATE_LIMITED = "rate_limited"
    INTERNAL_ERROR = "internal_error"


Frame = dict[str, Any]


class ReactionSummary(TypedDict):
    count: int
    users: list[str]


class CallPeer(TypedDict):
    peerId: str
    userId: str
    screen: bool


class CallState(TypedDict):
    """A call as its acks show it (docs/protocol.md, "Calls")."""

    callId: str
    chatId: str
    media: str
    inviter: str
    status: str  # ringing | active (ended: an invite nobody could be rung for)
    createdAt: str
    answeredAt: str | None
    ringing: list[str]
    peers: list[CallPeer]


class CallJoined(TypedDict, total=False):
    """The ack of ``call:invite``, ``call:accept``, ``call:join`` and ``call:rejoin``."""

    call: CallState
    peerId: str
    iceServers: list[dict[str, Any]]
    busy: list[str]


class CallRecord(TypedDict):
    """A call message's ``call``: how the call went."""

    callId: str
    media: str
    status: str
    startedAt: str | None
    endedAt: str | None
    durationSeconds: int | None


class Attachment(TypedDict):
    """A file a message carries: ``url`` downloads it until ``urlExpiresAt``."""

    id: str
    name: str
    size: int
    contentType: str
    url: str
    urlExpiresAt: str


class UploadForm(TypedDict):
    url: str
    fields: dict[str, str]


class UploadGrant(TypedDict):
    """``POST /chats/{chatId}/attachments``: the id to send, and the S3 form to post."""

    attachmentId: str
    upload: UploadForm
    expiresAt: str
    name: str
    size: int
    contentType: str


class Message(TypedDict):
    """The message shape of `message:new`, `message:edited`, acks, sync and history."""

    id: str
    chatId: str
    senderId: str
    body: str | None
    createdAt: str
    clientMessageId: str | None
    version: int
    editedAt: str | None
    deleted: bool
    reactions: dict[str, ReactionSummary]
    attachments: list[Attachment]
    call: CallRecord | None


class MessageDeleted(TypedDict):
    chatId: str
    messageId: str
    deletedBy: str
    deletedAt: str
    version: int


class ReactionChange(TypedDict):
    chatId: str
    messageId: str
    emoji: str
    userId: str
    added: bool
    reactions: dict[str, ReactionSummary]
    version: int


class ReadPosition(TypedDict):
    chatId: str
    userId: str
    messageId: str | None
    readAt: str | None


class KeepAlive(TypedDict):
    """What keeps an idle connection open: the frame ``{"action": action}`` (no requestId,
    no data) every ``intervalSeconds`` while connected. API Gateway answers it itself
    (no function runs) and nothing comes back."""

    action: str
    intervalSeconds: int


class Renew(TypedDict):
    """When to replace the connection: ``afterSeconds`` after it opened, before API
    Gateway cuts it at ``maxSeconds``: open the next one, then close this one."""

    afterSeconds: float
    maxSeconds: float


class ConnectionSuccess(TypedDict, total=False):
    connectionId: str
    userId: str
    chats: list[str]
    keepAlive: KeepAlive  # absent from older servers: then presence:heartbeat timers
    renew: Renew  # absent from older servers: then a reconnect after the cut
    heartbeatSeconds: int  # for clients without keepAlive
    serverTime: str  # ISO 8601, the server's clock when it answered


class SyncChat(TypedDict):
    messages: list[Message]
    hasMore: bool


class SyncResult(TypedDict):
    chats: dict[str, SyncChat]
    unknown: list[str]


class HeartbeatAck(TypedDict):
    ttlSeconds: int
    heartbeatSeconds: int
    presence: str  # "ok" | "degraded"


class UserStatus(TypedDict):
    userId: str
    status: str  # online | away | busy | offline
    text: str | None
    lastSeen: str | None


class Typing(TypedDict):
    chatId: str
    userId: str
    isTyping: bool
    expiresAt: str | None


class TypingEntry(TypedDict):
    userId: str
    expiresAt: str


class TypingList(TypedDict):
    chatId: str
    typing: list[TypingEntry]


class PresenceEntry(TypedDict):
    userId: str
    status: str  # online | away | busy


class ChatPresence(TypedDict):
    """`chat:presence`: a small chat (``announced``: its members hear every ``user:status``)
    lists all its online members, ``cursor`` None; a large one a page of them and the
    ``cursor`` of the next (None at the end). ``degraded`` (presence unavailable for a
    moment) comes with ``onlineCount`` None and no users."""

    chatId: str
    announced: bool
    onlineCount: int | None
    users: list[PresenceEntry]
    cursor: str | None
    degraded: NotRequired[bool]
