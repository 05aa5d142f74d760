"""The typed API: one method per action of docs/protocol.md, returning the reply's data
(a ``TypedDict`` of ``wire``) or raising the ``ServerError`` subclass of its code.

Every method takes ``timeout`` (seconds, the whole request: waiting for a connection,
retries after ``rate_limited`` and resends after a drop included; default the client's
``request_timeout``).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any, cast

from switchboard_client import attachments
from switchboard_client.core import ClientCore
from switchboard_client.errors import SwitchboardError
from switchboard_client.wire import (
    Action,
    Attachment,
    CallJoined,
    ChatPresence,
    ConnectionSuccess,
    HeartbeatAck,
    Message,
    MessageDeleted,
    PresenceEntry,
    ReactionChange,
    ReadPosition,
    SyncResult,
    Typing,
    TypingList,
    UploadGrant,
    UserStatus,
)


def new_client_message_id() -> str:
    """A fresh ``clientMessageId`` (32 hex characters)."""
    return uuid.uuid4().hex


class SwitchboardClient(ClientCore):
    """A Switchboard connection for one user: typed requests, events, reconnect and resume.

    ::

        async with SwitchboardClient(url, token) as client:
            client.on("message:new", show)
            await client.send_message(chat_id, "hello")
    """

    async def __aenter__(self) -> SwitchboardClient:
        await self.connect()
        return self

    # ---------------------------------------------------------------- session
    async def hello(self, *, timeout: float | None = None) -> ConnectionSuccess:
        """``hello``: who this connection is, its chats, its keep-alive. (The client
        says hello by itself on every connection; this asks again.)"""
        return cast(ConnectionSuccess, await self.request(Action.HELLO, timeout=timeout))

    async def sync(
        self, chats: Mapping[str, str | None], *, timeout: float | None = None
    ) -> SyncResult:
        """``sync`` as is: per chat, the messages after the given id (and the 30 s before
        it). The client syncs by itself after every reconnect and delivers the result as
        events; this raw call delivers nothing and changes no cursor."""
        return cast(
            SyncResult, await self.request(Action.SYNC, {"chats": dict(chats)}, timeout=timeout)
        )

    async def heartbeat(self, *, timeout: float | None = None) -> HeartbeatAck:
        """``presence:heartbeat`` now: an end-to-end check of the connection, acked. (The
        keep-alive timer sends one-way ``ping`` frames, or these to a server that announces
        no ``keepAlive``.)"""
        return cast(HeartbeatAck, await self.request(Action.PRESENCE_HEARTBEAT, timeout=timeout))

    async def set_presence(
        self, status: str, text: str | None = None, *, timeout: float | None = None
    ) -> UserStatus:
        """``presence:set``: ``online``, ``away`` or ``busy``, with an optional text."""
        data: dict[str, Any] = {"status": status}
        if text is not None:
            data["text"] = text
        return cast(UserStatus, await self.request(Action.PRESENCE_SET, data, timeout=timeout))

    # ---------------------------------------------------------------- messages
    async def send_message(
        self,
        chat_id: str,
        body: str | None = None,
        *,
        attachments: Sequence[str] = (),
        client_message_id: str | None = None,
        timeout: float | None = None,
    ) -> Message:
        """``message:send``: a body, attachments (ids from ``upload_attachment``), or both.
        Idempotent: a ``clientMessageId`` is made if not given, and a send interrupted by
        a drop is sent again with it, so it is stored once. The message is taken as
        delivered (no ``message:new`` for it on this client)."""
        data: dict[str, Any] = {
            "chatId": chat_id,
            "clientMessageId": client_message_id or new_client_message_id(),
        }
        if body is not None:
            data["body"] = body
        if attachments:
            data["attachments"] = list(attachments)
        message = cast(Message, await self.request(Action.MESSAGE_SEND, data, timeout=timeout))
        self._resume.record(message)
        self._messages.put(message)
        return message

    # ---------------------------------------------------------------- attachments
    def _rest_url(self) -> str:
        if not self.rest_url:
            raise SwitchboardError("attachments need the REST API: give the client a rest_url")
        return self.rest_url

    async def upload_attachment(
        self,
        chat_id: str,
        data: bytes,
        name: str,
        content_type: str,
        *,
        timeout: float | None = None,
    ) -> UploadGrant:
        """Upload a file for a message in ``chat_id``: the REST API grants the upload and the
        file goes straight to S3 (never over the WebSocket). Send the grant's
        ``attachmentId`` with ``send_message(..., attachments=[...])``. Raises the
        ``ServerError`` of the REST API's code (``bad_request`` for a type that is not
        allowed, ``not_found`` outside the chat) or ``UploadError`` if S3 refuses."""
        return await attachments.upload(
            self._rest_url(),
            await self._token(),
            chat_id,
            data,
            name,
            content_type,
            timeout=timeout or max(self.request_timeout, 60.0),
        )

    async def attachment(
        self, chat_id: str, attachment_id: str, *, timeout: float | None = None
    ) -> Attachment:
        """An attached file with a fresh download URL (a message's URL expires)."""
        return await attachments.fresh_url(
            self._rest_url(),
            await self._token(),
            chat_id,
            attachment_id,
            timeout=timeout or self.request_timeout,
        )

    # ---------------------------------------------------------------- calls
    def _joined(self, ack: Any) -> CallJoined:
        """Remember the call this client is now a peer of (rejoined on new connections)."""
        joined = cast(CallJoined, ack)
        call = joined.get("call")
        peer_id = joined.get("peerId")
        if call is not None and call.get("status") in ("ringing", "active") and peer_id:
            self.calls[call["callId"]] = peer_id
        return joined

    async def invite_call(
        self,
        chat_id: str,
        media: str = "audio",
        *,
        user_ids: Sequence[str] = (),
        timeout: float | None = None,
    ) -> CallJoined:
        """``call:invite``: ring the chat's other members (or ``user_ids``, at most 3) for
        an ``audio`` or ``video`` call. The ack's ``busy`` names who was not rung."""
        data: dict[str, Any] = {"chatId": chat_id, "media": media}
        if user_ids:
            data["userIds"] = list(user_ids)
        return self._joined(await self.request(Action.CALL_INVITE, data, timeout=timeout))

    async def accept_call(self, call_id: str, *, timeout: float | None = None) -> CallJoined:
        """``call:accept`` on this device: the user's other devices stop ringing."""
        ack = await self.request(Action.CALL_ACCEPT, {"callId": call_id}, timeout=timeout)
        return self._joined(ack)

    async def join_call(self, call_id: str, *, timeout: float | None = None) -> CallJoined:
        """``call:join``: join an answered call of one of this user's chats."""
        ack = await self.request(Action.CALL_JOIN, {"callId": call_id}, timeout=timeout)
        return self._joined(ack)

    async def decline_call(self, call_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        """``call:decline`` (on every device of this user)."""
        return cast(
            dict[str, Any],
            await self.request(Action.CALL_DECLINE, {"callId": call_id}, timeout=timeout),
        )

    async def cancel_call(self, call_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        """``call:cancel``: the caller hangs up before anyone answered."""
        ack = await self.request(Action.CALL_CANCEL, {"callId": call_id}, timeout=timeout)
        self.calls.pop(call_id, None)
        return cast(dict[str, Any], ack)

    async def leave_call(self, call_id: str, *, timeout: float | None = None) -> dict[str, Any]:
        """``call:leave``: hang up this device's peer."""
        ack = await self.request(Action.CALL_LEAVE, {"callId": call_id}, timeout=timeout)
        self.calls.pop(call_id, None)
        return cast(dict[str, Any], ack)

    async def signal(
        self,
        call_id: str,
        to: str,
        kind: str,
        payload: Mapping[str, Any],
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """``call:signal``: relay an ``offer``, ``answer`` or ``candidate`` (an
        RTCSessionDescription's ``{sdp}`` or an RTCIceCandidate's JSON, at most 32 KB) to
        the peer ``to``."""
        data = {"callId": call_id, "to": to, "kind": kind, "payload": dict(payload)}
        return cast(dict[str, Any], await self.request(Action.CALL_SIGNAL, data, timeout=timeout))

    async def share_screen(
        self, call_id: str, sharing: bool = True, *, timeout: float | None = None
    ) -> dict[str, Any]:
        """``call:screen``: announce that this peer starts (or stops) sharing its screen."""
        data = {"callId": call_id, "sharing": sharing}
        return cast(dict[str, Any], await self.request(Action.CALL_SCREEN, data, timeout=timeout))

    async def edit_message(
        self, chat_id: str, message_id: str, body: str, *, timeout: float | None = None
    ) -> Message:
        """``message:edit`` (author only). Not resent after a drop: ``ConnectionLost``."""
        data = {"chatId": chat_id, "messageId": message_id, "body": body}
        message = cast(Message, await self.request(Action.MESSAGE_EDIT, data, timeout=timeout))
        self._resume.accept_update(chat_id, message_id, message.get("version"))
        self._messages.put(message)
        return message

    async def delete_message(
        self, chat_id: str, message_id: str, *, timeout: float | None = None
    ) -> MessageDeleted:
        """``message:delete`` (author or admin). Not resent after a drop: ``ConnectionLost``."""
        data = {"chatId": chat_id, "messageId": message_id}
        deleted = cast(
            MessageDeleted, await self.request(Action.MESSAGE_DELETE, data, timeout=timeout)
        )
        self._resume.accept_update(chat_id, message_id, deleted.get("version"))
        self._messages.deleted(deleted)
        return deleted

    async def react(
        self, chat_id: str, message_id: str, emoji: str, *, timeout: float | None = None
    ) -> ReactionChange:
        """``message:react`` (idempotent)."""
        return await self._reaction(Action.MESSAGE_REACT, chat_id, message_id, emoji, timeout)

    async def unreact(
        self, chat_id: str, message_id: str, emoji: str, *, timeout: float | None = None
    ) -> ReactionChange:
        """``message:unreact`` (idempotent)."""
        return await self._reaction(Action.MESSAGE_UNREACT, chat_id, message_id, emoji, timeout)

    async def _reaction(
        self, action: Action, chat_id: str, message_id: str, emoji: str, timeout: float | None
    ) -> ReactionChange:
        data = {"chatId": chat_id, "messageId": message_id, "emoji": emoji}
        change = cast(ReactionChange, await self.request(action, data, timeout=timeout))
        self._resume.accept_update(chat_id, message_id, change.get("version"))
        self._messages.reaction(change)
        return change

    # ---------------------------------------------------------------- read receipts
    async def mark_read(
        self, chat_id: str, message_id: str, *, timeout: float | None = None
    ) -> ReadPosition:
        """``message:read``: read up to ``message_id`` (the position only moves forward)."""
        data = {"chatId": chat_id, "messageId": message_id}
        return cast(ReadPosition, await self.request(Action.MESSAGE_READ, data, timeout=timeout))

    async def mark_chat_read(self, chat_id: str, *, timeout: float | None = None) -> ReadPosition:
        """``chat:read-all``: read up to the chat's newest message."""
        return cast(
            ReadPosition,
            await self.request(Action.CHAT_READ_ALL, {"chatId": chat_id}, timeout=timeout),
        )

    # ---------------------------------------------------------------- who is online
    async def chat_presence(
        self, chat_id: str, cursor: str | None = None, *, timeout: float | None = None
    ) -> ChatPresence:
        """``chat:presence``: who is online in the chat. A small chat (``announced``: its
        members also hear each ``user:status``) answers all its online members; a large
        one (no ``user:status`` or ``typing`` from it) up to 100 and the ``cursor`` to ask
        the next page with, None at the end. ``online_members`` follows the cursor."""
        data: dict[str, Any] = {"chatId": chat_id}
        if cursor is not None:
            data["cursor"] = cursor
        return cast(ChatPresence, await self.request(Action.CHAT_PRESENCE, data, timeout=timeout))

    async def online_members(self, chat_id: str, *, timeout: float | None = None) -> ChatPresence:
        """Every online member of the chat: ``chat:presence`` asked page after page until
        its ``cursor`` is None, as one answer: the ``users`` of every page, each user once
        (a large chat's pages may repeat one: the later page's status is kept), the last
        page's ``onlineCount``, ``cursor`` None. A ``degraded`` page ends the walk and is
        kept in the answer: its ``users`` are then only those of the pages before.
        ``timeout`` applies to each page."""
        users: dict[str, PresenceEntry] = {}
        cursor: str | None = None
        while True:
            page = await self.chat_presence(chat_id, cursor, timeout=timeout)
            for entry in page.get("users", []):
                users[entry["userId"]] = entry
            cursor = page.get("cursor")
            if cursor is None:
                return {**page, "users": list(users.values())}

    # ---------------------------------------------------------------- typing
    async def start_typing(self, chat_id: str, *, timeout: float | None = None) -> Typing:
        """``typing:start`` (lasts 3 s: renew every 2 s while the user types)."""
        return cast(
            Typing, await self.request(Action.TYPING_START, {"chatId": chat_id}, timeout=timeout)
        )

    async def stop_typing(self, chat_id: str, *, timeout: float | None = None) -> Typing:
        """``typing:stop``."""
        return cast(
            Typing, await self.request(Action.TYPING_STOP, {"chatId": chat_id}, timeout=timeout)
        )

    async def list_typing(self, chat_id: str, *, timeout: float | None = None) -> TypingList:
        """``typing:list``: who is typing in the chat now."""
        return cast(
            TypingList, await self.request(Action.TYPING_LIST, {"chatId": chat_id}, timeout=timeout)
        )
