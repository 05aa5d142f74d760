"""S3's browser-form uploads (POST Object with a SigV4 POST policy), checked as S3 checks them.

Owns, for the parts of one multipart form: the fields S3 requires (`key`, `policy`,
`x-amz-algorithm` = AWS4-HMAC-SHA256, `x-amz-credential`, `x-amz-date`, `x-amz-signature`
and exactly one `file`, the last part; parts after it are ignored, as S3 ignores them);
the credential (this region, `s3`, `aws4_request`, a known access key, its session token
as `x-amz-security-token`); the signature (HMAC-SHA256 of the base64 policy, as sent, with
the SigV4 signing key of the credential's date, region and `s3`); the policy (JSON with an
`expiration` not passed at `now` and a `conditions` list); every condition (`{"bucket": b}`,
`{"field": v}` exact, `["eq", "$field", v]`, `["starts-with", "$field", prefix]` (`""` is
any value), `["content-length-range", min, max]` against the file's size), field names
matched case-insensitively; and that every field but `policy`, `x-amz-signature`, `file`
and `x-ignore-*` is named by a condition. `${filename}` in the key is the file's name.
Not handled: SigV2 forms (`AWSAccessKeyId`, `signature`), `success_action_redirect`
(a field like any other, but no redirect is made), comma-separated Content-Type values.
The result is the object to store (`Upload`) or an `S3Error` in S3's words.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from hashlib import sha256
from typing import Any

from botocore.auth import SIGV4_TIMESTAMP

from infra.gateway.multipart import FormPart
from infra.gateway.s3_errors import (
    S3Error,
    access_denied,
    invalid_access_key,
    invalid_argument,
    invalid_token,
)
from infra.gateway.s3_presigned import KeyLookup
from infra.gateway.sigv4 import ALGORITHM

EXEMPT = ("policy", "x-amz-signature", "file")  # and x-ignore-*: no condition needed
# Form fields S3 stores as the object's headers (and x-amz-meta-*, as its metadata).
STORED_HEADERS = {
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "expires": "Expires",
}
SUCCESS_STATUSES = (200, 201, 204)


@dataclass
class Upload:
    """What a good form stores: PutObject's arguments, and the status to answer."""

    key: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)  # PutObject's names: ContentType...
    metadata: dict[str, str] = field(default_factory=dict)  # x-amz-meta-NAME -> NAME
    status: int = 204


def _failed(condition: Any) -> S3Error:
    return access_denied(
        f"Invalid according to Policy: Policy Condition failed: {json.dumps(condition)}"
    )


def _invalid_policy(message: str) -> S3Error:
    return S3Error(400, "InvalidPolicyDocument", f"Invalid Policy: {message}")


def _signing_key(secret: str, date: str, region: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), sha256).digest()
    return key


