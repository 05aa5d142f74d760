"""Resume state: what the client delivered per chat, so that nothing is delivered twice
and ``sync`` after a reconnect asks for exactly what may have been missed.

Per chat it keeps the cursor (the newest message id delivered) and the ids, with their
versions, of the messages delivered in the last ``window`` (5 minutes by default)
before the cursor. Message ids are time-sortable (ULID layout), so "older than the
window" is a string comparison. The window is far longer than the 30 s that ``sync``
overlaps before the cursor and than a send's fan-out (bounded by the function timeout),
which are the only ways a message can come again; ids that fall out of the window are
forgotten, so memory stays bounded on a long-lived client.

The stream starts at the first connection (``baseline_ms``, the server's clock): a chat
in which nothing was delivered yet is synced from there, and messages older than the
baseline are history (fetch it over REST), never delivered as new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import Enum
from typing import Any

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PRUNE_AT_LEAST = 256


def id_time_ms(message_id: str) -> int | None:
    """The creation time (epoch ms) encoded in a ULID-layout id, or None if it is not one."""
    if len(message_id) != 26:
        return None
    ms = 0
    for char in message_id[:10]:
        position = _ALPHABET.find(char)
        if position < 0:
            return None
        ms = ms * 32 + position
    return ms


def lowest_id(ms: int) -> str:
    """The smallest id a message created at ``ms`` can have."""
    chars = []
    value = max(ms, 0)
    for _ in range(10):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars)) + "0" * 16


class Verdict(Enum):
    NEW = "new"  # not delivered before: deliver as message:new
    UPDATED = "updated"  # delivered before, this copy has a higher version: message:edited
    KNOWN = "known"  # delivered already (or history from before the stream): drop


class ChatLog:
    """One chat: the cursor and the recently delivered ids with their versions."""

    def __init__(self, chat_id: str, window_ms: int, max_entries: int) -> None:
        self.chat_id = chat_id
        self.cursor: str | None = None
        self.floor: str | None = None  # ids below it were forgotten: taken as delivered
        self._window_ms = window_ms
        self._max_entries = max_entries
        self._versions: dict[str, int] = {}
        self._next_prune = _PRUNE_AT_LEAST

    def __len__(self) -> int:
        return len(self._versions)

    def version(self, message_id: str) -> int | None:
        """The version delivered of a message in the window; None if not held."""
        return self._versions.get(message_id)

    def forgotten(self, message_id: str) -> bool:
        return self.floor is not None and message_id < self.floor

    def record(self, message_id: str, version: int) -> None:
        held = self._versions.get(message_id)
        if held is None or version > held:
            self._versions[message_id] = version
        if self.cursor is None or message_id > self.cursor:
            self.cursor = message_id
        if len(self._versions) > self._next_prune:
            self.prune()

    def prune(self) -> None:
        """Forget the ids older than the window before the cursor (and the oldest past
        ``max_entries``)."""
        cursor_ms = id_time_ms(self.cursor) if self.cursor else None
        if cursor_ms is not None:
            self._raise_floor(lowest_id(cursor_ms - self._window_ms))
        if len(self._versions) > self._max_entries:
            keep = sorted(self._versions)[-self._max_entries :]
            self._raise_floor(keep[0])
        self._next_prune = max(_PRUNE_AT_LEAST, 2 * len(self._versions))

    def _raise_floor(self, floor: str) -> None:
        if self.floor is None or floor > self.floor:
            self.floor = floor
        self._versions = {k: v for k, v in self._versions.items() if k >= self.floor}


def _version_of(message: Mapping[str, Any]) -> int:
    version = message.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def _ids_of(message: Mapping[str, Any]) -> tuple[str, str] | None:
    chat_id, message_id = message.get("chatId"), message.get("id")
    if isinstance(chat_id, str) and isinstance(message_id, str):
        return chat_id, message_id
    return None


class ResumeState:
    """Every chat's log, the stream's baseline, and the dedupe decisions."""

    def __init__(self, window_seconds: float = 300.0, max_entries: int = 10_000) -> None:
        if window_seconds < 60:
            raise ValueError("the dedupe window must cover sync's 30 s overlap: at least 60 s")
        self.window_ms = int(window_seconds * 1000)
        self.max_entries = max(max_entries, 100)
        self.baseline_ms: int | None = None
        self._chats: dict[str, ChatLog] = {}

    # ---------------------------------------------------------------- chats
    def start(self, baseline_ms: int) -> None:
        """Set the stream's start (once: the first connection's server time)."""
        if self.baseline_ms is None:
            self.baseline_ms = baseline_ms

    @property
    def chats(self) -> list[str]:
        return list(self._chats)

    def chat(self, chat_id: str) -> ChatLog:
        log = self._chats.get(chat_id)
        if log is None:
            log = self._chats[chat_id] = ChatLog(chat_id, self.window_ms, self.max_entries)
        return log

    def add_chats(self, chat_ids: Iterable[str]) -> None:
        for chat_id in chat_ids:
            self.chat(chat_id)

    def remove_chat(self, chat_id: str) -> None:
        self._chats.pop(chat_id, None)

    def cursors(self) -> dict[str, str | None]:
        """The newest message id delivered, per chat."""
        return {chat_id: log.cursor for chat_id, log in self._chats.items()}

    def sync_request(self) -> dict[str, str | None]:
        """What ``sync`` asks for: per chat the cursor, else the baseline as an id (so a
        quiet chat is caught up from the stream's start, not from its first message)."""
        baseline = lowest_id(self.baseline_ms) if self.baseline_ms is not None else None
        return {chat_id: log.cursor or baseline for chat_id, log in self._chats.items()}

    # ---------------------------------------------------------------- decisions
    def record(self, message: Mapping[str, Any]) -> None:
        """Take a message as delivered (the ack of our own send, or history the app holds)."""
        ids = _ids_of(message)
        if ids is not None:
            self.chat(ids[0]).record(ids[1], _version_of(message))

    def accept_live(self, message: Mapping[str, Any]) -> bool:
        """A pushed ``message:new``: True (and recorded) unless already delivered."""
        ids = _ids_of(message)
        if ids is None:
            return True  # not a message we can identify: pass it on
        log = self.chat(ids[0])
        if log.version(ids[1]) is not None:
            return False
        log.record(ids[1], _version_of(message))
        return True

    def accept_update(self, chat_id: Any, message_id: Any, version: Any) -> bool:
        """A pushed change (edited, deleted, reaction): False only for a version already
        delivered. Changes of messages not held are passed on and not recorded (their
        ``message:new`` may still be on its way)."""
        if not (isinstance(chat_id, str) and isinstance(message_id, str)):
            return True
        log = self._chats.get(chat_id)
        held = log.version(message_id) if log is not None else None
        if held is None or not isinstance(version, int):
            return True
        if version <= held:
            return False
        assert log is not None
        log.record(message_id, version)
        return True

    def accept_synced(self, message: Mapping[str, Any]) -> Verdict:
        """A message returned by ``sync`` or history paging."""
        ids = _ids_of(message)
        if ids is None:
            return Verdict.KNOWN
        chat_id, message_id = ids
        if self.baseline_ms is not None and message_id < lowest_id(self.baseline_ms):
            return Verdict.KNOWN  # from before the stream began: history, not news
        log = self.chat(chat_id)
        if log.forgotten(message_id):
            return Verdict.KNOWN
        held, version = log.version(message_id), _version_of(message)
        if held is None:
            log.record(message_id, version)
            return Verdict.NEW
        if version > held:
            log.record(message_id, version)
            return Verdict.UPDATED
        return Verdict.KNOWN
