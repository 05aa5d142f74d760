"""Local Lambda service: a small pool of warm worker subprocesses per function.

Owns the worker lifecycle (cold start on first use, reuse while warm, kill on timeout or
exit), the Lambda-like environment each worker gets, the relay of worker stderr to the
emulator log, and the invocation faults a test planned (`faults.FaultPlan.invocation`).
`invoke` is synchronous; `invoke_async` runs it on a thread pool (an `await`-able call,
not Lambda's asynchronous invocation, which is `async_invocations`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import queue
import secrets
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from infra.runtime.faults import FaultPlan, InvocationFault
from infra.template.reader import Function

log = logging.getLogger("switchboard.lambda")
WORKER_SCRIPT = Path(__file__).with_name("worker.py")
INIT_TIMEOUT = 30.0
_EOF = object()


@dataclass
class InvokeResult:
    """The outcome of one invocation: a payload, or an error in Lambda's shape."""

    request_id: str
    payload: Any = None
    error: dict[str, Any] | None = None
    duration_ms: float = 0.0
    cold_start: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def error_message(self) -> str:
        return str((self.error or {}).get("errorMessage", ""))


@dataclass
class RuntimeSettings:
    """What every worker's environment shares (region, credentials, service endpoints)."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    dynamodb_endpoint: str | None = None
    ca_bundle: str | None = None
    max_concurrency: int = 4
    extra_environment: dict[str, str] | None = None


# Every function's temporary credentials (access key id, secret, session token): the stack
# owner's, which the emulator's signed APIs allow everything (infra/gateway/iam.py).
FUNCTION_CREDENTIALS = (
    "ASIALOCALEMULATOR000",
    "local-emulator-secret-access-key",
    "local-emulator-session-token",
)


def lambda_environment(function: Function, settings: RuntimeSettings) -> dict[str, str]:
    """The environment of a function's worker: nothing of the emulator's own leaks in."""
    env = dict(function.environment)
    env.update(settings.extra_environment or {})
    code = str(function.code_dir)
    if settings.dynamodb_endpoint:
        env.setdefault("AWS_ENDPOINT_URL_DYNAMODB", settings.dynamodb_endpoint)
    if settings.ca_bundle:
        env.setdefault("AWS_CA_BUNDLE", settings.ca_bundle)
    env.update(
        {
            "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "AWS_REGION": settings.region,
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_ACCESS_KEY_ID": FUNCTION_CREDENTIALS[0],
            "AWS_SECRET_ACCESS_KEY": FUNCTION_CREDENTIALS[1],
            "AWS_SESSION_TOKEN": FUNCTION_CREDENTIALS[2],
            "AWS_LAMBDA_FUNCTION_NAME": function.name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function.name}",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{function.runtime}",
            "LAMBDA_TASK_ROOT": code,
            "PYTHONPATH": os.pathsep.join([code, *map(str, function.layer_dirs)]),
        }
    )
    return env


# Go's spelling of a signal, as Lambda's runtime reports a process killed by one.
_SIGNAL_NAMES = {
    int(signal.SIGKILL): "killed",
    int(signal.SIGTERM): "terminated",
    int(signal.SIGSEGV): "segmentation fault",
}


def _signal_name(number: int) -> str:
    return _SIGNAL_NAMES.get(number, f"signal {number}")


class Worker:
    """One execution environment (a subprocess running worker.py)."""

    def __init__(self, function: Function, settings: RuntimeSettings) -> None:
        self.function = function
        stream = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{secrets.token_hex(16)}"
        config = {
            "handler": function.handler,
            "code_dir": str(function.code_dir),
            "layer_dirs": [str(d) for d in function.layer_dirs],
            "function_name": function.name,
            "function_arn": function.arn,
            "memory_size": function.memory_size,
            "log_group": f"/aws/lambda/{function.name}",
            "log_stream": stream,
        }
        self.process = subprocess.Popen(
            [sys.executable, "-u", str(WORKER_SCRIPT), json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=str(function.code_dir),
            env=lambda_environment(function, settings),
            text=True,
        )
        self.results: queue.Queue[Any] = queue.Queue()
        assert self.process.stdout and self.process.stderr
        threading.Thread(
            target=self._read_results, args=(self.process.stdout,), daemon=True
        ).start()
        threading.Thread(target=self._relay_logs, args=(self.process.stderr,), daemon=True).start()
        self.invocations = 0

    def _read_results(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                self.results.put(json.loads(line))
            except ValueError:
                log.warning("[%s] garbled result line: %r", self.function.logical_id, line)
        self.results.put(_EOF)

    def _relay_logs(self, stream: IO[str]) -> None:
        for line in stream:
            log.info("[%s] %s", self.function.logical_id, line.rstrip("\n"))

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def _next(self, timeout: float) -> Any:
        try:
            return self.results.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def wait_ready(self) -> dict[str, Any] | None:
        """None when initialised, else the init error."""
        message = self._next(INIT_TIMEOUT)
        if isinstance(message, dict) and message.get("ready"):
            return None
        self.kill()
        if isinstance(message, dict):
            return message.get("error") or {"errorMessage": "init failed"}
        return (
            self._exit_error()
            if message is _EOF
            else {"errorMessage": "Init timed out", "errorType": "Sandbox.Timedout"}
        )

    def _exit_error(self, request_id: str | None = None) -> dict[str, Any]:
        """Lambda's error for an environment whose process ended (`exit status 1`, or
        `signal: killed` for a process killed by a signal)."""
        code = self.process.wait(timeout=5)
        how = f"exit status {code}" if code >= 0 else f"signal: {_signal_name(-code)}"
        prefix = f"RequestId: {request_id} Error: " if request_id else ""
        return {
            "errorMessage": f"{prefix}Runtime exited with error: {how}",
            "errorType": "Runtime.ExitError",
        }

    @staticmethod
    def _timed_out(request_id: str, seconds: float) -> dict[str, Any]:
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "errorMessage": f"{stamp} {request_id} Task timed out after {seconds:.2f} seconds",
            "errorType": "Sandbox.Timedout",
        }

    def run(
        self, event: Any, request_id: str, fault: InvocationFault | None = None
    ) -> InvokeResult:
        """Run one invocation; with a crash or timeout `fault`, the worker is killed at
        `fault.after` seconds (or at the function's timeout, whichever comes first)."""
        timeout = self.function.timeout
        deadline_ms = int(time.time() * 1000 + timeout * 1000)
        started = time.monotonic()
        assert self.process.stdin
        try:
            self.process.stdin.write(
                json.dumps({"request_id": request_id, "deadline_ms": deadline_ms, "event": event})
                + "\n"
            )
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.kill()
            return InvokeResult(request_id, error=self._exit_error(request_id))
        faulted = fault is not None and fault.after < timeout
        message = self._next(fault.after if fault is not None and faulted else timeout)
        if faulted and fault is not None and message not in (None, _EOF):
            # It answered sooner: the answer is held until the fault, and dies with it.
            time.sleep(max(0.0, started + fault.after - time.monotonic()))
        elapsed = (time.monotonic() - started) * 1000
        self.invocations += 1
        if message is _EOF:
            return InvokeResult(request_id, error=self._exit_error(request_id), duration_ms=elapsed)
        if faulted and fault is not None:
            log.info(
                "[%s] injected %s fault: worker killed %.2fs into %s",
                self.function.logical_id,
                fault.kind,
                fault.after,
                request_id,
            )
            self.kill()
            error = (
                self._exit_error(request_id)
                if fault.kind == "crash"
                else self._timed_out(request_id, fault.after)
            )
            return InvokeResult(request_id, error=error, duration_ms=elapsed)
        if message is None:
            self.kill()
            return InvokeResult(
                request_id, error=self._timed_out(request_id, timeout), duration_ms=elapsed
            )
        if message.get("ok"):
            return InvokeResult(request_id, payload=message.get("result"), duration_ms=elapsed)
        return InvokeResult(request_id, error=message.get("error"), duration_ms=elapsed)

    def kill(self) -> None:
        if self.alive:
            self.process.kill()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            log.warning("[%s] worker did not exit", self.function.logical_id)

    def terminate(self) -> None:
        """Ask the worker to end now (SIGTERM: a Lambda environment keeps nothing to save,
        and an interpreter laden with boto3 takes a second or more to exit cleanly)."""
        if self.alive:
            with contextlib.suppress(OSError):
                self.process.terminate()

    def stop(self, deadline: float | None = None) -> None:
        """End the worker: terminated, then killed if still alive at `deadline`
        (time.monotonic(); default: 2 seconds from now)."""
        self.terminate()
        deadline = time.monotonic() + 2 if deadline is None else deadline
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        self.kill()


class FunctionPool:
    """Up to `max_concurrency` warm workers for one function; each runs one invocation at a
    time."""

    def __init__(
        self, function: Function, settings: RuntimeSettings, faults: FaultPlan | None = None
    ) -> None:
        self.function = function
        self.settings = settings
        self.faults = faults
        self.idle: list[Worker] = []
        self.all: set[Worker] = set()
        self.condition = threading.Condition()
        self.starting = 0
        self.closed = False

    def _acquire(self) -> tuple[Worker | None, bool]:
        with self.condition:
            while True:
                if self.closed:
                    raise RuntimeError("the Lambda runtime is stopped")
                while self.idle:
                    worker = self.idle.pop()
                    if worker.alive:
                        return worker, False
                    self.all.discard(worker)
                if len(self.all) + self.starting < self.settings.max_concurrency:
                    self.starting += 1
                    return None, True
                self.condition.wait()

    def _release(self, worker: Worker | None) -> None:
        with self.condition:
            if worker is not None and worker.alive and not self.closed:
                self.idle.append(worker)
            elif worker is not None:
                self.all.discard(worker)
                worker.kill()
            self.condition.notify()

    def invoke(self, event: Any, request_id: str | None = None) -> InvokeResult:
        request_id = request_id or str(uuid.uuid4())
        worker, cold = self._acquire()
        try:
            if worker is None:
                try:
                    worker = Worker(self.function, self.settings)
                finally:
                    with self.condition:
                        self.starting -= 1
                        if worker is not None:
                            self.all.add(worker)
                        closed = self.closed
                if closed:  # stopped while this one started: it must not outlive stop()
                    worker.kill()
                    raise RuntimeError("the Lambda runtime is stopped")
                error = worker.wait_ready()
                if error is not None:
                    return InvokeResult(request_id, error=error, cold_start=True)
            fault = self.faults.take_invocation(self.function.logical_id) if self.faults else None
            if fault is not None and fault.kind == "error":
                started = time.monotonic()
                time.sleep(fault.after)
                log.info("[%s] injected error fault in %s", self.function.logical_id, request_id)
                elapsed = (time.monotonic() - started) * 1000
                return InvokeResult(request_id, error=fault.error(request_id), duration_ms=elapsed)
            result = worker.run(event, request_id, fault)
            result.cold_start = cold
            return result
        finally:
            self._release(worker)

    def close(self) -> list[Worker]:
        """Start no worker and lend none from now on; returns the workers to stop."""
        with self.condition:
            self.closed = True
            workers = list(self.all)
            self.all.clear()
            self.idle.clear()
            self.condition.notify_all()
        return workers

    def stop(self) -> None:
        deadline = time.monotonic() + 2
        for worker in self.close():
            worker.stop(deadline)


class LambdaRuntime:
    """All functions of a template, invocable by logical id."""

    def __init__(
        self,
        functions: dict[str, Function],
        settings: RuntimeSettings,
        faults: FaultPlan | None = None,
    ) -> None:
        self.functions = functions
        self.settings = settings
        self.faults = faults
        self.pools = {lid: FunctionPool(f, settings, faults) for lid, f in functions.items()}
        self.executor = ThreadPoolExecutor(
            max_workers=max(16, 8 * settings.max_concurrency), thread_name_prefix="lambda-invoke"
        )
        self._in_flight = 0
        self._idle = threading.Condition()
        self.stopping = False

    def invoke(self, function_id: str, event: Any, request_id: str | None = None) -> InvokeResult:
        """Run one invocation (`request_id`: an asynchronous event's, kept by its retries)."""
        if function_id not in self.pools:
            raise KeyError(f"no function {function_id} in the template")
        with self._idle:
            self._in_flight += 1
        try:
            result = self.pools[function_id].invoke(event, request_id)
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()
        if result.error:
            log.log(
                logging.INFO if self.stopping else logging.WARNING,
                "[%s] invocation %s failed: %s: %s",
                function_id,
                result.request_id,
                result.error.get("errorType"),
                result.error.get("errorMessage"),
            )
        return result

    async def invoke_async(self, function_id: str, event: Any) -> InvokeResult:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, self.invoke, function_id, event)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every worker (all at once: terminated, killed if still there 2 seconds
        later), then wait up to `timeout` seconds for the invocations in flight to return,
        so that no worker outlives this call. An invocation cut short by the stop is
        logged at INFO, not as a failure."""
        self.stopping = True
        workers = [w for pool in self.pools.values() for w in pool.close()]
        self.executor.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            worker.terminate()
        deadline = time.monotonic() + 2
        for worker in workers:
            worker.stop(deadline)
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=timeout)
