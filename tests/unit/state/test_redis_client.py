"""shared.state.redis_client: one lazy client per container, a circuit breaker, degradation."""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis

from shared import config
from shared.observability import calls
from shared.state import redis_client
from shared.state.redis_client import OPEN_CIRCUIT_SECONDS, RedisUnavailable
from tests.interpreter import run_fresh

Configure = Callable[..., config.Settings]
ROOT = Path(__file__).resolve().parents[3]


class Monotonic:
    """The breaker's clock (``time.monotonic`` as redis_client sees it), moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monotonic(monkeypatch: pytest.MonkeyPatch) -> Monotonic:
    clock = Monotonic()
    monkeypatch.setattr(redis_client, "time", SimpleNamespace(monotonic=clock))
    return clock


@pytest.fixture
def live(configure: Configure, redis_url: str) -> str:
    """Settings pointing at the session's real redis-server."""
    configure(redis_url=redis_url)
    calls.reset()
    return redis_url


@pytest.fixture
def closed_port_url() -> str:
    """A redis:// URL on a local port nobody listens on (connection refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"redis://127.0.0.1:{port}/0"


@pytest.fixture
def silent_server_url() -> Iterator[str]:
    """A server that accepts connections and never answers (a hung Redis)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def ping(r: redis.Redis) -> bool:
    return bool(r.ping())


# ---------------------------------------------------------------- the client


def test_the_client_is_built_on_first_use_from_the_redis_url_setting(live: str) -> None:
    client = redis_client.client()
    kwargs = client.connection_pool.connection_kwargs
    assert f"redis://{kwargs['host']}:{kwargs['port']}/{kwargs['db']}" == live
    assert kwargs["decode_responses"] is True
    assert kwargs["socket_timeout"] == redis_client.TIMEOUT_SECONDS
    assert kwargs["socket_connect_timeout"] == redis_client.TIMEOUT_SECONDS


