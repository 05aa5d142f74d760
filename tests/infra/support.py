"""Helpers of the emulator tests: the fixture template, sockets, and what functions recorded."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from infra.emulator import Emulator
from infra.gateway.iam import Credentials
from tests.waits import TIMEOUT

FIXTURES = Path(__file__).parent / "fixtures"


class Recorder:
    """Reads back the events the fixture functions pushed to Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def events(self, route_key: str) -> list[dict[str, Any]]:
        return [json.loads(e) for e in self.client.lrange(f"events:{route_key}", 0, -1)]

    def wait(self, route_key: str, predicate: Any, timeout: float = TIMEOUT) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for event in self.events(route_key):
                if predicate(event):
                    return event
            time.sleep(0.05)
        raise AssertionError(f"no {route_key} event matched")

    def connect_event(self, tag: str) -> dict[str, Any]:
        return self.wait(
            "$connect", lambda e: (e.get("queryStringParameters") or {}).get("tag") == tag
        )

    def for_connection(self, route_key: str, connection_id: str) -> dict[str, Any]:
        return self.wait(route_key, lambda e: e["requestContext"]["connectionId"] == connection_id)


def new_tag() -> str:
    return uuid.uuid4().hex


def open_socket(emulator: Emulator, token: str = "good", **query: str) -> ClientConnection:
    params = "&".join(f"{k}={v}" for k, v in {"token": token, **query}.items())
    return connect(f"{emulator.websocket_url}?{params}", open_timeout=15)


def refused_status(emulator: Emulator, url_query: str) -> int:
    with pytest.raises(InvalidStatus) as info:
        connect(f"{emulator.websocket_url}?{url_query}", open_timeout=15)
    return info.value.response.status_code


def management(emulator: Emulator, tls: bool = True):  # noqa: ANN201 - boto3 client
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.management_url if tls else emulator.management_url_plain,
        verify=emulator.ca_bundle if tls else None,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )


def aws_client(emulator: Emulator, service: str):  # noqa: ANN201 - boto3 client
    """A boto3 client of the emulator's moto (`sqs`, `secretsmanager`, ...)."""
    return boto3.client(
        service,
        endpoint_url=emulator.aws_endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
    )


def lambda_client(  # noqa: ANN201 - boto3 client
    emulator: Emulator, credentials: Credentials | None = None, **config: Any
):
    """boto3's own `lambda` client on the emulator's Invoke API, signing as the stack owner
    (or with `credentials`), without retries: a test sees each answer as the emulator gave it."""
    from botocore.config import Config

    return boto3.client(
        "lambda",
        endpoint_url=emulator.lambda_url,
        region_name="us-east-1",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config),
        **(credentials or emulator.credentials).as_boto3(),
    )


def signed(
    credentials: Credentials,
    method: str,
    url: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    service: str = "execute-api",
    region: str = "us-east-1",
) -> dict[str, str]:
    """The headers of a request signed with botocore's SigV4 signer, as a client sends them."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials as BotoCredentials

    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    boto = BotoCredentials(
        credentials.access_key_id, credentials.secret_access_key, credentials.session_token
    )
    SigV4Auth(boto, service, region).add_auth(request)
    return dict(request.headers.items())
