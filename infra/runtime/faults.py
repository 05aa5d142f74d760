"""Fault injection for tests: a thread-safe plan of faults the emulator serves.

Three places consult the plan, and nothing in `shared/` knows about it:

- the Management API (`infra/gateway/management_api.py`): the next N POSTs (to one
  connection, or any) answer 410/429/5xx with API Gateway's `x-amzn-ErrorType`, and/or
  hang first;
- DynamoDB, when the emulator runs with `dynamodb_faults=True`: the functions reach DynamoDB
  through `DynamoDBFaultProxy`, which answers the next N requests of one operation (optionally
  of one table) with a throttling error or a 5xx, either instead of forwarding them or after
  forwarding them (the write happened, the response was lost); the proxy also shows every
  request and its answer to an optional `DynamoDBObserver` (benchmarks meter capacity units
  with it);
- Lambda (`infra/runtime/pools.py`): the next N invocations of one function, however they
  are invoked (a route, the Lambda API, a schedule, an asynchronous event or its retry),
  crash (the worker process is killed `after` seconds in: `Runtime.ExitError`), time out
  (ended at `after` seconds as `Sandbox.Timedout`, the worker killed) or fail with an error
  (answered after `after` seconds, the handler not run).

    fault = emulator.faults.management(connection_id=cid, status=429, times=2)
    ...
    assert fault.served == 2
    emulator.faults.clear()
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import urlsplit

log = logging.getLogger("switchboard.faults")

MANAGEMENT_ERROR_TYPES = {
    410: "GoneException",
    429: "LimitExceededException",
    500: "InternalServerErrorException",
    502: "InternalServerErrorException",
    503: "InternalServerErrorException",
    504: "InternalServerErrorException",
}

# DynamoDB's JSON 1.0 error codes and the HTTP status each comes with.
DYNAMODB_ERRORS = {
    "ProvisionedThroughputExceededException": (400, "com.amazonaws.dynamodb.v20120810#"),
    "ThrottlingException": (400, "com.amazon.coral.availability#"),
    "RequestLimitExceeded": (400, "com.amazonaws.dynamodb.v20120810#"),
    "InternalServerError": (500, "com.amazonaws.dynamodb.v20120810#"),
    "ServiceUnavailable": (503, "com.amazon.coral.availability#"),
}
_DYNAMODB_BY_STATUS = {500: "InternalServerError", 503: "ServiceUnavailable"}


@dataclass
class ManagementFault:
    """The next `remaining` POSTs matching `connection_id` (None: any) wait `delay` seconds,
    then answer `status` (None: answered normally after the delay)."""

    connection_id: str | None
    status: int | None
    remaining: int
    delay: float = 0.0
    served: int = 0

    @property
    def error_type(self) -> str | None:
        return MANAGEMENT_ERROR_TYPES.get(self.status) if self.status else None


@dataclass
class DynamoDBFault:
    """The next `remaining` requests of `operation` (to `table`, or any) answer `error`;
    with `after`, the request is forwarded first (it takes effect, the answer is lost)."""

    operation: str
    error: str
    status: int
    remaining: int
    table: str | None = None
    after: bool = False
    served: int = 0

    def body(self) -> bytes:
        prefix = DYNAMODB_ERRORS.get(self.error, (0, "com.amazonaws.dynamodb.v20120810#"))[1]
        return json.dumps(
            {"__type": prefix + self.error, "message": f"injected fault: {self.error}"}
        ).encode()


INVOCATION_FAULT_KINDS = ("crash", "timeout", "error")


@dataclass
class InvocationFault:
    """The next `remaining` invocations of `function_id` (a logical id) fail as `kind` says,
    `after` seconds into the invocation: "crash" kills the worker process then (Lambda's
    `Runtime.ExitError`), "timeout" ends the invocation then as `Sandbox.Timedout` (the
    worker killed, as Lambda kills a timed-out environment), "error" answers a function
    error then without running the handler. A crash or timeout happens at `after` even if
    the handler answered sooner (its answer is lost with the process)."""

    function_id: str
    kind: str
    remaining: int
    after: float = 0.0
    message: str | None = None
    served: int = 0

    def error(self, request_id: str) -> dict[str, Any]:
        """The error payload of an invocation failed by an "error" fault."""
        return {
            "errorMessage": self.message or f"injected fault: {self.kind}",
            "errorType": "InjectedFault",
            "requestId": request_id,
            "stackTrace": [],
        }


class FaultPlan:
    """Faults a test sets on a running emulator; consulted by the emulator's services.

    Faults are consumed in the order they were added; a request takes at most one fault.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._management: list[ManagementFault] = []
        self._dynamodb: list[DynamoDBFault] = []
        self._invocations: list[InvocationFault] = []

    # ---------------------------------------------------------------- setting
    def management(
        self,
        connection_id: str | None = None,
        status: int | None = None,
        times: int = 1,
        delay: float = 0.0,
    ) -> ManagementFault:
        """The next `times` POSTs to `connection_id` (or any) answer `status` (410, 429, 5xx),
        after hanging `delay` seconds; with no status they are answered normally after it."""
        if status is not None and status not in MANAGEMENT_ERROR_TYPES:
            raise ValueError(f"unsupported Management API fault status {status}")
        if status is None and delay <= 0:
            raise ValueError("a Management API fault needs a status or a delay")
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = ManagementFault(connection_id, status, times, delay)
        with self._lock:
            self._management.append(fault)
        return fault

    def dynamodb(
        self,
        operation: str,
        error: str | None = None,
        *,
        status: int | None = None,
        times: int = 1,
        table: str | None = None,
        after: bool = False,
    ) -> DynamoDBFault:
        """The next `times` DynamoDB requests of `operation` (e.g. "PutItem"; to `table`, or
        any) fail with `error` (ProvisionedThroughputExceededException by default,
        ThrottlingException, InternalServerError, ...) or the 5xx `status`. With `after=True`
        the request reaches DynamoDB first and only its answer is replaced."""
        if error is None:
            error = _DYNAMODB_BY_STATUS.get(status or 0, "ProvisionedThroughputExceededException")
        if status is None:
            status = DYNAMODB_ERRORS.get(error, (400, ""))[0]
        if times < 1:
            raise ValueError("times must be at least 1")
        fault = DynamoDBFault(operation, error, status, times, table, after)
        with self._lock:
            self._dynamodb.append(fault)
        return fault

    def invocation(
        self,
        function_id: str,
        kind: str = "crash",
        *,
        after: float = 0.0,
        times: int = 1,
        message: str | None = None,
    ) -> InvocationFault:
        """The next `times` invocations of the function `function_id` (its logical id) fail:
        `kind` "crash" (the worker killed `after` seconds in), "timeout" (ended at `after`
        seconds as Sandbox.Timedout) or "error" (a function error after `after` seconds,
        with `message`). An asynchronous invocation so failed is retried as Lambda retries."""
        if kind not in INVOCATION_FAULT_KINDS:
            raise ValueError(f"unsupported invocation fault {kind!r}: {INVOCATION_FAULT_KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if after < 0:
            raise ValueError("after must not be negative")
        fault = InvocationFault(function_id, kind, times, after, message)
        with self._lock:
            self._invocations.append(fault)
        return fault

    def clear(self) -> None:
        """Remove every pending fault (requests already hanging finish as planned)."""
        with self._lock:
            self._management.clear()
            self._dynamodb.clear()
            self._invocations.clear()

    # ---------------------------------------------------------------- consulting
    def take_management(self, connection_id: str) -> ManagementFault | None:
        with self._lock:
            for fault in self._management:
                if fault.connection_id in (None, connection_id):
                    return self._consume(self._management, fault)
        return None

    def take_dynamodb(self, operation: str, table: str | None) -> DynamoDBFault | None:
        with self._lock:
            for fault in self._dynamodb:
                if fault.operation == operation and fault.table in (None, table):
                    return self._consume(self._dynamodb, fault)
        return None

    def take_invocation(self, function_id: str) -> InvocationFault | None:
        with self._lock:
            for fault in self._invocations:
                if fault.function_id == function_id:
                    return self._consume(self._invocations, fault)
        return None

    @staticmethod
    def _consume(faults: list, fault):
        fault.remaining -= 1
        fault.served += 1
        if fault.remaining <= 0:
            faults.remove(fault)
        return fault


# ---------------------------------------------------------------- DynamoDB proxy


class DynamoDBObserver(Protocol):
    """Sees every DynamoDB request the proxy serves, on the proxy's request thread:
    `before` as it arrives (before it reaches DynamoDB; its return value is handed to
    `after`), `after` with the answer the caller gets (status, parsed JSON body)."""

    def before(self, operation: str, request: dict[str, Any]) -> Any: ...

    def after(
        self,
        operation: str,
        request: dict[str, Any],
        context: Any,
        status: int,
        response: dict[str, Any],
    ) -> None: ...


_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
}
_CHUNK = 64 * 1024


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - base signature
        log.debug("%s " + format, self.address_string(), *args)

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _answer(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _inject(self, fault: DynamoDBFault) -> None:
        log.info(
            "injected DynamoDB fault %s (%s) on %s", fault.error, fault.status, fault.operation
        )
        self._answer(
            fault.status,
            fault.body(),
            [
                ("Content-Type", "application/x-amz-json-1.0"),
                ("x-amzn-RequestId", f"injected-{time.monotonic_ns()}"),
            ],
        )

    _upstream: http.client.HTTPConnection | None = None

    def _connection(self, fresh: bool = False) -> http.client.HTTPConnection:
        """One upstream connection per client connection (kept alive when DynamoDB allows)."""
        if self._upstream is None or fresh:
            if self._upstream is not None:
                self._upstream.close()
            self._upstream = http.client.HTTPConnection(
                self.server.upstream_host, self.server.upstream_port, timeout=60
            )
        return self._upstream

    def finish(self) -> None:
        super().finish()
        if self._upstream is not None:
            self._upstream.close()

    def _forward(self, body: bytes) -> http.client.HTTPResponse:
        upstream = self._connection()
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = self.server.upstream_netloc
        headers["Content-Length"] = str(len(body))
        try:
            upstream.request(self.command, self.path, body=body, headers=headers)
            return upstream.getresponse()
        except (OSError, http.client.HTTPException):
            # A kept-alive upstream socket the server closed: reconnect once.
            upstream = self._connection(fresh=True)
            upstream.request(self.command, self.path, body=body, headers=headers)
            return upstream.getresponse()

    def _relay(self, response: http.client.HTTPResponse) -> None:
        self.send_response(response.status, response.reason)
        headers = [(k, v) for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP]
        length = response.getheader("Content-Length")
        if length is None:  # chunked or close-delimited upstream: buffer it to frame it
            body = response.read()
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", length)
        self.end_headers()
        while chunk := response.read(_CHUNK):
            self.wfile.write(chunk)

    def _handle(self) -> None:
        body = self._read_body()
        target = self.headers.get("X-Amz-Target") or ""
        operation = target.rsplit(".", 1)[-1] if target else ""
        table = None
        request: dict[str, Any] = {}
        if operation:
            with contextlib.suppress(ValueError, AttributeError):
                request = json.loads(body or b"{}")
                table = request.get("TableName")
        fault = self.server.plan.take_dynamodb(operation, table) if operation else None
        if fault is not None and not fault.after:
            self._inject(fault)
            return
        observer = self.server.observer if operation else None
        context = observer.before(operation, request) if observer is not None else None
        try:
            response = self._forward(body)
        except (OSError, http.client.HTTPException) as exc:
            log.warning("DynamoDB upstream failed: %s", exc)
            self._answer(502, b"", [])
            return
        if fault is not None:  # it took effect upstream; its answer is lost
            response.read()
            self._inject(fault)
            return
        if observer is None:
            self._relay(response)
            return
        answer = response.read()
        headers = [
            (k, v)
            for k, v in response.getheaders()
            if k.lower() not in _HOP_BY_HOP and k.lower() != "content-length"
        ]
        self.send_response(response.status, response.reason)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)
        parsed: dict[str, Any] = {}
        with contextlib.suppress(ValueError, AttributeError):
            parsed = json.loads(answer or b"{}")
        try:
            observer.after(operation, request, context, response.status, parsed)
        except Exception:
            log.exception("the DynamoDB observer failed on %s", operation)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        upstream: str,
        plan: FaultPlan,
        observer: DynamoDBObserver | None = None,
    ) -> None:
        super().__init__(address, _ProxyHandler)
        self.observer = observer
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the fault proxy forwards to plain http endpoints, not {upstream}")
        self.upstream_netloc = parts.netloc
        self.upstream_host = parts.hostname
        self.upstream_port = parts.port or 80
        self.plan = plan


class DynamoDBFaultProxy:
    """An HTTP proxy in front of a DynamoDB endpoint that serves the plan's DynamoDB faults
    and forwards everything else unchanged (method, path, headers, body; response streamed,
    or buffered when an `observer` sees it)."""

    def __init__(
        self,
        upstream: str,
        plan: FaultPlan,
        host: str = "127.0.0.1",
        observer: DynamoDBObserver | None = None,
    ) -> None:
        self.upstream = upstream
        self._server = _ProxyServer((host, 0), upstream, plan, observer)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> DynamoDBFaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"dynamodb-fault-proxy-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()
