"""S3's error answers: `S3Error` (status, code, message and the extra elements S3 adds,
such as `MaxSizeAllowed`) and its XML body, `<Error><Code>...</Code><Message>...</Message>
...<RequestId>...</RequestId></Error>`, as S3 spells it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

ACCESS_DENIED = "Access Denied"


@dataclass(frozen=True)
class S3Error:
    status: int
    code: str
    message: str
    extra: dict[str, str] = field(default_factory=dict)

    def xml(self) -> bytes:
        elements = {"Code": self.code, "Message": self.message, **self.extra}
        elements["RequestId"] = uuid.uuid4().hex[:16].upper()
        inner = "".join(f"<{k}>{escape(v)}</{k}>" for k, v in elements.items())
        return f'<?xml version="1.0" encoding="UTF-8"?>\n<Error>{inner}</Error>'.encode()


def access_denied(message: str = ACCESS_DENIED, **extra: str) -> S3Error:
    return S3Error(403, "AccessDenied", message, dict(extra))


def invalid_argument(message: str, **extra: str) -> S3Error:
    return S3Error(400, "InvalidArgument", message, dict(extra))


def invalid_access_key(access_key_id: str) -> S3Error:
    return S3Error(
        403,
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        {"AWSAccessKeyId": access_key_id},
    )


def invalid_token() -> S3Error:
    return S3Error(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")
