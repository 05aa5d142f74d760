"""The local Switchboard stack: services + Lambda runtime + API Gateway, in one object.

`Emulator.start()` runs both uvicorn servers (plain and TLS) on their own asyncio loop in
a background thread, and the EventBridge schedule timers; several emulators may run in one
process. The plain port also serves Lambda's Invoke API (`lambda_url`, which every function
gets as `AWS_ENDPOINT_URL_LAMBDA`), whose `Event` invocations `async_invocations` runs with
Lambda's retries and destinations (the template's SQS queues live in moto, which the
functions reach through `AWS_ENDPOINT_URL_SQS`). The same port serves EventBridge's PutEvents
(`AWS_ENDPOINT_URL_EVENTBRIDGE`; `eventbridge` routes events to rules' target functions, and
records them), and S3 for the template's buckets (`AWS_ENDPOINT_URL_S3`, `s3_url`: created
in moto, presigned URLs and browser-form uploads checked as S3 checks them, CORS from the
template); `streams` polls the DynamoDB streams the template maps to functions, and
`sqs_sources` the SQS queues it maps to functions (infra/runtime/sqs_sources.py).
`Emulator.stop()` closes the stage as API Gateway would (each connection closed, its
$disconnect run) before stopping the servers, the asynchronous invocations, the pollers,
the Lambda workers and the services: it prints no traceback and leaves no child process
or thread. Test hooks (`sever`, `stop_redis` / `start_redis`, `run_schedule`, `faults`,
`async_invocations.wait_idle`, `streams.wait_idle`, `sqs_sources.wait_idle`,
`eventbridge.events` / `eventbridge.wait_for`) are thread-safe; so are the meters
benchmarks read: `traffic()` (what API Gateway would bill) and `dynamodb_observer` (sees
every DynamoDB request of the functions).

Both signed APIs (Lambda's Invoke API and the HTTP API's AWS_IAM routes) verify SigV4 and
evaluate IAM policies (infra/gateway/iam.py): `credentials` are the stack owner's, allowed
everything (the functions hold them too); `iam.add_principal(name, policies=[...])` adds a
caller with the template's managed policies (logical ids) and returns its credentials.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import uvicorn

from infra.gateway.app import GatewayApp, build_app
from infra.gateway.connections import Registry
from infra.gateway.iam import LOCAL_ADMIN, Credentials, LocalIam
from infra.gateway.limits import WebSocketProtocol
from infra.gateway.s3_api import S3Front
from infra.gateway.traffic import TrafficSnapshot
from infra.gateway.websocket_api import StageSettings
from infra.runtime.async_invocations import DEFAULT_RETRY_DELAY, AsyncInvocations
from infra.runtime.faults import DynamoDBFaultProxy, DynamoDBObserver, FaultPlan
from infra.runtime.pools import InvokeResult, LambdaRuntime, RuntimeSettings
from infra.runtime.scheduler import Scheduler
from infra.runtime.sqs_sources import QueuePollers
from infra.runtime.streams import StreamPollers
from infra.services.aws import MotoDynamoDB, create_tables, local_jwt_secret
from infra.services.certs import write_self_signed
from infra.services.eventbridge import EventBuses
from infra.services.redis_server import LocalRedis
from infra.services.s3 import create_buckets
from infra.services.sqs import LocalQueues
from infra.template.intrinsics import URL_SUFFIX
from infra.template.reader import Template, load_template

DEV_JWT_SECRET = "switchboard-local-development-secret"
log = logging.getLogger("switchboard.emulator")
REGION = "us-east-1"
T = TypeVar("T")


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.setblocking(False)
    return sock


def issue_local_token(user_id: str, secret: str, expires_in: int = 24 * 3600) -> str:
    from shared.auth import issue_token

    return issue_token(user_id, secret, expires_in=expires_in)


class Emulator:
    """API Gateway (WebSocket + HTTP + Management), Lambda, DynamoDB and Redis, locally."""

    def __init__(
        self,
        template_path: str | Path = "template.yaml",
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        stage: str = "local",
        parameter_overrides: dict[str, str] | None = None,
        idle_timeout: float = 600,
        max_connection_duration: float = 7200,
        dynamodb_endpoint: str | None = None,
        redis_url: str | None = None,
        max_concurrency: int = 4,
        stack_name: str = "switchboard",
        tls_port: int = 0,
        schedules: bool = True,
        schedule_interval: float | None = None,
        jwt_secret: str | None = None,
        aws_endpoint: str | None = None,
        dynamodb_faults: bool = False,
        dynamodb_observer: DynamoDBObserver | None = None,
        stop_timeout: float = 15.0,
        async_retry_delay: float = DEFAULT_RETRY_DELAY,
        print_events: bool = False,
        snippets: list[str | Path] | tuple[str | Path, ...] = (),
    ) -> None:
        self.template_path = Path(template_path).resolve()
        # Template snippets run as if pasted into the template (`--add-template`).
        self.snippets = [Path(snippet).resolve() for snippet in snippets]
        self.host = host
        self.stage = stage
        self.idle_timeout = idle_timeout
        self.max_connection_duration = max_connection_duration
        self.max_concurrency = max_concurrency
        self.stack_name = stack_name
        self.schedules = schedules
        self.schedule_interval = schedule_interval
        self.parameter_overrides = dict(parameter_overrides or {})
        self.jwt_secret = jwt_secret or DEV_JWT_SECRET
        # moto, for the other AWS services (Secrets Manager) and DynamoDB by default;
        # pass another emulator's to share it (moto's state is per process anyway).
        self.aws_endpoint = aws_endpoint or ""
        self._requested_ports = (port, tls_port)
        self._dynamodb_arg = dynamodb_endpoint or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        self._redis_arg = redis_url or os.environ.get("REDIS_URL")
        self.dynamodb_endpoint = self._dynamodb_arg or ""
        self.redis_url = self._redis_arg or ""
        self.port = 0
        self.tls_port = 0
        self.ca_bundle = ""
        self.template: Template | None = None
        self.runtime: LambdaRuntime | None = None
        self.scheduler: Scheduler | None = None
        self.registry = Registry()
        # Test hook: faults the Management API and the functions' invocations (always) and
        # DynamoDB (with dynamodb_faults: the functions then reach DynamoDB through a
        # fault-injecting proxy) serve.
        self.faults = FaultPlan()
        self.dynamodb_faults = dynamodb_faults
        # Sees every DynamoDB request of the functions and its answer (benchmarks meter
        # capacity units with it); the functions then go through the proxy too.
        self.dynamodb_observer = dynamodb_observer
        self._dynamodb_proxy: DynamoDBFaultProxy | None = None
        self._moto: MotoDynamoDB | None = None
        self._redis: LocalRedis | None = None
        self._state_dir: Path | None = None
        # How long stop() lets connections close and their $disconnects (and any request
        # in flight) finish before cancelling what is left.
        self.stop_timeout = stop_timeout
        # Lambda waits 1 then 2 minutes before retrying a failed asynchronous invocation;
        # here retry k waits k * async_retry_delay seconds (see runtime/async_invocations.py).
        if async_retry_delay < 0:
            raise ValueError("async_retry_delay must not be negative")
        self.async_retry_delay = async_retry_delay
        self.async_invocations: AsyncInvocations | None = None
        self.queues: LocalQueues | None = None
        # EventBridge (PutEvents, rules -> async invocations) and the DynamoDB stream pollers.
        self.print_events = print_events  # log every event put at INFO (else DEBUG)
        self.eventbridge: EventBuses | None = None
        self.streams: StreamPollers | None = None
        self.sqs_sources: QueuePollers | None = None  # the SQS event source mappings
        self._iam: LocalIam | None = None
        self._app: GatewayApp | None = None
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    # ---------------------------------------------------------------- URLs
    @property
    def websocket_url(self) -> str:
        return f"ws://{self.host}:{self.port}/{self.stage}"

    @property
    def rest_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def management_url(self) -> str:
        return f"https://{self.host}:{self.tls_port}/{self.stage}"

    @property
    def management_url_plain(self) -> str:
        return f"http://{self.host}:{self.port}/{self.stage}"

    @property
    def s3_url(self) -> str:
        """S3, path-style, for the template's buckets: `boto3.client("s3",
        endpoint_url=emulator.s3_url, config=Config(s3={"addressing_style": "path"}))`."""
        return f"http://{self.host}:{self.port}"

    @property
    def s3(self) -> S3Front:
        """The S3 front (infra/gateway/s3_api.py); tests set `s3.clock` to move "now"."""
        front = self._app.state.s3 if self._app is not None else None
        if front is None:
            raise RuntimeError("the emulator is not started, or its template has no bucket")
        return front

    @property
    def lambda_url(self) -> str:
        """Lambda's Invoke API: `boto3.client("lambda", endpoint_url=emulator.lambda_url)`."""
        return f"http://{self.host}:{self.port}"

    # ---------------------------------------------------------------- IAM
    @property
    def credentials(self) -> Credentials:
        """The stack owner's credentials (every function's too): allowed everything, as an
        account administrator is. `boto3.client(..., **emulator.credentials.as_boto3())`."""
        return LOCAL_ADMIN

    @property
    def iam(self) -> LocalIam:
        """The principals the signed APIs know: `iam.add_principal("orders-service",
        policies=["ServerApiCallerPolicy"])` returns a new caller's credentials."""
        if self._iam is None:
            raise RuntimeError("the emulator is not started")
        return self._iam

    # ---------------------------------------------------------------- lifecycle
    def _start_services(self) -> None:
        if not self.aws_endpoint:
            self._moto = MotoDynamoDB(self.host)
            self._moto.start()
            self.aws_endpoint = self._moto.endpoint
        if not self.dynamodb_endpoint:
            self.dynamodb_endpoint = self.aws_endpoint
        if not self.redis_url:
            self._redis = LocalRedis(self.host)
            self._redis.start()
            self.redis_url = self._redis.url
        if self.dynamodb_faults or self.dynamodb_observer is not None:
            self._dynamodb_proxy = DynamoDBFaultProxy(
                self.dynamodb_endpoint, self.faults, self.host, self.dynamodb_observer
            ).start()

    @property
    def functions_dynamodb_endpoint(self) -> str:
        """Where the functions reach DynamoDB: the fault proxy, if any, else the endpoint."""
        proxy = self._dynamodb_proxy
        return proxy.endpoint if proxy is not None else self.dynamodb_endpoint

    def _load(self) -> Template:
        # The emulator fills the parameters a deployment would: the stage, the
        # Redis URL and the JWT signing secret (kept in moto's Secrets Manager).
        overrides = {
            "Stage": self.stage,
            "RedisUrl": self.redis_url,
            "JwtSecretArn": local_jwt_secret(
                self.aws_endpoint, REGION, self.stack_name, self.jwt_secret
            ),
            **self.parameter_overrides,
        }
        template = load_template(
            self.template_path,
            overrides,
            stack_name=self.stack_name,
            region=REGION,
            snippets=self.snippets,
        )
        if template.websocket_api is not None:
            aws_host = f"{template.websocket_api.api_id}.execute-api.{REGION}.{URL_SUFFIX}"
            template.rewrite_environment(aws_host, f"127.0.0.1:{self.tls_port}")
        return template

    def start(self) -> Emulator:
        """Start everything; returns once both ports accept connections and tables exist."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self) -> None:
        self._state_dir = Path(tempfile.mkdtemp(prefix="switchboard-local-"))
        cert, key = write_self_signed(self._state_dir)
        self.ca_bundle = str(cert)
        plain_sock = _bind(self.host, self._requested_ports[0])
        tls_sock = _bind(self.host, self._requested_ports[1])
        self.port = plain_sock.getsockname()[1]
        self.tls_port = tls_sock.getsockname()[1]
        self._start_services()
        self.template = self._load()
        self._iam = LocalIam(
            self.template.account_id,
            {lid: policy.statements for lid, policy in self.template.policies.items()},
        )
        create_tables(self.dynamodb_endpoint, REGION, self.template.tables.values())
        create_buckets(self.aws_endpoint, REGION, self.template.buckets.values())
        queues = self.queues = LocalQueues(
            self.aws_endpoint,
            REGION,
            self.template.queues.values(),
            self.template.alarms.values(),
        ).create()
        self.runtime = LambdaRuntime(
            self.template.functions,
            RuntimeSettings(
                region=REGION,
                account_id=self.template.account_id,
                dynamodb_endpoint=self.functions_dynamodb_endpoint,
                ca_bundle=self.ca_bundle,
                max_concurrency=self.max_concurrency,
                extra_environment={
                    # API Gateway's fixed 2 hours, or this stage's own (hello's renew).
                    "MAX_CONNECTION_SECONDS": str(self.max_connection_duration),
                    "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.aws_endpoint,
                    "AWS_ENDPOINT_URL_SQS": self.aws_endpoint,
                    # Lambda's Invoke API on the plain port: functions invoke each other.
                    "AWS_ENDPOINT_URL_LAMBDA": f"http://127.0.0.1:{self.port}",
                    # EventBridge's PutEvents, on the same port. botocore's variable is
                    # named after the service id (EventBridge); _EVENTS is the client's name.
                    "AWS_ENDPOINT_URL_EVENTBRIDGE": f"http://127.0.0.1:{self.port}",
                    "AWS_ENDPOINT_URL_EVENTS": f"http://127.0.0.1:{self.port}",
                    # S3 on the same port (s3_api.py), so the URLs the functions presign
                    # are the emulator's, which a browser that loaded the demo page reaches.
                    "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{self.port}",
                },
            ),
            self.faults,
        )
        self.async_invocations = AsyncInvocations(
            self.runtime,
            region=REGION,
            account_id=self.template.account_id,
            retry_delay=self.async_retry_delay,
            senders={"SQS": queues.send},
            name=f"lambda-async-{self.port}",
        )
        self.eventbridge = EventBuses(
            self.template.event_buses,
            self.template.event_rules,
            self.async_invocations,
            region=REGION,
            account_id=self.template.account_id,
            print_events=self.print_events,
        )
        app = self._app = build_app(
            self.template,
            self.runtime,
            StageSettings(
                stage=self.stage,
                region=REGION,
                account_id=self.template.account_id,
                domain_name=f"127.0.0.1:{self.tls_port}",
                idle_timeout=self.idle_timeout,
                max_connection_duration=self.max_connection_duration,
            ),
            self.registry,
            self.faults,
            self.async_invocations,
            self.eventbridge,
            self._iam,
            s3_endpoint=self.aws_endpoint,
        )
        scheduler = self.scheduler = Scheduler(
            self.runtime,
            self.template.schedules,
            region=REGION,
            account_id=self.template.account_id,
            interval=self.schedule_interval,
        )
        common: dict[str, Any] = {
            "ws": WebSocketProtocol,  # answers the handshakes too long to parse (limits.py)
            "log_config": None,
            "log_level": "warning",
            "lifespan": "off",
            "timeout_graceful_shutdown": 1,
            "access_log": False,
        }
        self._servers = [
            uvicorn.Server(uvicorn.Config(app, **common)),
            uvicorn.Server(
                uvicorn.Config(app, ssl_certfile=str(cert), ssl_keyfile=str(key), **common)
            ),
        ]
        self._thread = threading.Thread(
            target=self._serve,
            args=([plain_sock], [tls_sock]),
            name=f"switchboard-{self.port}",
            daemon=True,
        )
        self._thread.start()
        deadline = time.monotonic() + 30
        while not all(server.started for server in self._servers):
            if self._error is not None:
                raise RuntimeError("the emulator failed to start") from self._error
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the emulator failed to start")
            time.sleep(0.02)
        # What is alive now (imports, boto3's models, the app) lives as long as the
        # process: out of the cyclic collector's way, a full collection under load
        # walks only what came later (it stalled every delivery ~100 ms before).
        # LATEST: the streams' positions now, before start() returns.
        self.streams = StreamPollers(
            self.runtime,
            self.template.stream_sources,
            self.template.tables,
            endpoint=self.dynamodb_endpoint,
            region=REGION,
            senders={"SQS": queues.send},
            name=f"dynamodb-streams-{self.port}",
        ).start()
        self.sqs_sources = QueuePollers(
            self.runtime,
            self.template.queue_sources,
            queues.urls,
            endpoint=self.aws_endpoint,
            region=REGION,
            name=f"sqs-sources-{self.port}",
        ).start()
        gc.freeze()
        if self.schedules:
            scheduler.start()

    def _serve(self, plain: list[socket.socket], tls: list[socket.socket]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        plain_server, tls_server = self._servers
        try:
            loop.run_until_complete(
                asyncio.gather(plain_server.serve(sockets=plain), tls_server.serve(sockets=tls))
            )
        except BaseException as exc:  # surfaced by start()
            self._error = exc
        finally:
            for sock in plain + tls:
                sock.close()
            loop.close()

    def _drain(self) -> None:
        """Close the stage in order (infra.gateway.app.GatewayApp.drain) on its loop."""
        loop, app = self._loop, self._app
        if loop is None or app is None or self._thread is None or loop.is_closed():
            return
        if not self._thread.is_alive():
            return
        future = asyncio.run_coroutine_threadsafe(app.drain(self.stop_timeout), loop)
        try:
            future.result(timeout=self.stop_timeout + 5)
        except Exception as exc:  # the servers stop anyway; say why this one was abrupt
            future.cancel()
            log.warning("the gateway did not drain: %r", exc)

    def stop(self) -> None:
        """Stop timers, the gateway (its connections closed and their $disconnects run
        first), the asynchronous invocations (what is queued is dropped), the Lambda
        workers and the services this emulator started. Idempotent."""
        if self.scheduler is not None:
            self.scheduler.cancel()
        self._drain()
        if self.async_invocations is not None:
            self.async_invocations.close()
        if self.streams is not None:
            self.streams.close()
        if self.sqs_sources is not None:
            self.sqs_sources.close()
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None
        if self.runtime is not None:
            self.runtime.stop()
        if self.async_invocations is not None:
            self.async_invocations.join()
        if self.streams is not None:
            self.streams.join()
        if self.sqs_sources is not None:
            self.sqs_sources.join()
        if self.scheduler is not None:
            self.scheduler.join()
        if self._dynamodb_proxy is not None:
            self._dynamodb_proxy.stop()
            self._dynamodb_proxy = None
        if self._redis is not None:
            self._redis.stop()
            self._redis = None
        if self._moto is not None:
            self._moto.stop()
            self._moto = None
        if self._state_dir is not None:
            shutil.rmtree(self._state_dir, ignore_errors=True)
            self._state_dir = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # ---------------------------------------------------------------- helpers
    def token(self, user_id: str, expires_in: int = 24 * 3600) -> str:
        return issue_local_token(user_id, self.jwt_secret, expires_in)

    def invoke_result(self, function_logical_id: str, event: dict[str, Any]) -> InvokeResult:
        if self.runtime is None:
            raise RuntimeError("the emulator is not started")
        return self.runtime.invoke(function_logical_id, event)

    def invoke(self, function_logical_id: str, event: dict[str, Any]) -> Any:
        """Invoke a function as Lambda would; returns its payload (or Lambda's error payload)."""
        result = self.invoke_result(function_logical_id, event)
        return result.payload if result.ok else result.error

    def invoke_event(self, function_logical_id: str, payload: Any) -> str:
        """Invoke a function asynchronously, as Lambda's Invoke with InvocationType=Event;
        returns the request id (the invocation record's `requestContext.requestId`)."""
        if self.async_invocations is None:
            raise RuntimeError("the emulator is not started")
        return self.async_invocations.submit(function_logical_id, payload)

    def run_schedule(self, function_logical_id: str, event_name: str | None = None) -> Any:
        """Invoke a scheduled function once now, as its EventBridge rule would; returns the
        payload (or Lambda's error payload). Waits for a timer-driven run in progress."""
        if self.scheduler is None:
            raise RuntimeError("the emulator is not started")
        result = self.scheduler.run(self.scheduler.find(function_logical_id, event_name))
        assert result is not None
        return result.payload if result.ok else result.error

    # ---------------------------------------------------------------- connections
    def _on_loop(self, fn: Callable[[], T]) -> T:
        """Run `fn` on the emulator's event loop (where connections live) and return its value."""
        loop = self._loop
        if loop is None or self._thread is None or loop.is_closed():
            raise RuntimeError("the emulator is not started")
        if self._thread is threading.current_thread():
            return fn()

        async def call() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)

    def connection_ids(self) -> list[str]:
        """Ids of the connections the gateway holds as connected (the Management API's view)."""
        return self._on_loop(self.registry.live_ids)

    def traffic(self) -> TrafficSnapshot:
        """What API Gateway would bill so far (infra/gateway/traffic.py): messages in and
        out (by route), Management API POSTs, GETs and DELETEs, connection time. Subtract
        two snapshots for the traffic between them."""
        app = self._app
        if app is None:
            raise RuntimeError("the emulator is not started")
        return self._on_loop(app.traffic.snapshot)

    def sever(self, connection_id: str) -> None:
        """Drop a client's TCP connection without a close frame and forget it, like API
        Gateway losing a connection whose $disconnect never comes: $disconnect is NOT
        invoked, and the Management API answers 410 for it. KeyError if it is not live."""
        self._on_loop(lambda: self.registry.sever(connection_id))

    # ---------------------------------------------------------------- Redis outages
    @property
    def owns_redis(self) -> bool:
        """True when this emulator spawned its own redis-server (no redis_url / REDIS_URL)."""
        return self._redis is not None

    def _own_redis(self) -> LocalRedis:
        if self._redis is None:
            if self._redis_arg:
                raise RuntimeError(
                    f"this emulator uses an external Redis ({self._redis_arg}); stop_redis() "
                    "and start_redis() only control the redis-server the emulator spawns"
                )
            raise RuntimeError("the emulator is not started")
        return self._redis

    def stop_redis(self) -> None:
        """Stop the emulator's redis-server (a Redis outage); its data is lost."""
        self._own_redis().stop()

    def start_redis(self) -> None:
        """Start the emulator's redis-server again on the same port, so `redis_url` (which
        the functions hold) stays valid. Empty: the stopped server kept nothing."""
        self._own_redis().start()
