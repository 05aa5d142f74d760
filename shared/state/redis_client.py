"""The Redis connection for presence and typing, with a circuit breaker.

Redis is never the source of truth: when it is unreachable, calls fail fast
(short timeouts, then skipped for a few seconds) and callers degrade instead
of failing the request.

redis-py is imported on first use, not at module import: it costs about 50 ms,
which only the routes that touch Redis should pay (benchmarks/cold_start.py).

And the first use does not pay for redis-py's asyncio client: redis-py 8's
package root runs ``from redis import asyncio``, whose ``__init__`` imports
``redis.asyncio.client``, cluster, sentinel and connection (about a third of
``import redis``), which the sync client never calls. Importing this module puts a
finder on ``sys.meta_path`` that makes ``redis.asyncio`` a *deferred package*:
the module object and its ``__path__`` exist, so ``from redis import asyncio``
and imports of its submodules work (the sync ``redis.commands.core`` imports
``redis.asyncio.observability.recorder``), but its ``__init__`` runs only on the
first access to a name it defines (``redis.asyncio.Redis``, ``from redis.asyncio
import Redis``), so asyncio users of redis-py get the whole package as before.
(``importlib.util.LazyLoader`` does not fit: it runs ``__init__`` on any
attribute access, ``__path__`` included, so that submodule import would trigger
it.) It acts only if this module is imported before redis; tests/unit/state
check in a fresh interpreter that using the client never imports
``redis.asyncio.client``.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import logging
import sys
import threading
import time
import types
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from shared.config import on_change, settings
from shared.observability import calls
from shared.retries import REDIS

if TYPE_CHECKING:
    import redis

log = logging.getLogger(__name__)
T = TypeVar("T")

TIMEOUT_SECONDS = REDIS.read_timeout_seconds  # never retried: the circuit breaker answers
OPEN_CIRCUIT_SECONDS = 2.0

_lock = threading.Lock()
_client: redis.Redis | None = None
_down_until = 0.0


def _forget() -> None:
    """Settings changed: the next call connects to the (maybe new) REDIS_URL."""
    global _client, _down_until
    with _lock:
        _client, _down_until = None, 0.0


on_change(_forget)


# ---------------------------------------------------------------- redis.asyncio, deferred

DEFERRED_PACKAGE = "redis.asyncio"
_init_lock = threading.RLock()


class _DeferredPackage(types.ModuleType):
    """A package whose ``__init__`` has not run: it runs on the first lookup of a name
    the package does not hold yet (submodules already imported are bound as usual)."""

    def __getattr__(self, name: str) -> Any:
        _run_init(self)
        return getattr(self, name)

    def __dir__(self) -> list[str]:
        _run_init(self)
        return dir(self)


def _run_init(module: types.ModuleType) -> None:
    with _init_lock:
        if type(module) is _DeferredPackage:
            object.__setattr__(module, "__class__", types.ModuleType)  # a plain module again
            loader = module.__spec__.loader if module.__spec__ else None
            assert loader is not None
            loader.exec_module(module)


class _DeferringLoader(importlib.abc.Loader):
    """Makes the module (with its ``__path__``) but leaves the real loader's
    ``exec_module`` to the first lookup (``_DeferredPackage``)."""

    def __init__(self, real: importlib.abc.Loader) -> None:
        self.real = real

    def exec_module(self, module: types.ModuleType) -> None:
        if module.__spec__ is not None:
            module.__spec__.loader = self.real
        module.__loader__ = self.real
        module.__class__ = _DeferredPackage


class _DeferringFinder(importlib.abc.MetaPathFinder):
    """Finds ``DEFERRED_PACKAGE`` as the path finders would, with a deferring loader."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: types.ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != DEFERRED_PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path, target)
        if spec is None or spec.loader is None or spec.submodule_search_locations is None:
            return spec
        spec.loader = _DeferringLoader(spec.loader)
        return spec


if not any(isinstance(finder, _DeferringFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _DeferringFinder())


class RedisUnavailable(Exception):
    """Redis is not configured, down, or was down a moment ago."""


def client() -> redis.Redis:
    """One client (and connection pool) per container, made on first use."""
    global _client
    with _lock:
        if _client is None:
            import redis

            url = settings().redis_url
            if not url:
                raise RedisUnavailable("REDIS_URL is not set")
            _client = redis.Redis.from_url(
                url,
                socket_timeout=TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS.connect_timeout_seconds,
                health_check_interval=30,
                decode_responses=True,
            )
        return _client


def call(operation: Callable[[redis.Redis], T]) -> T:
    """Run ``operation`` (one round trip: a command, a script or a pipeline) on Redis, or
    raise RedisUnavailable (at once while the circuit is open)."""
    global _down_until
    if time.monotonic() < _down_until:
        raise RedisUnavailable("redis was unreachable a moment ago")
    calls.record("redis.RoundTrip")
    import redis  # already loaded by client() unless it raised before

    try:
        return operation(client())
    except (redis.ConnectionError, redis.TimeoutError) as error:
        _down_until = time.monotonic() + OPEN_CIRCUIT_SECONDS
        log.warning("redis unavailable: %s", error)
        raise RedisUnavailable(str(error)) from error


def degrade(operation: Callable[[redis.Redis], T], fallback: T) -> T:
    """Like call(), but a Redis outage yields ``fallback`` (logged) instead of an error."""
    try:
        return call(operation)
    except RedisUnavailable:
        return fallback
