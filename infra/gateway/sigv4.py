"""SigV4 verification of a request as the emulator received it, for both signed paths (the
HTTP API's AWS_IAM routes, service `execute-api`, and Lambda's Invoke API, `lambda`).

Owns the checks AWS makes before any policy is evaluated, in its order: an Authorization
header (else "Missing Authentication Token"), well formed (`AWS4-HMAC-SHA256 Credential=,
SignedHeaders=, Signature=`, with `Host` signed and an `X-Amz-Date` or `Date`), scoped to
this region and service; a known access key (and, for a principal with a session token,
that `X-Amz-Security-Token`); the request's date within 5 minutes of now (`clock`, injectable);
and the signature. The signature is recomputed by botocore's own signer (`SigV4Auth`'s
canonical request, string to sign and signing key) from the method, path and query as
received, the headers the caller signed and the body's hash, and compared with
`hmac.compare_digest`: a signature replayed with another body, path, query or method fails.
Not handled: presigned URLs (`X-Amz-Signature` in the query) and chunked
(`STREAMING-...`) payloads. The result is the caller's `Principal` or a `Refusal`, which each
API answers in its own shape (http_api.py, lambda_api.py).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials as BotoCredentials

from infra.gateway.iam import LocalIam, Principal

ALGORITHM = "AWS4-HMAC-SHA256"
WINDOW = timedelta(minutes=5)  # how far a request's date may be from now, either way

# Refusal kinds; each API maps them to its error type.
MISSING = "missing"  # no Authorization header: MissingAuthenticationTokenException
INCOMPLETE = "incomplete"  # a malformed one: IncompleteSignatureException
SIGNATURE = "signature"  # scope, date or signature wrong: InvalidSignatureException
TOKEN = "token"  # unknown access key or session token: "The security token ... is invalid."

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your AWS Secret Access Key and signing method. Consult the service documentation for "
    "details."
)
INVALID_TOKEN = "The security token included in the request is invalid."


@dataclass(frozen=True)
class Refusal:
    kind: str
    message: str


@dataclass(frozen=True)
class Signed:
    """A request whose signature checked out: who signed it, with which access key."""

    principal: Principal
    access_key_id: str


@dataclass(frozen=True)
class Received:
    """A request as it arrived: `raw_path` and `raw_query` still percent-encoded."""

    method: str
    scheme: str
    raw_path: str
    raw_query: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        found = [v for k, v in self.headers if k.lower() == name]
        return ",".join(found) if found else None


class _Resigner(SigV4Auth):
    """botocore's signer, over exactly the headers the caller signed (botocore would pick
    every header of the request but a few; a caller may have signed any)."""

    def __init__(self, credentials: BotoCredentials, service: str, region: str) -> None:
        super().__init__(credentials, service, region)
        self.signed_map = HTTPHeaders()

    def headers_to_sign(self, request: AWSRequest) -> Any:
        return self.signed_map


def _parse(authorization: str) -> tuple[str, dict[str, str]] | Refusal:
    algorithm, _, rest = authorization.strip().partition(" ")
    params: dict[str, str] = {}
    for part in (p.strip() for p in rest.split(",")):
        if not part:
            continue
        if "=" not in part:
            return Refusal(
                INCOMPLETE,
                f"'{part}' not a valid key=value pair (missing equal-sign) in Authorization "
                f"header: '{authorization}'.",
            )
        key, _, value = part.partition("=")
        params[key.strip()] = value.strip()
    return algorithm, params


def _date(received: Received) -> tuple[datetime, str] | Refusal:
    amz_date = received.header("x-amz-date")
    if amz_date is not None:
        try:
            when = datetime.strptime(amz_date, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return Refusal(
                INCOMPLETE,
                f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See "
                "http://en.wikipedia.org/wiki/ISO_8601",
            )
        return when, amz_date
    http_date = received.header("date") or ""
    try:
        when = parsedate_to_datetime(http_date).astimezone(UTC)
    except (TypeError, ValueError):
        return Refusal(INCOMPLETE, f"Date must be in RFC 1123 format. Got '{http_date}'.")
    return when, when.strftime(SIGV4_TIMESTAMP)


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime(SIGV4_TIMESTAMP)


class SigV4Verifier:
    """Verifies signed requests against the principals of `iam`, for one region."""

    def __init__(
        self,
        iam: LocalIam,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.iam = iam
        self.region = region
        self.clock = clock  # tests move "now" to check the 5-minute window

    def verify(self, received: Received, service: str) -> Signed | Refusal:
        authorization = received.header("authorization")
        if authorization is None:
            return Refusal(MISSING, "Missing Authentication Token")
        parsed = _parse(authorization)
        if isinstance(parsed, Refusal):
            return parsed
        algorithm, params = parsed
        missing = [
            f"Authorization header requires '{name}' parameter. "
            for name in ("Credential", "Signature", "SignedHeaders")
            if not params.get(name)
        ]
        if received.header("x-amz-date") is None and received.header("date") is None:
            missing.append(
                "Authorization header requires existence of either a 'X-Amz-Date' or a "
                "'Date' header. "
            )
        if missing:
            return Refusal(INCOMPLETE, "".join(missing) + f"Authorization={authorization}")
        if algorithm != ALGORITHM:
            return Refusal(INCOMPLETE, f"Unsupported Authorization Type: '{algorithm}'")
        credential = params["Credential"]
        scope = credential.split("/")
        if len(scope) != 5:
            return Refusal(
                INCOMPLETE,
                "Credential must have exactly 5 slash-delimited elements, e.g. "
                f"keyid/date/region/service/term, got '{credential}'",
            )
        access_key_id, scope_date, region, scope_service, terminator = scope
        if terminator != "aws4_request":
            return Refusal(
                SIGNATURE,
                "Credential should be scoped with a valid terminator: 'aws4_request', "
                f"not '{terminator}'. ",
            )
        if region != self.region:
            return Refusal(
                SIGNATURE, f"Credential should be scoped to a valid region, not '{region}'. "
            )
        if scope_service != service:
            return Refusal(
                SIGNATURE, f"Credential should be scoped to correct service: '{service}'. "
            )
        signed_names = [h.strip().lower() for h in params["SignedHeaders"].split(";")]
        if "host" not in signed_names:
            return Refusal(
                INCOMPLETE,
                "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
            )
        principal = self.iam.principal(access_key_id)
        if principal is None:
            return Refusal(TOKEN, INVALID_TOKEN)
        expected_token = principal.credentials.session_token
        token = received.header("x-amz-security-token")
        if (expected_token is None) != (token is None) or not hmac.compare_digest(
            (token or "").encode(), (expected_token or "").encode()
        ):
            return Refusal(TOKEN, INVALID_TOKEN)
        dated = _date(received)
        if isinstance(dated, Refusal):
            return dated
        when, timestamp = dated
        if scope_date != timestamp[:8]:
            return Refusal(
                SIGNATURE,
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of "
                f"date from HTTP: '{scope_date}' != '{timestamp[:8]}', from '{timestamp}'.",
            )
        now = self.clock()
        if when < now - WINDOW:
            return Refusal(
                SIGNATURE,
                f"Signature expired: {timestamp} is now earlier than {_stamp(now - WINDOW)} "
                f"({_stamp(now)} - 5 min.)",
            )
        if when > now + WINDOW:
            return Refusal(
                SIGNATURE,
                f"Signature not yet current: {timestamp} is still later than "
                f"{_stamp(now + WINDOW)} ({_stamp(now)} + 5 min.)",
            )
        return self._check_signature(
            received, principal, service, timestamp, signed_names, params["Signature"]
        )

    def _check_signature(
        self,
        received: Received,
        principal: Principal,
        service: str,
        timestamp: str,
        signed_names: list[str],
        signature: str,
    ) -> Signed | Refusal:
        credentials = principal.credentials
        signer = _Resigner(
            BotoCredentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
            ),
            service,
            self.region,
        )
        for name, value in received.headers:
            if name.lower() in signed_names:
                signer.signed_map[name.lower()] = value  # appends: repeats are kept
        body_hash = hashlib.sha256(received.body).hexdigest()
        declared = received.header("x-amz-content-sha256")
        if declared is not None and declared != body_hash:
            # botocore's canonical request takes the declared hash: the body must have it.
            return Refusal(SIGNATURE, MISMATCH)
        host = received.header("host") or ""
        request = AWSRequest(
            method=received.method,
            url=f"{received.scheme}://{host}{received.raw_path}",
            data=received.body,
            headers=dict(signer.signed_map.items()),
        )
        # The query as AWS canonicalizes it: each name and value decoded, then re-encoded.
        # (botocore takes pairs as well as a dict here: names may repeat.)
        request.params = [  # type: ignore[assignment]
            (unquote(key), unquote(value))
            for key, _, value in (
                pair.partition("=") for pair in received.raw_query.split("&") if pair
            )
        ]
        request.context["timestamp"] = timestamp
        request.context["payload_signing_enabled"] = True
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        expected = signer.signature(string_to_sign, request)
        provided_names = ";".join(sorted(signed_names))
        if provided_names != signer.signed_headers(signer.signed_map) or not hmac.compare_digest(
            expected.encode(), signature.encode()
        ):
            return Refusal(
                SIGNATURE,
                f"{MISMATCH}\n\nThe Canonical String for this request should have been\n"
                f"'{canonical}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n",
            )
        return Signed(principal, credentials.access_key_id)


def received_from_scope(
    scope: Mapping[str, Any], headers: list[tuple[str, str]], body: bytes
) -> Received:
    """A `Received` from an ASGI scope: the path and query as the client sent them."""
    raw_path = scope.get("raw_path") or scope["path"].encode()
    return Received(
        method=str(scope["method"]),
        scheme=str(scope.get("scheme") or "http"),
        raw_path=bytes(raw_path).decode("latin-1"),
        raw_query=bytes(scope.get("query_string") or b"").decode("latin-1"),
        headers=headers,
        body=body,
    )
