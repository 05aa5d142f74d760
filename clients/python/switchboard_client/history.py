"""History paging over the REST API, for a ``sync`` that answers ``hasMore``.

``GET {rest_url}/chats/{chatId}/messages?after={id}`` returns the messages newer than
``id``, oldest first, and a ``nextCursor`` to pass as the next ``after``. Standard
library only (urllib), run in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import quote, urlencode
from urllib.request import Request, urlopen

from switchboard_client.errors import SwitchboardError
from switchboard_client.wire import Message

PAGE_LIMIT = 100  # the REST API's largest page


class HistoryError(SwitchboardError):
    """The REST API could not be read; ``status`` is the HTTP status if there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def messages_after_url(rest_url: str, chat_id: str, after: str, limit: int = PAGE_LIMIT) -> str:
    query = urlencode({"after": after, "limit": limit})
    return f"{rest_url.rstrip('/')}/chats/{quote(chat_id, safe='')}/messages?{query}"


def _get_json(url: str, token: str, timeout: float) -> Any:
    request = Request(
        url, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
    )
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - http(s) URL of the API
            return json.loads(response.read().decode("utf-8"))
    except HTTPError as exc:
        raise HistoryError(f"GET {url}: HTTP {exc.code}", exc.code) from exc
    except (URLError, OSError, ValueError) as exc:
        raise HistoryError(f"GET {url}: {exc!r}") from exc


async def fetch_after(
    rest_url: str,
    token: str,
    chat_id: str,
    after: str,
    *,
    limit: int = PAGE_LIMIT,
    timeout: float = 15.0,
) -> tuple[list[Message], str | None]:
    """One page of the messages newer than ``after`` (oldest first) and the next cursor."""
    url = messages_after_url(rest_url, chat_id, after, limit)
    body = await asyncio.to_thread(_get_json, url, token, timeout)
    if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
        raise HistoryError(f"GET {url}: unexpected answer")
    next_cursor = body.get("nextCursor")
    return body["messages"], next_cursor if isinstance(next_cursor, str) else None
