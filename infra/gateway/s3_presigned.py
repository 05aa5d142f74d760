"""S3's presigned URLs (SigV4 in the query string), verified as S3 verifies them.

Owns the checks of a request carrying `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
`X-Amz-Expires`, `X-Amz-SignedHeaders` and `X-Amz-Signature` in its query: every parameter
present, the algorithm `AWS4-HMAC-SHA256`, `X-Amz-Expires` between 0 and 7 days, the
credential scoped to this region, `s3` and `aws4_request` on the date of `X-Amz-Date`, a
known access key (and its session token as `X-Amz-Security-Token`), the URL neither expired
(`X-Amz-Date + X-Amz-Expires` passed: "Request has expired") nor dated more than 15 minutes
ahead (`clock`, injectable), and the signature. The signature is recomputed with
botocore's signer as `S3SigV4QueryAuth` makes it: the method, the path as received (S3
does not normalize it), the query without `X-Amz-Signature` (each name and value decoded
then re-encoded), the headers named in `X-Amz-SignedHeaders` as received, and
`UNSIGNED-PAYLOAD`; a URL with another key, method, query or signature fails. The result
is the signer's access key or an `S3Error` in S3's words.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import unquote

from botocore.auth import SIGV4_TIMESTAMP, UNSIGNED_PAYLOAD
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from infra.gateway.iam import Credentials
from infra.gateway.s3_errors import S3Error, access_denied, invalid_access_key, invalid_token
from infra.gateway.sigv4 import ALGORITHM, Received, _Resigner

MAX_EXPIRES = 7 * 24 * 3600  # a week, S3's longest
FUTURE_WINDOW = timedelta(minutes=15)  # how far ahead X-Amz-Date may be
REQUIRED = (
    "X-Amz-Algorithm",
    "X-Amz-Credential",
    "X-Amz-Signature",
    "X-Amz-Date",
    "X-Amz-SignedHeaders",
    "X-Amz-Expires",
)
MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check "
    "your key and signing method."
)

# An access key -> its credentials, or None for a key the emulator does not know.
KeyLookup = Callable[[str], Credentials | None]


class _QueryResigner(_Resigner):
    """botocore's SigV4 signer as S3 applies it to a query: no path normalization, and
    `UNSIGNED-PAYLOAD` for the body."""

    def _normalize_url_path(self, path: str) -> str:
        return path

    def payload(self, request: AWSRequest) -> str:
        return UNSIGNED_PAYLOAD


def is_presigned(raw_query: str) -> bool:
    names = {unquote(pair.partition("=")[0]) for pair in raw_query.split("&") if pair}
    return bool(names & {"X-Amz-Signature", "X-Amz-Credential", "X-Amz-Algorithm"})


def _query_pairs(raw_query: str) -> list[tuple[str, str]]:
    return [
        (unquote(key), unquote(value))
        for key, _, value in (pair.partition("=") for pair in raw_query.split("&") if pair)
    ]


def _parameters_error(message: str) -> S3Error:
    return S3Error(400, "AuthorizationQueryParametersError", message)


class PresignedVerifier:
    """Verifies presigned S3 URLs against the keys `lookup` knows, for one region."""

    def __init__(
        self,
        lookup: KeyLookup,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.lookup = lookup
        self.region = region
        self.clock = clock  # tests move "now" to check expiry

    def verify(self, received: Received) -> str | S3Error:
        """The access key that signed `received`, or S3's refusal."""
        pairs = _query_pairs(received.raw_query)
        query = dict(pairs)
        if any(name not in query for name in REQUIRED):
            return _parameters_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, "
                "X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and "
                "X-Amz-Expires parameters."
            )
        if query["X-Amz-Algorithm"] != ALGORITHM:
            return _parameters_error(f'X-Amz-Algorithm only supports "{ALGORITHM}"')
        try:
            expires = int(query["X-Amz-Expires"])
        except ValueError:
            return _parameters_error("X-Amz-Expires should be a number")
        if expires < 0:
            return _parameters_error("X-Amz-Expires must be non-negative")
        if expires > MAX_EXPIRES:
            return _parameters_error(
                "X-Amz-Expires must be less than a week (in seconds) that is, the given "
                f"X-Amz-Expires must be less than {MAX_EXPIRES} seconds"
            )
        scope = query["X-Amz-Credential"].split("/")
        if len(scope) != 5:
            return _parameters_error(
                "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
                'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
            )
        access_key_id, scope_date, region, service, terminator = scope
        if region != self.region:
            return _parameters_error(
                f"Error parsing the X-Amz-Credential parameter; the region '{region}' is "
                f"wrong; expecting '{self.region}'"
            )
        if service != "s3":
            return _parameters_error(
                f"Error parsing the X-Amz-Credential parameter; incorrect service '{service}'. "
                "This endpoint belongs to 's3'."
            )
        if terminator != "aws4_request":
            return _parameters_error(
                "Error parsing the X-Amz-Credential parameter; incorrect terminal "
                f"'{terminator}'. This endpoint uses 'aws4_request'."
            )
        timestamp = query["X-Amz-Date"]
        try:
            signed_at = datetime.strptime(timestamp, SIGV4_TIMESTAMP).replace(tzinfo=UTC)
        except ValueError:
            return _parameters_error(
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""
            )
        if scope_date != timestamp[:8]:
            return _parameters_error(
                "Error parsing the X-Amz-Credential parameter; the date in the credential "
                f"'{scope_date}' does not match the date of X-Amz-Date '{timestamp[:8]}'"
            )
        credentials = self.lookup(access_key_id)
        if credentials is None:
            return invalid_access_key(access_key_id)
        token = query.get("X-Amz-Security-Token")
        expected_token = credentials.session_token
        if (token is None) != (expected_token is None) or not hmac.compare_digest(
            (token or "").encode(), (expected_token or "").encode()
        ):
            return invalid_token()
        now = self.clock()
        server_time = now.strftime("%Y-%m-%dT%H:%M:%SZ")
        if now > signed_at + timedelta(seconds=expires):
            return access_denied(
                "Request has expired",
                **{
                    "X-Amz-Expires": str(expires),
                    "Expires": (signed_at + timedelta(seconds=expires)).strftime(
                        "%Y-%m-%dT%H:%M:%SZ"
                    ),
                    "ServerTime": server_time,
                },
            )
        if signed_at > now + FUTURE_WINDOW:
            return access_denied(
                "Request is not valid yet",
                **{"X-Amz-Date": timestamp, "ServerTime": server_time},
            )
        return self._check_signature(received, credentials, pairs, query, timestamp)

    def _check_signature(
        self,
        received: Received,
        credentials: Credentials,
        pairs: list[tuple[str, str]],
        query: dict[str, str],
        timestamp: str,
    ) -> str | S3Error:
        signer = _QueryResigner(
            BotoCredentials(
                credentials.access_key_id,
                credentials.secret_access_key,
                credentials.session_token,
            ),
            "s3",
            self.region,
        )
        signed_names = [n.strip().lower() for n in query["X-Amz-SignedHeaders"].split(";")]
        if "host" not in signed_names:
            return access_denied(
                "There were headers present in the request which were not signed",
                HeadersNotSigned="host",
            )
        for name, value in received.headers:
            if name.lower() in signed_names:
                signer.signed_map[name.lower()] = value
        host = received.header("host") or ""
        request = AWSRequest(
            method=received.method,
            url=f"{received.scheme}://{host}{received.raw_path}",
            headers=dict(signer.signed_map.items()),
        )
        params: Any = [(k, v) for k, v in pairs if k != "X-Amz-Signature"]
        request.params = params
        request.context["timestamp"] = timestamp
        canonical = signer.canonical_request(request)
        string_to_sign = signer.string_to_sign(request, canonical)
        expected = signer.signature(string_to_sign, request)
        provided = query["X-Amz-Signature"]
        if ";".join(sorted(signed_names)) != signer.signed_headers(
            signer.signed_map
        ) or not hmac.compare_digest(expected.encode(), provided.encode()):
            return S3Error(
                403,
                "SignatureDoesNotMatch",
                MISMATCH,
                {
                    "AWSAccessKeyId": credentials.access_key_id,
                    "StringToSign": string_to_sign,
                    "SignatureProvided": provided,
                    "CanonicalRequest": canonical,
                },
            )
        return credentials.access_key_id
