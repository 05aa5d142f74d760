"""The messages the client holds, per chat, in id order, each at its newest version.

Delivery is at least once and, with sharded fan-out, in no particular order: a chat's
``message:new`` frames, and the ``message:edited``, ``message:deleted`` and
``message:reaction`` frames of its messages, can arrive late, early or twice. Every copy
the client gets (live frames, ``sync`` and REST pages, the acks of its own requests, and
what the application passes to ``mark_seen``) is merged here, so that:

- a chat's list is in id order (ids are ULIDs: lexicographic order is creation order)
  whatever order the copies arrived in, and holds each id once;
- each part of a message keeps the newest version received of it. A message has two
  parts that change independently: its text (``body``, ``editedAt``, ``deleted``,
  ``attachments`` and a call message's ``call``), set by the message itself, edits, the
  delete and a call's progress, and its ``reactions``, set by the message,
  edits, reactions and the delete (to ``{}``). A part is replaced only by a copy of a
  higher ``version``: a duplicate, or a copy overtaken by a newer one, changes nothing
  (a late ``message:edited`` v2 after ``message:deleted`` v3 does not bring the body back),
  while an edit overtaken by a reaction still brings its body (the reaction carried none);
- an update of a message not received yet is kept (not shown in the list) and applied
  when the message arrives; nothing is fetched.

Memory is bounded: per chat, the newest ``limit`` messages (a copy older than all of a
full list is not taken) and the updates of at most ``PENDING_LIMIT`` messages not
received yet. Entries are never changed once handed out: a merge stores a new dict.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any, cast

from switchboard_client.wire import Message

DEFAULT_LIMIT = 1000  # messages kept per chat
PENDING_LIMIT = 1000  # messages per chat whose updates wait for the message itself
_TEXT = ("body", "editedAt", "deleted", "attachments", "call")


class Change(Enum):
    """What a copy did to the store (and so whether its event is raised)."""

    CHANGED = "changed"  # it brought something newer (or a message not held before)
    STALE = "stale"  # nothing newer than what is held: a duplicate, or overtaken
    UNTRACKED = "untracked"  # outside what the store keeps (a full list, limit 0): cannot tell


def version_of(value: Any) -> int | None:
    """A version as sent (a positive int), else None."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _newer(version: int | None, held: int) -> bool:
    # Without a version a copy cannot be ordered: it is taken in arrival order.
    return version is None or version > held


@dataclass
class _Held:
    message: dict[str, Any]  # the merged copy (only the updated parts while not complete)
    complete: bool  # a whole message was received, not only updates of it
    text_version: int = 0  # the version its text is known at (0: unknown)
    reactions_version: int = 0


