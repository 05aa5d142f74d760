"""The attachments bucket: its S3 client, its key layout and S3's answers read as domain facts.

Keys: ``pending/{chatId}/{userId}/{attachmentId}`` for uploads, ``files/{chatId}/{attachmentId}``
for attached files. Chat and user ids never hold ``/`` (``protocol.is_id``), so a key names
exactly one chat and one uploader. The client signs with SigV4 (``s3v4``, which presigned
POSTs need) and uses path-style URLs when ``AWS_ENDPOINT_URL_S3`` points at a local S3
(the emulator's port; a browser reaches the bucket there).
"""

from __future__ import annotations

from typing import Any, Literal

from botocore.config import Config
from botocore.exceptions import ClientError

from shared.botocore_clients import LazyClient
from shared.config import settings
from shared.retries import S3


def _config() -> Config:
    addressing: Literal["path", "virtual"] = "path" if settings().s3_endpoint else "virtual"
    return Config(
        signature_version="s3v4",
        s3={"addressing_style": addressing},
        retries={"mode": "standard", "total_max_attempts": S3.attempts},
        connect_timeout=S3.connect_timeout_seconds,
        read_timeout=S3.read_timeout_seconds,
    )


client = LazyClient("s3", _config)


def name() -> str:
    return settings().attachments_bucket


def pending_key(chat_id: str, user_id: str, attachment_id: str) -> str:
    return f"pending/{chat_id}/{user_id}/{attachment_id}"


def file_key(chat_id: str, attachment_id: str) -> str:
    return f"files/{chat_id}/{attachment_id}"


def status_of(error: ClientError) -> int:
    """The HTTP status S3 answered with (0 when it is not known)."""
    return int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def head(key: str) -> dict[str, Any] | None:
    """The object's HeadObject answer, or None when there is no such object.

    403 counts as missing too: without s3:ListBucket S3 answers 403 for a missing key.
    """
    try:
        answer: dict[str, Any] = client().head_object(Bucket=name(), Key=key)
    except ClientError as error:
        if status_of(error) in (403, 404):
            return None
        raise
    return answer
