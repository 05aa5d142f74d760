"""The Management API's POST, lean: botocore's SigV4 signer and credentials, one
keep-alive http.client connection per thread, retries with jittered backoff, timeouts.

A fan-out posts once per recipient, so this path keeps only what a post needs:
sign, send, read the status. boto3's client spends about 0.66 ms of CPU per
post here (parameter validation, serialization, event hooks, its retry
machinery); this path about 0.2 ms (`python -m benchmarks.fanout`). Rare calls
(GET, DELETE) stay on boto3 (shared/aws.py).
"""

from __future__ import annotations

import http.client
import os
import random
import ssl
import threading
import time
from urllib.parse import quote, urlsplit

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from shared import aws

RETRYABLE = frozenset({0, 429, 500, 502, 503, 504})  # 0: no answer (timeout, reset)
ATTEMPTS = 3
TIMEOUT_SECONDS = 2.0  # connect and read; a post normally takes milliseconds
SERVICE = "execute-api"


class ManagementApi:
    """Posts to the connections of one stage endpoint (``https://{domain}/{stage}``)."""

    def __init__(self, endpoint: str, region: str) -> None:
        parts = urlsplit(endpoint)
        self._scheme = parts.scheme
        self._host = parts.hostname or ""
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._netloc = parts.netloc
        self._base_path = parts.path.rstrip("/")
        self._region = region
        self._credentials = botocore.session.get_session().get_credentials()
        self._ssl = (
            ssl.create_default_context(cafile=os.environ.get("AWS_CA_BUNDLE") or None)
            if parts.scheme == "https"
            else None
        )
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            if self._ssl is not None:
                connection = http.client.HTTPSConnection(
                    self._host, self._port, timeout=TIMEOUT_SECONDS, context=self._ssl
                )
            else:
                connection = http.client.HTTPConnection(
                    self._host, self._port, timeout=TIMEOUT_SECONDS
                )
            self._local.connection = connection
        return connection

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _attempt(self, path: str, body: bytes) -> int:
        request = AWSRequest(method="POST", url=f"{self._scheme}://{self._netloc}{path}", data=body)
        credentials = self._credentials.get_frozen_credentials()
        SigV4Auth(credentials, SERVICE, self._region).add_auth(request)
        headers = dict(request.headers.items())
        # A kept-alive connection may have been closed by the server while the
        # container was frozen between invocations: one immediate resend on a
        # fresh connection, not counted as an attempt.
        for fresh in (getattr(self._local, "connection", None) is None, True):
            connection = self._connection()
            try:
                connection.request("POST", path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.will_close:
                    self._drop_connection()
                return response.status
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self._drop_connection()
                if fresh:
                    return 0
            except (OSError, http.client.HTTPException):
                self._drop_connection()
                return 0
        return 0

    def post(self, connection_id: str, body: bytes) -> int:
        """POST @connections/{id}: the final status (200, 410, ...; 0 if never answered),
        after up to ATTEMPTS tries on throttling, 5xx and timeouts."""
        aws.record("apigatewaymanagementapi.PostToConnection")
        path = f"{self._base_path}/@connections/{quote(connection_id, safe='-_.~')}"
        status = 0
        for attempt in range(ATTEMPTS):
            status = self._attempt(path, body)
            if status not in RETRYABLE:
                return status
            if attempt + 1 < ATTEMPTS:
                time.sleep(random.uniform(0, min(1.0, 0.05 * 2**attempt)))
        return status


_lock = threading.Lock()
_clients: dict[str, ManagementApi] = {}


def for_endpoint(endpoint: str, region: str) -> ManagementApi:
    """One client per stage endpoint, reused across invocations."""
    with _lock:
        client = _clients.get(endpoint)
        if client is None:
            client = _clients[endpoint] = ManagementApi(endpoint, region)
        return client
