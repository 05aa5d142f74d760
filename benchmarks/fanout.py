"""Fan-out cost against a local Management API stub: CPU per recipient and wall time.

A stub of the API Gateway Management API (a threaded HTTP server on 127.0.0.1,
run in a subprocess so its CPU is not counted) answers
``POST /{stage}/@connections/{id}`` with 200 after an optional delay. Two
measurements, each beside its baseline in the same run:

* CPU per recipient (no delay): ``shared.fanout.post_to_connections`` against a
  plain serial loop of ``boto3.client("apigatewaymanagementapi").post_to_connection``,
  as ``time.process_time()`` deltas of this process (all its threads).
* Wall time with 20 ms per call: ``post_to_connections`` on 1,000 recipients
  against the serial loop (timed on 100 recipients, extrapolated x10).

Both clients are made and warmed before timing. The 410 path is not exercised.
Run: ``python -m benchmarks.fanout``.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# shared.config / shared.models read the environment at import: dummy values, no real AWS.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_EC2_METADATA_DISABLED": "true",
    }
)
os.environ.pop("AWS_PROFILE", None)

CPU_RECIPIENTS = 2000
CPU_ROUNDS = 3
WALL_RECIPIENTS = 1000
SERIAL_WALL_SAMPLE = 100
DELAY_SECONDS = 0.020
PAYLOAD = b'{"event":"message:new","data":{"chatId":"c1","body":"hello"}}'


# ---------------------------------------------------------------- the stub


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as API Gateway does
    delay = 0.0

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.split("/")
        if len(parts) != 4 or parts[2] != "@connections":
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.delay:
            time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def _serve_stub(delay: float) -> None:
    _Handler.delay = delay
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


@contextmanager
def stub(delay: float) -> Iterator[str]:
    """Run the stub in a subprocess; yield its endpoint_url (stage ``bench``)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.fanout", "--stub", str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}/bench"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# ---------------------------------------------------------------- the measurements


def _ids(n: int, prefix: str) -> list[str]:
    return [f"{prefix}{i:06d}=" for i in range(n)]


def _serial_loop(endpoint: str, shared_client: bool = False) -> Callable[[list[str]], None]:
    import boto3

    from shared.delivery import management_client

    if shared_client:  # the fan-out's own client: its Config and call-counting hook
        client = management_client.client(endpoint)
    else:
        client = boto3.client("apigatewaymanagementapi", endpoint_url=endpoint)
    client.post_to_connection(ConnectionId="warmup=", Data=PAYLOAD)

    def run(ids: list[str]) -> None:
        for cid in ids:
            client.post_to_connection(ConnectionId=cid, Data=PAYLOAD)

    return run


def _fanout(endpoint: str) -> Callable[[list[str]], None]:
    from shared.delivery import fanout

    fanout.post_to_connections(_ids(64, "warm"), PAYLOAD, endpoint)  # client + pool threads

    def run(ids: list[str]) -> None:
        result = fanout.post_to_connections(ids, PAYLOAD, endpoint)
        if result.delivered != len(ids):
            raise RuntimeError(f"fan-out delivered {result.as_dict()} of {len(ids)}")

    return run


def _cpu(run: Callable[[list[str]], None], ids: list[str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one run."""
    cpu, wall = time.process_time(), time.perf_counter()
    run(ids)
    return time.process_time() - cpu, time.perf_counter() - wall


@dataclass
class FanoutFigures:
    """CPU per recipient of each variant (median of interleaved rounds) and wall times."""

    cpu_us: dict[str, float]  # variant label -> µs CPU per recipient
    cpu_wall_s: dict[str, float]  # variant label -> wall s of one CPU round
    baseline: str
    fanout: str
    concurrency: int
    serial_wall_s: float  # estimated from SERIAL_WALL_SAMPLE recipients
    fanout_wall_s: float

    @property
    def cpu_ratio(self) -> float:
        return self.cpu_us[self.fanout] / self.cpu_us[self.baseline]


def measure() -> FanoutFigures:
    from shared.delivery.management_api import CONCURRENCY

    variants = [
        ("serial boto3 loop (baseline)", lambda e: _serial_loop(e)),
        ("serial loop, aws.management client", lambda e: _serial_loop(e, shared_client=True)),
        ("post_to_connections (asyncio)", _fanout),
    ]
    samples: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in variants}
    with stub(0.0) as endpoint:
        runs = [(label, make(endpoint)) for label, make in variants]
        for round_ in range(CPU_ROUNDS):  # interleaved, median of the rounds
            for label, run in runs:
                samples[label].append(_cpu(run, _ids(CPU_RECIPIENTS, f"{round_}{label[:1]}")))
    with stub(DELAY_SECONDS) as endpoint:
        serial, fan = _serial_loop(endpoint), _fanout(endpoint)
        _, s_wall = _cpu(serial, _ids(SERIAL_WALL_SAMPLE, "s"))
        _, f_wall = _cpu(fan, _ids(WALL_RECIPIENTS, "f"))
    return FanoutFigures(
        cpu_us={
            label: statistics.median(c for c, _ in runs) / CPU_RECIPIENTS * 1e6
            for label, runs in samples.items()
        },
        cpu_wall_s={
            label: statistics.median(w for _, w in runs) for label, runs in samples.items()
        },
        baseline=variants[0][0],
        fanout=variants[-1][0],
        concurrency=CONCURRENCY,
        serial_wall_s=s_wall * WALL_RECIPIENTS / SERIAL_WALL_SAMPLE,
        fanout_wall_s=f_wall,
    )


def main() -> None:
    print_figures(measure())


def print_figures(figures: FanoutFigures) -> None:
    print(
        f"CPU per recipient, {CPU_RECIPIENTS:,} recipients, stub without delay "
        f"(median of {CPU_ROUNDS} interleaved rounds)"
    )
    print(f"{'variant':<34}  {'µs CPU/recipient':>16}  {'vs base':>7}  {'wall s':>6}")
    base = figures.cpu_us[figures.baseline]
    for label, per in figures.cpu_us.items():
        wall = figures.cpu_wall_s[label]
        print(f"{label:<34}  {per:>16.0f}  {per / base:>6.2f}x  {wall:>6.2f}")
    print()
    ms = DELAY_SECONDS * 1000
    print(f"Wall time, {WALL_RECIPIENTS:,} recipients, stub adding {ms:.0f} ms per call")
    rows = [
        (
            f"serial boto3 loop (baseline; {SERIAL_WALL_SAMPLE} timed, "
            f"x{WALL_RECIPIENTS // SERIAL_WALL_SAMPLE})",
            f"{figures.serial_wall_s:.2f} (est.)",
        ),
        (f"post_to_connections ({figures.concurrency} in flight)", f"{figures.fanout_wall_s:.2f}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"{'variant':<{width}}  {'wall s':>13}")
    for label, value in rows:
        print(f"{label:<{width}}  {value:>13}")
    floor = WALL_RECIPIENTS / figures.concurrency * DELAY_SECONDS
    print(
        f"speed-up: {figures.serial_wall_s / figures.fanout_wall_s:.1f}x "
        f"(floor at {figures.concurrency} in flight: {floor:.2f} s)"
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--stub":
        _serve_stub(float(sys.argv[2]))
    else:
        main()
