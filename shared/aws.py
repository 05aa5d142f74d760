"""AWS clients reused across invocations, and a per-invocation count of AWS calls.

Every botocore client made here (and PynamoDB's own) reports each API call to
``calls``, so a handler can log exactly what an operation cost.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from shared import models

_lock = threading.Lock()
_calls: Counter[str] = Counter()
_management_clients: dict[str, BaseClient] = {}
_instrumented: set[int] = set()
_botocore_session: botocore.session.Session | None = None

# Standard mode retries 429 LimitExceeded, 5xx and timeouts: 3 attempts in all
# (botocore's "max_attempts" counts retries only; "max_attempts": 3 made 4), with
# jittered backoff (throttling: up to 1 s, then 2 s; others: 50 ms, 100 ms). A post
# takes milliseconds, so short timeouts bound what one hung recipient costs: about
# 3 x 2 s = 6 s, inside the functions' 10 s timeout (4 x 5 s was 20 s: the invocation
# timed out and the sender got no ack). Other recipients are posted concurrently.
MANAGEMENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},
    connect_timeout=1,
    read_timeout=2,
    max_pool_connections=32,
)


def _count(model: Any, **_: Any) -> None:
    record(f"{model.service_model.service_name}.{model.name}")


def record(call: str) -> None:
    """Count one call (AWS API calls are counted automatically; Redis counts its round trips)."""
    with _lock:
        _calls[call] += 1


def _instrument(client: BaseClient) -> BaseClient:
    if id(client) not in _instrumented:
        client.meta.events.register("before-call", _count)
        _instrumented.add(id(client))
    return client


MODELS = (
    models.Connection,
    models.RoomEntry,
    models.Chat,
    models.Member,
    models.Message,
    models.User,
)


def dynamodb() -> BaseClient:
    """A botocore DynamoDB client: the one PynamoDB made for the connections model."""
    return _instrument(models.Connection._get_connection().connection.client)


def _instrument_models() -> None:
    # PynamoDB keeps one botocore client per model; count the calls of each.
    for model in MODELS:
        _instrument(model._get_connection().connection.client)


def _session() -> botocore.session.Session:
    """The botocore session the management clients share (credentials resolved once).
    botocore, not boto3: PynamoDB brings botocore anyway; boto3 adds import time and
    nothing these clients use."""
    global _botocore_session
    if _botocore_session is None:  # a race makes two sessions, one is kept: harmless
        _botocore_session = botocore.session.get_session()
    return _botocore_session


def management(endpoint: str) -> BaseClient:
    """An API Gateway Management API client for one stage endpoint, cached."""
    session = _session()
    with _lock:
        client = _management_clients.get(endpoint)
        if client is None:
            client = session.create_client(
                "apigatewaymanagementapi", endpoint_url=endpoint, config=MANAGEMENT_CONFIG
            )
            _management_clients[endpoint] = client
    return _instrument(client)


def reset_calls() -> None:
    _instrument_models()
    with _lock:
        _calls.clear()


def calls() -> dict[str, int]:
    with _lock:
        return dict(_calls)
