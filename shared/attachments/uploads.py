"""Upload grants: a presigned S3 POST for one file of a declared name, size and type.

S3 enforces what the POST policy says: the exact key, the exact size
(``content-length-range`` n..n) and the exact ``Content-Type``. The declared name and size
ride along as object metadata (``x-amz-meta-name``, percent-encoded so that any name is
ASCII; ``x-amz-meta-size``), which ``attached.attach`` checks again when a message names
the file. Making a grant costs no AWS call: presigning is local.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from shared import clock, errors, ids, protocol
from shared.attachments import bucket
from shared.config import settings

# How long a grant may be used to start its POST.
GRANT_SECONDS = 600
MAX_NAME_CHARS = 255
NAME = protocol.Field(max_chars=MAX_NAME_CHARS, is_id=False)


def check_request(body: dict[str, Any]) -> tuple[str, int, str]:
    """The (name, size, content type) of an upload request, or a domain refusal:
    ``TooLarge`` over the size limit, ``Invalid`` for anything else."""
    known = {"name", "size", "contentType"}
    extra = sorted(set(body) - known)
    if extra:
        raise errors.Invalid(f"unexpected field body.{extra[0]}")
    name = protocol.validate_fields({"name": NAME}, {"name": body.get("name")}, where="body")[
        "name"
    ]
    size = body.get("size")
    limit = settings().attachment_max_bytes
    if not isinstance(size, int) or isinstance(size, bool) or size < 1:
        raise errors.Invalid("body.size must be a whole number of bytes, at least 1")
    if size > limit:
        raise errors.TooLarge(f"attachments are at most {limit} bytes")
    content_type = body.get("contentType")
    allowed = settings().attachment_types
    if not isinstance(content_type, str) or content_type not in allowed:
        raise errors.Invalid(f"body.contentType must be one of {', '.join(allowed)}")
    if settings().attachments_per_message < 1:
        raise errors.Forbidden("attachments are turned off")
    return name, size, content_type


def grant(chat_id: str, user_id: str, name: str, size: int, content_type: str) -> dict[str, Any]:
    """A new attachment id and the presigned POST that uploads its file (the wire shape of
    ``POST /chats/{chatId}/attachments``)."""
    attachment_id = ids.new_id()
    key = bucket.pending_key(chat_id, user_id, attachment_id)
    fields = {
        "Content-Type": content_type,
        "x-amz-meta-name": quote(name, safe=""),
        "x-amz-meta-size": str(size),
    }
    conditions: list[Any] = [{field: value} for field, value in fields.items()]
    conditions.append(["content-length-range", size, size])
    post = bucket.client().generate_presigned_post(
        Bucket=bucket.name(),
        Key=key,
        Fields=fields,
        Conditions=conditions,
        ExpiresIn=GRANT_SECONDS,
    )
    return {
        "attachmentId": attachment_id,
        "upload": {"url": post["url"], "fields": post["fields"]},
        "expiresAt": ids.iso_from_ms(clock.now_ms() + GRANT_SECONDS * 1000),
        "name": name,
        "size": size,
        "contentType": content_type,
    }
