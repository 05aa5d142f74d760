"""The emulator as a whole: stopping it while connections are open and their $disconnects
are slow prints nothing alarming and leaves no process behind.

It runs in a subprocess of its own, so that its stderr (logging configured as the CLI does)
and its children can be inspected as a user of `switchboard local` would see them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import json, logging, sys, threading, time

import httpx, psutil, redis
from websockets.sync.client import connect

from infra.emulator import Emulator
from infra.services.redis_server import LocalRedis
from tests.infra.support import FIXTURES

logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
me = psutil.Process()
records = LocalRedis()  # ours, so that the $disconnect records outlive the emulator
records.start()
emulator = Emulator(FIXTURES / "template.yaml", schedules=False, redis_url=records.url).start()
sockets = []
for _ in range(6):  # more than max_concurrency (4) $disconnects of 1.5 s each
    ws = connect(f"{emulator.websocket_url}?token=good&slowbye=1.5", open_timeout=30)
    ws.send('{"action": "count"}')
    ws.recv(timeout=30)
    sockets.append(ws)
sockets[0].send('{"action": "slow"}')  # a message invocation in flight (times out at 1 s)
rest = threading.Thread(target=httpx.get, args=(f"{emulator.rest_url}/items",), daemon=True)
rest.start()  # and a REST request
ids = set(emulator.connection_ids())
children = [
    (p.pid, p.create_time()) for p in me.children(recursive=True) if p.pid != records.process.pid
]
started = time.monotonic()
emulator.stop()
took = time.monotonic() - started
client = redis.Redis.from_url(records.url, decode_responses=True)
codes = [
    json.loads(e)["requestContext"]["disconnectStatusCode"]
    for e in client.lrange("events:$disconnect", 0, -1)
    if json.loads(e)["requestContext"]["connectionId"] in ids
]
client.close()
records.stop()
time.sleep(0.2)
left = [(p.pid, p.name()) for p in me.children(recursive=True)]
print(json.dumps({"took": took, "children": children, "left": left, "codes": codes}))
"""


def test_stopping_with_open_connections_is_quiet_and_leaves_no_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr[-5000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    stderr = done.stderr
    assert "Traceback" not in stderr and "CancelledError" not in stderr, stderr[-5000:]
    assert not [line for line in stderr.splitlines() if line.startswith("ERROR")], stderr
    # Every connection was closed as API Gateway closes a stage's (1001) and its slow
    # $disconnect ran to the end.
    assert report["codes"] == [1001] * 6
    assert report["took"] < 15
    # Workers, moto and redis-server were running, and none is left, in the emulator's
    # process or anywhere (a child that outlived its parent would have been re-parented).
    assert len(report["children"]) >= 4
    assert report["left"] == []
    for pid, created in report["children"]:
        try:
            alive = psutil.Process(pid).create_time() == created
        except psutil.NoSuchProcess:
            alive = False
        assert not alive, pid
