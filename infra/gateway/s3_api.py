"""S3 on the emulator's port, for the template's buckets: path-style `/{bucket}` and
`/{bucket}/{key...}`, in front of moto (which plays S3 but checks no signature, no POST
policy and no expiry, and answers CORS its own way).

Owns, per request to one of the template's buckets:

- `OPTIONS`: the CORS preflight, answered from the bucket's `CorsConfiguration`
  (infra/gateway/s3_cors.py); moto is not asked;
- a request signed in its `Authorization` header (the functions' HeadObject, CopyObject,
  DeleteObjects, PutObject, ListObjectsV2...): passed through to moto as received (method,
  path, query, headers such as `x-amz-copy-source-if-match` and `Content-MD5`, body) and
  moto's answer returned. The signature is NOT verified here, and moto does not verify it
  either: any header-signed request is served. moto ignores CopyObject's conditions, so
  the front checks `x-amz-copy-source-if-match` / `-if-none-match` against the source's
  ETag first (a HEAD in moto) and answers 412 PreconditionFailed as S3 does;
- a presigned URL (SigV4 in the query, any method): verified (infra/gateway/
  s3_presigned.py) then passed through to moto, whose answer (status, body, Content-Type,
  Content-Length, ETag, Last-Modified, the `response-*` overrides such as
  Content-Disposition) is returned; refused in S3's XML otherwise;
- a browser-form upload (`POST /{bucket}`, multipart/form-data): the form read with a
  size limit (`max_body`), its POST policy checked (infra/gateway/s3_post_policy.py), the
  file stored in moto (PutObject with the form's Content-Type and `x-amz-meta-*`
  metadata) and 204 answered (or `success_action_status` 200 or 201);
- anything else (no signature at all): 403 AccessDenied, as for a private bucket.

Every answer whose `Origin` matches a CORS rule carries that rule's CORS headers (moto's own
are dropped). Request bodies over `max_body` are refused with 400 EntityTooLarge without
being read whole. `clock` (injectable) is the "now" of expiries.
"""

from __future__ import annotations

import asyncio
import http.client
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from infra.gateway import s3_cors
from infra.gateway.iam import Credentials, LocalIam
from infra.gateway.multipart import MalformedForm, parse_form
from infra.gateway.s3_errors import S3Error, access_denied
from infra.gateway.s3_post_policy import PostPolicyVerifier, Upload
from infra.gateway.s3_presigned import KeyLookup, PresignedVerifier, is_presigned
from infra.gateway.sigv4 import received_from_scope
from infra.services.aws import LOCAL_CREDENTIALS
from infra.services.s3 import s3_client
from infra.template.reader import Bucket

log = logging.getLogger("switchboard.s3")

MAX_BODY = 64 * 1024 * 1024  # the largest request body the front reads (S3 allows 5 GB)
METHODS = ["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS"]
# Not forwarded either way: hop-by-hop headers, and what the front sets itself.
_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "upgrade", "trailer"}
_NOT_FORWARDED = _HOP | {"host", "content-length", "expect", "proxy-connection"}
_NOT_RETURNED = _HOP | {"server", "date"}
_COPY_CONDITIONS = ("x-amz-copy-source-if-match", "x-amz-copy-source-if-none-match")


class _TooLarge(Exception):
    pass


def key_lookup(iam: LocalIam) -> KeyLookup:
    """The keys the front accepts: the local credentials (`local`/`local`, what the
    emulator's own clients use) and every principal of the emulator's IAM (the stack
    owner's, which the functions hold, and the callers tests add)."""
    local = Credentials(
        LOCAL_CREDENTIALS["aws_access_key_id"], LOCAL_CREDENTIALS["aws_secret_access_key"]
    )

    def lookup(access_key_id: str) -> Credentials | None:
        if access_key_id == local.access_key_id:
            return local
        principal = iam.principal(access_key_id)
        return principal.credentials if principal is not None else None

    return lookup


