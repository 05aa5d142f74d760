"""Attached files: checked and copied when a message names them, shown to members through
presigned GETs, deleted with their message.

``attach`` costs one HeadObject and one CopyObject per file, run concurrently when a
message carries several; ``to_wire`` presigns locally (no AWS call); ``release`` is one
DeleteObjects per message.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError

from shared import clock, errors, ids
from shared.attachments import bucket
from shared.config import settings
from shared.store.models import Attachment

log = logging.getLogger(__name__)

# Shown in the browser (an <img>, <audio>, <video>); anything else downloads as a file.
INLINE_PREFIXES = ("image/", "audio/", "video/")


def _each(work: Any, items: Sequence[Any]) -> list[Any]:
    """``work`` of every item, concurrently when there are several; the first error raised."""
    if len(items) <= 1:
        return [work(item) for item in items]
    from concurrent.futures import ThreadPoolExecutor  # only a message with several files

    with ThreadPoolExecutor(max_workers=min(len(items), 10)) as pool:
        return list(pool.map(work, items))


def _from_head(attachment_id: str, head: dict[str, Any]) -> Attachment:
    """The attachment an object's HeadObject answer describes (its name from metadata)."""
    name = unquote((head.get("Metadata") or {}).get("name") or "") or attachment_id
    size = int(head.get("ContentLength") or 0)
    return Attachment.of(attachment_id, name, size, str(head.get("ContentType") or ""))


def _checked(chat_id: str, sender_id: str, attachment_id: str) -> tuple[Attachment, str]:
    """The attachment an upload makes and the ETag that was checked, or a domain refusal."""
    head = bucket.head(bucket.pending_key(chat_id, sender_id, attachment_id))
    if head is None:
        # Another chat's, another uploader's, expired or never uploaded: all look alike.
        raise errors.NotFound(f"no upload {attachment_id} of yours in this chat")
    attachment = _from_head(attachment_id, head)
    if str(attachment.size) != (head.get("Metadata") or {}).get("size"):
        raise errors.Invalid(f"attachment {attachment_id} is not the size it was declared")
    if attachment.content_type not in settings().attachment_types:
        raise errors.Invalid(f"attachment {attachment_id} has a type that is not allowed")
    if attachment.size > settings().attachment_max_bytes:
        raise errors.TooLarge(f"attachment {attachment_id} is over the size limit")
    return attachment, str(head.get("ETag") or "")


def _copy(chat_id: str, sender_id: str, attachment: Attachment, etag: str) -> None:
    source = bucket.pending_key(chat_id, sender_id, attachment.id)
    try:
        bucket.client().copy_object(
            Bucket=bucket.name(),
            Key=bucket.file_key(chat_id, attachment.id),
            CopySource={"Bucket": bucket.name(), "Key": source},
            CopySourceIfMatch=etag,
            MetadataDirective="COPY",
        )
    except ClientError as error:
        if bucket.status_of(error) == 412:
            raise errors.Conflict(
                f"attachment {attachment.id} changed while it was being attached; send again"
            ) from error
        if bucket.status_of(error) in (403, 404):
            raise errors.NotFound(f"no upload {attachment.id} of yours in this chat") from error
        raise


def attach(chat_id: str, sender_id: str, attachment_ids: Sequence[str]) -> list[Attachment]:
    """Check every named upload, then copy each to its attached key; nothing is copied
    unless every one passes. A copy that fails removes the copies already made."""
    limit = settings().attachments_per_message
    if len(attachment_ids) > limit:
        raise errors.Invalid(f"a message carries at most {limit} attachments")
    if len(set(attachment_ids)) != len(attachment_ids):
        raise errors.Invalid("an attachment is named twice")
    checked = _each(lambda a: _checked(chat_id, sender_id, a), list(attachment_ids))
    copied: list[Attachment] = []

    def copy(item: tuple[Attachment, str]) -> None:
        _copy(chat_id, sender_id, *item)
        copied.append(item[0])

    try:
        _each(copy, checked)
    except Exception:
        release(chat_id, copied)
        raise
    return [attachment for attachment, _ in checked]


def release(chat_id: str, attachments: Iterable[Attachment]) -> bool:
    """Delete attached files (one DeleteObjects); False, logged, when S3 kept any.

    The files of a deleted message are never shown again (no URL is minted for a
    tombstone), so a failure here leaves unreachable bytes, not a leak.
    """
    keys = [{"Key": bucket.file_key(chat_id, a.id)} for a in attachments]
    if not keys:
        return True
    try:
        answer = bucket.client().delete_objects(
            Bucket=bucket.name(), Delete={"Objects": keys, "Quiet": True}
        )
    except ClientError:
        log.exception("attachments not deleted", extra={"chatId": chat_id, "keys": keys})
        return False
    failed = answer.get("Errors") or []
    if failed:
        log.error("attachments not deleted", extra={"chatId": chat_id, "errors": failed})
    return not failed


def download(chat_id: str, attachment: Attachment) -> dict[str, Any]:
    """A member's view of one file, with a presigned GET URL valid for
    ``ATTACHMENT_URL_SECONDS`` (made locally, no AWS call)."""
    seconds = settings().attachment_url_seconds
    disposition = "inline" if attachment.content_type.startswith(INLINE_PREFIXES) else "attachment"
    filename = quote(attachment.name, safe="")
    url = bucket.client().generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket.name(),
            "Key": bucket.file_key(chat_id, attachment.id),
            "ResponseContentDisposition": f"{disposition}; filename*=UTF-8''{filename}",
        },
        ExpiresIn=seconds,
    )
    return {
        "id": attachment.id,
        "name": attachment.name,
        "size": int(attachment.size),
        "contentType": attachment.content_type,
        "url": url,
        "urlExpiresAt": ids.iso_from_ms(clock.now_ms() + seconds * 1000),
    }


def to_wire(chat_id: str, attachments: Iterable[Attachment] | None) -> list[dict[str, Any]]:
    return [download(chat_id, attachment) for attachment in attachments or ()]


def find(chat_id: str, attachment_id: str) -> Attachment | None:
    """An attached file of a chat, read from its object (one HeadObject), or None."""
    head = bucket.head(bucket.file_key(chat_id, attachment_id))
    return None if head is None else _from_head(attachment_id, head)
