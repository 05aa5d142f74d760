"""One warm Lambda execution environment: a subprocess that imports a handler and runs invocations.

Run as a script by infra.runtime.pools (never imported by the emulator itself), with one
JSON argument: {"handler", "code_dir", "layer_dirs", "function_name", "function_arn",
"memory_size", "log_group", "log_stream"}. Protocol: after init it writes one line
{"ready": bool, "error"?} on its private result channel (the original stdout); then it reads
one JSON invocation per stdin line ({"request_id", "deadline_ms", "event"}) and writes one
JSON result line ({"ok", "result"} or {"ok": false, "error"}). The handler's prints and
logging go to stderr, which the emulator relays.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import signal
import sys
import time
import traceback
from typing import Any, TextIO


class LambdaContext:
    """The `context` argument of a Python Lambda handler."""

    def __init__(self, config: dict[str, Any], request_id: str, deadline_ms: int) -> None:
        self.aws_request_id = request_id
        self.function_name: str = config["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn: str = config["function_arn"]
        self.memory_limit_in_mb = str(config["memory_size"])
        self.log_group_name: str = config["log_group"]
        self.log_stream_name: str = config["log_stream"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc: BaseException, error_type: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": "",
        "stackTrace": traceback.format_exception(exc)[1:],
    }


def _redirect_stdout() -> TextIO:
    """Keep the original stdout as the private result channel; fd 1 becomes stderr."""
    private = os.dup(1)
    os.dup2(2, 1)
    sys.stdout = os.fdopen(1, "w", buffering=1, closefd=False)
    return os.fdopen(private, "w", buffering=1)


def _setup_sys_path(config: dict[str, Any]) -> None:
    script_dir = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p) != script_dir]
    for entry in reversed([config["code_dir"], *config["layer_dirs"]]):
        if entry in sys.path:
            sys.path.remove(entry)
        sys.path.insert(0, entry)


def _setup_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("[%(levelname)s]\t%(asctime)s\t%(name)s\t%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(os.environ.get("AWS_LAMBDA_LOG_LEVEL", "INFO").upper())


def _load_handler(spec: str) -> Any:
    module_name, _, attr = spec.rpartition(".")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def _send(channel: TextIO, message: dict[str, Any]) -> None:
    channel.write(json.dumps(message) + "\n")
    channel.flush()


def main() -> None:
    # A terminal's Ctrl-C reaches the whole process group; the emulator stops its
    # workers itself (in order, after the drain), so they must not die mid-invocation
    # printing KeyboardInterrupt tracebacks.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    init_started = time.monotonic()
    config = json.loads(sys.argv[1])
    channel = _redirect_stdout()
    _setup_sys_path(config)
    _setup_logging()
    try:
        handler = _load_handler(config["handler"])
    except Exception as exc:  # noqa: BLE001 - reported to the emulator as an init error
        error_type = "Runtime.ImportModuleError" if isinstance(exc, ImportError) else None
        traceback.print_exc()
        _send(channel, {"ready": False, "error": _error(exc, error_type)})
        return
    _send(channel, {"ready": True})
    # As Lambda's: the first invocation of an environment reports its init (imports).
    init_ms: float | None = (time.monotonic() - init_started) * 1000
    for line in sys.stdin:
        request = json.loads(line)
        request_id = request["request_id"]
        context = LambdaContext(config, request_id, int(request["deadline_ms"]))
        print(f"START RequestId: {request_id} Version: $LATEST", file=sys.stderr, flush=True)
        started = time.monotonic()
        try:
            result = handler(request["event"], context)
            try:
                reply: dict[str, Any] = {"ok": True, "result": json.loads(json.dumps(result))}
            except (TypeError, ValueError) as exc:
                reply = {"ok": False, "error": _error(exc, "Runtime.MarshalError")}
        except Exception as exc:  # noqa: BLE001 - a handler error is an invocation result
            traceback.print_exc()
            reply = {"ok": False, "error": {**_error(exc), "requestId": request_id}}
        sys.stdout.flush()
        sys.stderr.flush()
        elapsed = (time.monotonic() - started) * 1000
        print(f"END RequestId: {request_id}", file=sys.stderr)
        init = f"\tInit Duration: {init_ms:.2f} ms" if init_ms is not None else ""
        init_ms = None
        print(
            f"REPORT RequestId: {request_id}\tDuration: {elapsed:.2f} ms{init}",
            file=sys.stderr,
            flush=True,
        )
        _send(channel, reply)


if __name__ == "__main__":
    main()