def _conditional_copy(request: Request) -> bool:
    """A CopyObject with a condition on its source (which moto would ignore)."""
    headers = request.headers
    return (
        request.method == "PUT"
        and "x-amz-copy-source" in headers
        and any(name in headers for name in _COPY_CONDITIONS)
    )


def _error(error: S3Error, method: str) -> Response:
    body = b"" if method == "HEAD" else error.xml()
    return Response(body, status_code=error.status, media_type="application/xml")


class S3Front:
    """The template's buckets, served path-style in front of moto at `moto_endpoint`."""

    def __init__(
        self,
        buckets: Iterable[Bucket],
        moto_endpoint: str,
        lookup: KeyLookup,
        region: str,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_body: int = MAX_BODY,
    ) -> None:
        self.buckets = {bucket.name: bucket for bucket in buckets}
        self.moto = urlsplit(moto_endpoint)
        self.region = region
        self.clock = clock  # tests move "now" to check expiries
        self.max_body = max_body
        self.presigned = PresignedVerifier(lookup, region, lambda: self.clock())
        self.forms = PostPolicyVerifier(lookup, region)
        self._client: Any = None
        self._client_lock = threading.Lock()

    def routes(self) -> list[BaseRoute]:
        out: list[BaseRoute] = []
        for name in self.buckets:
            endpoint = self._endpoint(name)
            out.append(Route(f"/{name}", endpoint, methods=METHODS))
            out.append(Route(f"/{name}/{{key:anypath}}", endpoint, methods=METHODS))
        return out

    def _endpoint(self, name: str) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            return await self.handle(self.buckets[name], request)

        return endpoint

    # ---------------------------------------------------------------- dispatch
    async def handle(self, bucket: Bucket, request: Request) -> Response:
        origin = request.headers.get("origin")
        if request.method == "OPTIONS":
            answer = s3_cors.preflight(
                bucket.cors_rules,
                origin,
                request.headers.get("access-control-request-method"),
                request.headers.get("access-control-request-headers"),
            )
            if isinstance(answer, S3Error):
                return _error(answer, "OPTIONS")
            return Response(b"", status_code=200, headers=answer)
        try:
            response = await self._answer(bucket, request)
        except _TooLarge:
            response = _error(
                S3Error(
                    400,
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    {"MaxSizeAllowed": str(self.max_body)},
                ),
                request.method,
            )
        for name, value in s3_cors.actual(bucket.cors_rules, origin, request.method).items():
            response.headers[name] = value
        return response

    async def _answer(self, bucket: Bucket, request: Request) -> Response:
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        if "authorization" in request.headers:
            body = await self._body(request)
            if _conditional_copy(request):
                failed = await asyncio.to_thread(self._copy_precondition, request)
                if failed is not None:
                    return _error(failed, request.method)
            return await self._forward(request, body)
        if is_presigned(raw_query):
            received = received_from_scope(request.scope, list(request.headers.items()), b"")
            verdict = self.presigned.verify(received)
            if isinstance(verdict, S3Error):
                return _error(verdict, request.method)
            return await self._forward(request, await self._body(request))
        path = request.scope.get("raw_path") or request.url.path.encode()
        if request.method == "POST" and bytes(path).rstrip(b"/") == f"/{bucket.name}".encode():
            return await self._form_upload(bucket, request)
        return _error(access_denied(), request.method)

    async def _body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _TooLarge
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    # ---------------------------------------------------------------- browser forms
    async def _form_upload(self, bucket: Bucket, request: Request) -> Response:
        content_type = request.headers.get("content-type", "")
        if not content_type.lower().startswith("multipart/form-data"):
            return _error(
                S3Error(
                    412,
                    "PreconditionFailed",
                    "At least one of the pre-conditions you specified did not hold",
                    {"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"},
                ),
                "POST",
            )
        body = await self._body(request)
        try:
            parts = parse_form(body, content_type)
        except MalformedForm:
            return _error(
                S3Error(
                    400,
                    "MalformedPOSTRequest",
                    "The body of your POST request is not well-formed multipart/form-data.",
                ),
                "POST",
            )
        verdict = self.forms.verify(bucket.name, parts, self.clock())
        if isinstance(verdict, S3Error):
            return _error(verdict, "POST")
        etag = await asyncio.to_thread(self._store, bucket.name, verdict)
        host = request.headers.get("host", "")
        location = f"{request.url.scheme}://{host}/{bucket.name}/{quote(verdict.key)}"
        headers = {"ETag": etag, "Location": location}
        if verdict.status == 201:
            xml = (
                '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
                f"<Location>{escape(location)}</Location><Bucket>{escape(bucket.name)}</Bucket>"
                f"<Key>{escape(verdict.key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
            )
            return Response(xml, 201, headers=headers, media_type="application/xml")
        return Response(b"", verdict.status, headers=headers)

    def _moto_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                self._client = s3_client(self.moto.geturl(), self.region)
            return self._client

    def _store(self, bucket: str, upload: Upload) -> str:
        answer = self._moto_client().put_object(
            Bucket=bucket,
            Key=upload.key,
            Body=upload.body,
            Metadata=upload.metadata,
            **upload.headers,
        )
        return str(answer["ETag"])

    # ---------------------------------------------------------------- CopyObject
    def _copy_precondition(self, request: Request) -> S3Error | None:
        """S3's refusal of a CopyObject whose `x-amz-copy-source-if-match` (or
        `-if-none-match`) the source's ETag fails; None to go on."""
        source = request.headers["x-amz-copy-source"]
        if_match = request.headers.get("x-amz-copy-source-if-match")
        if_none_match = request.headers.get("x-amz-copy-source-if-none-match")
        path, _, query = unquote(source).lstrip("/").partition("?")
        bucket, _, key = path.partition("/")
        version = query.removeprefix("versionId=") if query.startswith("versionId=") else None
        try:
            head = self._moto_client().head_object(
                Bucket=bucket, Key=key, **({"VersionId": version} if version else {})
            )
        except Exception:  # no such source: moto's own answer to the copy says so
            return None
        etag = str(head["ETag"]).strip('"')

        def matches(header: str) -> bool:
            tags = [t.strip().strip('"') for t in header.split(",")]
            return "*" in tags or etag in tags

        failed = None
        if if_match is not None and not matches(if_match):
            failed = "x-amz-copy-source-If-Match"
        elif if_none_match is not None and matches(if_none_match):
            failed = "x-amz-copy-source-If-None-Match"
        if failed is None:
            return None
        return S3Error(
            412,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            {"Condition": failed},
        )

    # ---------------------------------------------------------------- moto
    async def _forward(self, request: Request, body: bytes) -> Response:
        raw_path = bytes(request.scope.get("raw_path") or request.url.path.encode())
        query = bytes(request.scope.get("query_string") or b"")
        target = raw_path.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        headers = [
            (name, value)
            for name, value in request.headers.items()
            if name.lower() not in _NOT_FORWARDED
        ]
        if body or request.method in ("POST", "PUT"):
            headers.append(("content-length", str(len(body))))
        status, answer_headers, data = await asyncio.to_thread(
            self._exchange, request.method, target, headers, body
        )
        kept = [
            (name.lower(), value)
            for name, value in answer_headers
            if name.lower() not in _NOT_RETURNED and not name.lower().startswith("access-control-")
        ]
        if request.method != "HEAD" and not any(n == "content-length" for n, _ in kept):
            kept.append(("content-length", str(len(data))))
        response = Response(data, status_code=status)
        response.raw_headers = [(n.encode("latin-1"), v.encode("latin-1")) for n, v in kept]
        return response

    def _exchange(
        self, method: str, target: str, headers: list[tuple[str, str]], body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        host, port = self.moto.hostname or "127.0.0.1", self.moto.port or 80
        connection = http.client.HTTPConnection(host, port, timeout=60)
        try:
            connection.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
            connection.putheader("Host", f"{host}:{port}")
            for name, value in headers:
                connection.putheader(name, value)
            connection.endheaders(body or None)
            answer = connection.getresponse()
            data = answer.read()
            return answer.status, answer.getheaders(), data
        finally:
            connection.close()