class PostPolicyVerifier:
    """Checks browser-form uploads to the buckets of one region."""

    def __init__(self, lookup: KeyLookup, region: str) -> None:
        self.lookup = lookup
        self.region = region

    def verify(self, bucket: str, parts: Sequence[FormPart], now: datetime) -> Upload | S3Error:
        files = [i for i, p in enumerate(parts) if p.name.lower() == "file"]
        if not files:
            return invalid_argument("POST requires exactly one file upload per request.")
        file = parts[files[0]]
        fields: dict[str, str] = {}
        for part in parts[: files[0]]:
            name = part.name.lower()
            if name in fields:
                return invalid_argument(f"Field {part.name} appears more than once.")
            fields[name] = part.text
        if "policy" not in fields:
            return access_denied()  # an anonymous upload: the bucket is not public-write
        for required in ("key", "x-amz-algorithm", "x-amz-credential", "x-amz-date"):
            if required not in fields:
                return invalid_argument(
                    f"Bucket POST must contain a field named '{required}'.  If it is "
                    "specified, please check the order of the fields."
                )
        if "x-amz-signature" not in fields:
            return invalid_argument(
                "Bucket POST must contain a field named 'x-amz-signature'.  If it is "
                "specified, please check the order of the fields."
            )
        checked = self._check_signature(fields)
        if checked is not None:
            return checked
        policy = self._policy(fields["policy"], now)
        if isinstance(policy, S3Error):
            return policy
        key = fields["key"].replace("${filename}", file.filename or "")
        fields["key"] = key
        covered: set[str] = set()
        for condition in policy:
            failed = self._condition(condition, bucket, fields, len(file.value), covered)
            if failed is not None:
                return failed
        extra = sorted(
            name
            for name in fields
            if name not in EXEMPT and not name.startswith("x-ignore-") and name not in covered
        )
        if extra:
            return access_denied(
                f"Invalid according to Policy: Extra input fields: {', '.join(extra)}"
            )
        status = int(fields.get("success_action_status", "204") or 204)
        return Upload(
            key=key,
            body=file.value,
            headers={STORED_HEADERS[n]: v for n, v in fields.items() if n in STORED_HEADERS},
            metadata={
                n.removeprefix("x-amz-meta-"): v
                for n, v in fields.items()
                if n.startswith("x-amz-meta-")
            },
            status=status if status in SUCCESS_STATUSES else 204,
        )

    def _check_signature(self, fields: dict[str, str]) -> S3Error | None:
        if fields["x-amz-algorithm"] != ALGORITHM:
            return invalid_argument(
                f"Invalid algorithm '{fields['x-amz-algorithm']}': only {ALGORITHM} is supported."
            )
        scope = fields["x-amz-credential"].split("/")
        if len(scope) != 5:
            return invalid_argument(
                f"Invalid credential '{fields['x-amz-credential']}': expecting "
                '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            )
        access_key_id, date, region, service, terminator = scope
        if region != self.region or service != "s3" or terminator != "aws4_request":
            return invalid_argument(
                f"Invalid credential scope '{date}/{region}/{service}/{terminator}': "
                f"expecting '{date}/{self.region}/s3/aws4_request'."
            )
        if fields["x-amz-date"][:8] != date:
            return invalid_argument("The date of x-amz-date does not match the credential's.")
        try:
            datetime.strptime(fields["x-amz-date"], SIGV4_TIMESTAMP)
        except ValueError:
            return invalid_argument(f"Invalid x-amz-date '{fields['x-amz-date']}'.")
        credentials = self.lookup(access_key_id)
        if credentials is None:
            return invalid_access_key(access_key_id)
        token, expected_token = fields.get("x-amz-security-token"), credentials.session_token
        if (token is None) != (expected_token is None) or not hmac.compare_digest(
            (token or "").encode(), (expected_token or "").encode()
        ):
            return invalid_token()
        key = _signing_key(credentials.secret_access_key, date, region)
        expected = hmac.new(key, fields["policy"].encode(), sha256).hexdigest()
        if not hmac.compare_digest(expected.encode(), fields["x-amz-signature"].encode()):
            return S3Error(
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you "
                "provided. Check your key and signing method.",
                {"AWSAccessKeyId": access_key_id, "StringToSign": fields["policy"]},
            )
        return None

    def _policy(self, encoded: str, now: datetime) -> list[Any] | S3Error:
        try:
            policy = json.loads(base64.b64decode(encoded, validate=True))
        except (binascii.Error, ValueError):
            return _invalid_policy("Invalid JSON.")
        if not isinstance(policy, dict):
            return _invalid_policy("Invalid JSON.")
        expiration = policy.get("expiration")
        if not isinstance(expiration, str):
            return _invalid_policy("Policy missing expiration.")
        try:
            expires = datetime.fromisoformat(expiration.replace("Z", "+00:00"))
        except ValueError:
            return _invalid_policy(f"Invalid 'expiration' value: '{expiration}'")
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if now > expires:
            return access_denied("Invalid according to Policy: Policy expired.")
        conditions = policy.get("conditions")
        if not isinstance(conditions, list):
            return _invalid_policy("Policy missing conditions.")
        return conditions

    def _condition(
        self,
        condition: Any,
        bucket: str,
        fields: dict[str, str],
        size: int,
        covered: set[str],
    ) -> S3Error | None:
        if isinstance(condition, dict):
            if len(condition) != 1:
                return _invalid_policy(f"Invalid Simple-Condition: {json.dumps(condition)}")
            ((name, value),) = condition.items()
            return self._match("eq", str(name), value, condition, bucket, fields, covered)
        if not isinstance(condition, list) or not condition:
            return _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
        operator = str(condition[0]).lower()
        if operator == "content-length-range":
            if len(condition) != 3:
                return _invalid_policy("Invalid content-length-range condition.")
            try:
                low, high = int(condition[1]), int(condition[2])
            except (TypeError, ValueError):
                return _invalid_policy("Invalid content-length-range condition.")
            if size > high:
                return S3Error(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    {"ProposedSize": str(size), "MaxSizeAllowed": str(high)},
                )
            if size < low:
                return S3Error(
                    400,
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    {"ProposedSize": str(size), "MinSizeAllowed": str(low)},
                )
            return None
        if operator not in ("eq", "starts-with") or len(condition) != 3:
            return _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
        name = str(condition[1])
        if not name.startswith("$"):
            return _invalid_policy(f"Invalid Condition: {json.dumps(condition)}")
        return self._match(operator, name[1:], condition[2], condition, bucket, fields, covered)

    @staticmethod
    def _match(
        operator: str,
        name: str,
        expected: Any,
        condition: Any,
        bucket: str,
        fields: dict[str, str],
        covered: set[str],
    ) -> S3Error | None:
        name = name.lower()
        covered.add(name)
        actual = bucket if name == "bucket" else fields.get(name)
        wanted = str(expected)
        # starts-with "" allows any value, even none.
        ok = (actual or "").startswith(wanted) if operator == "starts-with" else actual == wanted
        shown = condition if isinstance(condition, list) else [operator, f"${name}", wanted]
        return None if ok else _failed(shown)