class ChatMessages:
    """One chat: its messages in id order, and the updates waiting for their message."""

    def __init__(self, chat_id: str, limit: int | None) -> None:
        self.chat_id = chat_id
        self.limit = limit
        self._held: dict[str, _Held] = {}  # complete and pending, by id
        self._order: list[str] = []  # the ids of the complete ones, ascending
        self._pending: list[str] = []  # the ids of the pending ones, ascending

    def __len__(self) -> int:
        return len(self._order)

    def messages(self) -> list[Message]:
        return [cast(Message, self._held[i].message) for i in self._order]

    def get(self, message_id: str) -> Message | None:
        held = self._held.get(message_id)
        return cast(Message, held.message) if held is not None and held.complete else None

    def ids(self) -> list[str]:
        return list(self._order)

    def _outside(self, message_id: str) -> bool:
        """True when a message of this id would not be kept: limit 0, or older than every
        message of a full list (it would be the first one dropped)."""
        if self.limit is None:
            return False
        if self.limit <= 0:
            return True
        return len(self._order) >= self.limit and message_id < self._order[0]

    # ---------------------------------------------------------------- copies
    def put(self, message: Mapping[str, Any]) -> tuple[Message, Change]:
        """Merge a whole message (a ``message:new`` or ``message:edited``, an ack, a page).
        Returns the merged message and what changed."""
        message_id = message["id"]
        version = version_of(message.get("version"))
        held = self._held.get(message_id)
        if held is None and self._outside(message_id):
            return cast(Message, dict(message)), Change.UNTRACKED
        if held is None or not held.complete:
            merged = dict(message)
            known = version if version is not None else 1
            text_version = reactions_version = known
            if held is not None:  # updates that came before the message
                if held.text_version > known:
                    for key in _TEXT:
                        if key in held.message:
                            merged[key] = held.message[key]
                    text_version = held.text_version
                if held.reactions_version > known:
                    merged["reactions"] = held.message["reactions"]
                    reactions_version = held.reactions_version
                self._pending.remove(message_id)
            merged["version"] = max(text_version, reactions_version)
            self._held[message_id] = _Held(merged, True, text_version, reactions_version)
            bisect.insort(self._order, message_id)
            self._trim()
            return cast(Message, merged), Change.CHANGED
        merged = dict(held.message)
        changed = False
        if _newer(version, held.text_version):
            for key in _TEXT:
                if key in message:
                    merged[key] = message[key]
            held_text = held.text_version if version is None else version
            changed = True
        else:
            held_text = held.text_version
        if _newer(version, held.reactions_version):
            merged["reactions"] = message.get("reactions") or {}
            held_reactions = held.reactions_version if version is None else version
            changed = True
        else:
            held_reactions = held.reactions_version
        if not changed:
            return cast(Message, held.message), Change.STALE
        merged["version"] = max(held_text, held_reactions, held.message.get("version") or 0)
        self._held[message_id] = _Held(merged, True, held_text, held_reactions)
        return cast(Message, merged), Change.CHANGED

    def deleted(self, message_id: str, version: int | None) -> Change:
        """A ``message:deleted`` (or the ack of our delete): a tombstone from ``version``."""
        return self._update(message_id, version, {"body": None, "deleted": True}, {"reactions": {}})

    def reaction(self, message_id: str, version: int | None, reactions: Any) -> Change:
        """A ``message:reaction`` (or the ack of our react/unreact): the whole reaction
        state at ``version``."""
        state = dict(reactions) if isinstance(reactions, Mapping) else {}
        return self._update(message_id, version, None, {"reactions": state})

    def _update(
        self,
        message_id: str,
        version: int | None,
        text: dict[str, Any] | None,
        reactions: dict[str, Any],
    ) -> Change:
        held = self._held.get(message_id)
        if held is None:
            if self._outside(message_id):
                return Change.UNTRACKED
            held = _Held({"id": message_id, "chatId": self.chat_id}, False)
            bisect.insort(self._pending, message_id)
        merged = dict(held.message)
        text_version, reactions_version = held.text_version, held.reactions_version
        changed = False
        if text is not None and _newer(version, text_version):
            merged.update(text)
            text_version = text_version if version is None else version
            changed = True
        if _newer(version, reactions_version):
            merged.update(reactions)
            reactions_version = reactions_version if version is None else version
            changed = True
        if not changed:
            return Change.STALE
        merged["version"] = max(text_version, reactions_version, merged.get("version") or 0)
        self._held[message_id] = _Held(merged, held.complete, text_version, reactions_version)
        self._trim()
        return Change.CHANGED

    def _trim(self) -> None:
        if self.limit is not None:
            while len(self._order) > self.limit:
                del self._held[self._order.pop(0)]
        while len(self._pending) > PENDING_LIMIT or (
            self._pending and self._outside(self._pending[0])
        ):
            del self._held[self._pending.pop(0)]


def _ids(chat_id: Any, message_id: Any) -> tuple[str, str] | None:
    if isinstance(chat_id, str) and isinstance(message_id, str):
        return chat_id, message_id
    return None


class MessageStore:
    """Every chat's messages (see the module's docstring). ``limit``: messages kept per
    chat (None: all; 0: none, and every copy is ``UNTRACKED``)."""

    def __init__(self, limit: int | None = DEFAULT_LIMIT) -> None:
        if limit is not None and limit < 0:
            raise ValueError("message_limit must be None or at least 0")
        self.limit = limit
        self._chats: dict[str, ChatMessages] = {}

    def chat(self, chat_id: str) -> ChatMessages:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = ChatMessages(chat_id, self.limit)
        return chat

    def messages(self, chat_id: str) -> list[Message]:
        chat = self._chats.get(chat_id)
        return chat.messages() if chat is not None else []

    def get(self, chat_id: str, message_id: str) -> Message | None:
        chat = self._chats.get(chat_id)
        return chat.get(message_id) if chat is not None else None

    def forget(self, chat_id: str) -> None:
        self._chats.pop(chat_id, None)

    def put(self, message: Any) -> tuple[Any, Change]:
        """Merge a whole message; anything without a string ``chatId`` and ``id`` is
        returned as is, ``UNTRACKED``."""
        if (
            not isinstance(message, Mapping)
            or _ids(message.get("chatId"), message.get("id")) is None
        ):
            return message, Change.UNTRACKED
        return self.chat(message["chatId"]).put(message)

    def deleted(self, data: Any) -> Change:
        """A ``message:deleted`` payload (``{chatId, messageId, version, ...}``)."""
        ids = _ids(data.get("chatId"), data.get("messageId")) if isinstance(data, Mapping) else None
        if ids is None:
            return Change.UNTRACKED
        return self.chat(ids[0]).deleted(ids[1], version_of(data.get("version")))

    def reaction(self, data: Any) -> Change:
        """A ``message:reaction`` payload (``{chatId, messageId, reactions, version, ...}``)."""
        ids = _ids(data.get("chatId"), data.get("messageId")) if isinstance(data, Mapping) else None
        if ids is None:
            return Change.UNTRACKED
        return self.chat(ids[0]).reaction(
            ids[1], version_of(data.get("version")), data.get("reactions")
        )