def test_building_the_client_does_not_connect(
    configure: Configure, closed_port_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    redis_client.client()  # no server there: only a call finds out
    with pytest.raises(RedisUnavailable):
        redis_client.call(ping)


def test_the_container_keeps_one_client(live: str) -> None:
    assert redis_client.client() is redis_client.client()


def test_a_new_redis_url_builds_a_new_client_on_next_use(
    live: str, configure: Configure, closed_port_url: str
) -> None:
    before = redis_client.client()
    configure(redis_url=closed_port_url)
    after = redis_client.client()
    assert after is not before
    port = int(closed_port_url.rsplit(":", 1)[1].split("/")[0])
    assert after.connection_pool.connection_kwargs["port"] == port


def test_without_a_redis_url_redis_is_unavailable(configure: Configure) -> None:
    configure(redis_url="")
    with pytest.raises(RedisUnavailable, match="REDIS_URL is not set"):
        redis_client.client()
    with pytest.raises(RedisUnavailable):
        redis_client.call(ping)


def test_values_come_back_decoded(live: str) -> None:
    redis_client.call(lambda r: r.set("sb:test:decoded", "é"))
    assert redis_client.call(lambda r: r.get("sb:test:decoded")) == "é"


# ---------------------------------------------------------------- calls and their count


def test_call_runs_the_operation_on_the_client_and_returns_its_result(live: str) -> None:
    seen: list[redis.Redis] = []

    def operation(r: redis.Redis) -> str:
        seen.append(r)
        return "done"

    assert redis_client.call(operation) == "done"
    assert seen == [redis_client.client()]


def test_each_call_counts_one_redis_round_trip(live: str) -> None:
    def pipeline(r: redis.Redis) -> list[object]:
        pipe = r.pipeline(transaction=False)
        pipe.set("sb:test:a", "1")
        pipe.get("sb:test:a")
        return list(pipe.execute())

    redis_client.call(ping)
    assert redis_client.call(pipeline) == [True, "1"]  # a pipeline is one round trip
    assert calls.counted() == {"redis.RoundTrip": 2}


def test_a_command_error_is_the_callers_and_does_not_open_the_circuit(live: str) -> None:
    with pytest.raises(redis.ResponseError):
        redis_client.call(lambda r: r.execute_command("NO-SUCH-COMMAND"))
    assert redis_client.call(ping) is True


# ---------------------------------------------------------------- the circuit breaker


def test_a_refused_connection_raises_redis_unavailable(
    configure: Configure, closed_port_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    with pytest.raises(RedisUnavailable) as raised:
        redis_client.call(ping)
    assert isinstance(raised.value.__cause__, redis.ConnectionError)


def test_after_a_connection_error_calls_are_refused_at_once_while_the_circuit_is_open(
    configure: Configure, closed_port_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    with pytest.raises(RedisUnavailable):
        redis_client.call(ping)
    calls.reset()
    ran: list[bool] = []
    monotonic.now += OPEN_CIRCUIT_SECONDS - 0.01
    with pytest.raises(RedisUnavailable, match="a moment ago"):
        redis_client.call(lambda r: ran.append(True))
    assert ran == []  # the operation never ran
    assert calls.counted() == {}  # and no round trip was attempted


def test_once_the_circuit_closes_calls_reach_a_redis_that_came_back(
    configure: Configure, monotonic: Monotonic
) -> None:
    from infra.services.redis_server import LocalRedis

    server = LocalRedis()  # its own redis-server: this test stops it (an outage)
    server.start()
    try:
        configure(redis_url=server.url)
        assert redis_client.call(ping) is True
        server.stop()
        with pytest.raises(RedisUnavailable):
            redis_client.call(ping)
        server.start()  # back, on the same port
        with pytest.raises(RedisUnavailable, match="a moment ago"):
            redis_client.call(ping)
        monotonic.now += OPEN_CIRCUIT_SECONDS
        assert redis_client.call(ping) is True
    finally:
        server.stop()


def test_a_closed_circuit_that_fails_again_opens_again(
    configure: Configure, closed_port_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    with pytest.raises(RedisUnavailable):
        redis_client.call(ping)
    monotonic.now += OPEN_CIRCUIT_SECONDS
    calls.reset()
    with pytest.raises(RedisUnavailable) as raised:
        redis_client.call(ping)  # tried again: a real attempt
    assert isinstance(raised.value.__cause__, redis.ConnectionError)
    assert calls.counted() == {"redis.RoundTrip": 1}
    monotonic.now += OPEN_CIRCUIT_SECONDS / 2
    with pytest.raises(RedisUnavailable, match="a moment ago"):
        redis_client.call(ping)


def test_new_settings_close_the_circuit(
    configure: Configure, closed_port_url: str, redis_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    with pytest.raises(RedisUnavailable):
        redis_client.call(ping)
    configure(redis_url=redis_url)
    assert redis_client.call(ping) is True


def test_a_redis_that_never_answers_times_out_and_opens_the_circuit(
    configure: Configure, silent_server_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=silent_server_url)
    with pytest.raises(RedisUnavailable) as raised:
        redis_client.call(ping)
    assert isinstance(raised.value.__cause__, redis.TimeoutError | redis.ConnectionError)
    with pytest.raises(RedisUnavailable, match="a moment ago"):
        redis_client.call(ping)


# ---------------------------------------------------------------- degrade


def test_degrade_returns_the_operations_result_when_redis_answers(live: str) -> None:
    assert redis_client.degrade(ping, False) is True


def test_degrade_returns_the_fallback_when_redis_is_down_or_the_circuit_open(
    configure: Configure, closed_port_url: str, monotonic: Monotonic
) -> None:
    configure(redis_url=closed_port_url)
    fallback: object = object()
    assert redis_client.degrade(ping, fallback) is fallback  # refused
    assert redis_client.degrade(ping, fallback) is fallback  # circuit open


def test_degrade_returns_the_fallback_when_redis_is_not_configured(configure: Configure) -> None:
    configure(redis_url="")
    fallback: object = object()
    assert redis_client.degrade(ping, fallback) is fallback


def test_degrade_lets_command_errors_through(live: str) -> None:
    with pytest.raises(redis.ResponseError):
        redis_client.degrade(lambda r: r.execute_command("NO-SUCH-COMMAND"), None)


# ---------------------------------------------------------------- redis.asyncio, deferred

SYNC_USE = """
import json, sys
from shared.state import redis_client
r = redis_client.client()
redis_client.call(lambda r: r.eval("return redis.call('SET', KEYS[1], ARGV[1])", 1, "sb:t:k", "v"))
script = r.register_script("return redis.call('GET', KEYS[1])")
def pipeline(r):
    pipe = r.pipeline(transaction=False)
    pipe.zadd("sb:t:z", {"m": 1})
    pipe.hset("sb:t:h", mapping={"f": "v"})
    pipe.zrangebyscore("sb:t:z", "-inf", "+inf")
    return pipe.execute()
print(json.dumps({
    "script": redis_client.call(lambda r: script(keys=["sb:t:k"])),
    "pipeline": redis_client.call(pipeline),
    "loaded": sorted(m for m in sys.modules if m.startswith("redis.asyncio")),
}))
"""

ASYNC_USE = """
import asyncio, json, sys
from shared.state import redis_client
redis_client.call(lambda r: r.ping())
import redis.asyncio
from redis.asyncio import Redis
async def ping():
    client = redis.asyncio.Redis.from_url(sys.argv[1])
    try:
        return await client.ping()
    finally:
        await client.aclose()
print(json.dumps({
    "ping": asyncio.run(ping()),
    "same": Redis is redis.asyncio.client.Redis,
    "names": sorted(n for n in ("Redis", "ConnectionPool", "Sentinel") if n in dir(redis.asyncio)),
}))
"""


def fresh_interpreter(code: str, redis_url: str) -> dict[str, object]:
    """Run ``code`` in a new interpreter, REDIS_URL set (its first argument too)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REDIS_URL": redis_url}
    return run_fresh(code, env, redis_url)


def test_using_the_client_never_imports_redis_asyncios_client(redis_url: str) -> None:
    used = fresh_interpreter(SYNC_USE, redis_url)
    assert used["script"] == "v"
    assert used["pipeline"] == [1, 1, ["m"]]
    loaded = used["loaded"]
    assert isinstance(loaded, list) and "redis.asyncio.client" not in loaded
    assert "redis.asyncio.connection" not in loaded


def test_asyncio_users_of_redis_py_still_get_the_whole_package(redis_url: str) -> None:
    used = fresh_interpreter(ASYNC_USE, redis_url)
    assert used == {"ping": True, "same": True, "names": ["ConnectionPool", "Redis", "Sentinel"]}
