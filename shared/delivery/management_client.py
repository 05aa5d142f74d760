"""The Management API's rare calls (GET and DELETE @connections: the sweeper asking
about a session, closing a user's connections) through a botocore client. Apart from
shared/delivery/management_api.py, whose fan-out poster brings asyncio and ssl: a
function that only asks or closes imports neither."""

from __future__ import annotations

import threading
from typing import Any

import botocore.session
from botocore.client import BaseClient
from botocore.config import Config

from shared.observability import calls
from shared.retries import MANAGEMENT_API

# Standard mode retries 429 LimitExceeded, 5xx and timeouts with jittered backoff,
# as many attempts in all as the Management API policy allows.
CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": MANAGEMENT_API.attempts},
    connect_timeout=MANAGEMENT_API.connect_timeout_seconds,
    read_timeout=MANAGEMENT_API.read_timeout_seconds,
    max_pool_connections=32,
)
_botocore_lock = threading.Lock()
_botocore_clients: dict[str, BaseClient] = {}


def client(endpoint: str) -> Any:
    """A botocore Management API client for one stage endpoint, cached and counted
    (``Any``: botocore makes its clients' methods at run time).
    botocore, not boto3: PynamoDB brings botocore anyway; boto3 adds import time."""
    with _botocore_lock:
        found = _botocore_clients.get(endpoint)
        if found is None:
            found = botocore.session.get_session().create_client(
                "apigatewaymanagementapi", endpoint_url=endpoint, config=CLIENT_CONFIG
            )
            _botocore_clients[endpoint] = found
    return calls.instrument(found)
