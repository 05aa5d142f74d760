"""Attachments: ask the REST API for an upload, post the file straight to S3, and get a fresh
download URL. Files never travel over the WebSocket.

``POST {rest_url}/chats/{chatId}/attachments`` grants one upload (a presigned S3 POST for
exactly that name, size and type); the file is then posted to the grant's URL as
``multipart/form-data``: the grant's fields first, the file last, as S3 requires.
``GET {rest_url}/chats/{chatId}/attachments/{id}`` answers a new download URL. Standard
library only (urllib), run in a worker thread so the event loop never blocks.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Mapping
from typing import Any, cast
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, urlopen

from switchboard_client.errors import ServerError, SwitchboardError
from switchboard_client.wire import Attachment, UploadGrant


class UploadError(SwitchboardError):
    """S3 refused or could not take the file; ``status`` is the HTTP status if there was one."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def _chat_url(rest_url: str, chat_id: str, *rest: str) -> str:
    parts = [quote(chat_id, safe=""), "attachments", *(quote(p, safe="") for p in rest)]
    return f"{rest_url.rstrip('/')}/chats/" + "/".join(parts)


def _rest(method: str, url: str, token: str, body: Any, timeout: float) -> Any:
    """One REST call; a refusal raises the ``ServerError`` of its code."""
    data = None if body is None else json.dumps(body).encode("utf-8")
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    request = Request(url, data=data, method=method, headers=headers)
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - the API's URL
            return json.loads(response.read().decode("utf-8"))
    except HTTPError as exc:
        try:
            error = json.loads(exc.read().decode("utf-8")).get("error")
        except (ValueError, AttributeError):
            error = None
        if isinstance(error, dict):
            raise ServerError.from_reply(error, f"{method} {url}") from exc
        raise ServerError(f"HTTP {exc.code}", code="error", action=f"{method} {url}") from exc
    except (URLError, OSError, ValueError) as exc:
        raise SwitchboardError(f"{method} {url}: {exc!r}") from exc


def encode_form(fields: Mapping[str, str], filename: str, data: bytes) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body of ``fields`` then the file (S3 reads nothing after
    the file), and its Content-Type header."""
    boundary = "switchboard-" + os.urandom(12).hex()
    lines: list[bytes] = []
    for name, value in fields.items():
        lines.append(f"--{boundary}\r\n".encode())
        lines.append(f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        lines.append(value.encode("utf-8") + b"\r\n")
    safe_name = quote(filename, safe=" ._-")
    lines.append(f"--{boundary}\r\n".encode())
    lines.append(
        f'Content-Disposition: form-data; name="file"; filename="{safe_name}"\r\n\r\n'.encode()
    )
    lines.append(data + b"\r\n")
    lines.append(f"--{boundary}--\r\n".encode())
    return b"".join(lines), f"multipart/form-data; boundary={boundary}"


def _post_file(grant: UploadGrant, data: bytes, timeout: float) -> None:
    upload = grant["upload"]
    body, content_type = encode_form(upload["fields"], grant["name"], data)
    request = Request(upload["url"], data=body, method="POST")
    request.add_header("Content-Type", content_type)
    try:
        with urlopen(request, timeout=timeout) as response:  # noqa: S310 - the grant's URL
            response.read()
    except HTTPError as exc:
        detail = exc.read().decode("utf-8", "replace")[:500]
        raise UploadError(f"S3 refused the upload: HTTP {exc.code} {detail}", exc.code) from exc
    except (URLError, OSError) as exc:
        raise UploadError(f"upload failed: {exc!r}") from exc


async def upload(
    rest_url: str,
    token: str,
    chat_id: str,
    data: bytes,
    name: str,
    content_type: str,
    *,
    timeout: float = 60.0,
) -> UploadGrant:
    """Ask for an upload of ``data`` and post it to S3; the grant (``attachmentId`` is what
    ``message:send`` names)."""
    body = {"name": name, "size": len(data), "contentType": content_type}
    grant = cast(
        UploadGrant,
        await asyncio.to_thread(_rest, "POST", _chat_url(rest_url, chat_id), token, body, timeout),
    )
    await asyncio.to_thread(_post_file, grant, data, timeout)
    return grant


async def fresh_url(
    rest_url: str, token: str, chat_id: str, attachment_id: str, *, timeout: float = 15.0
) -> Attachment:
    """An attached file with a new download URL (the one in a message expires)."""
    url = _chat_url(rest_url, chat_id, attachment_id)
    return cast(Attachment, await asyncio.to_thread(_rest, "GET", url, token, None, timeout))
