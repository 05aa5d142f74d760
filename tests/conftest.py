"""Shared fixtures: one emulator for the session (moto DynamoDB + a real redis-server),
real WebSocket clients, the REST API over HTTP, and direct DynamoDB reads."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.waits import after
from tests.wsclient import ChatClient

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


@pytest.fixture(scope="session")
def emulator() -> Iterator[Any]:
    from infra.emulator import Emulator

    # Schedules off: tests run the sweeper when they mean to (emulator.run_schedule).
    # Rate limits on (one Redis round trip per action) but out of reach of tests that
    # send hundreds of frames in a loop; tests/e2e/test_rate_limits.py runs tight ones.
    limits = ",".join(f"{b}=100000/10000" for b in ("message", "typing", "heartbeat", "default"))
    # Calls ring 5 s and give a dropped peer 2 s (tests/e2e/test_calls.py waits them out).
    overrides = {"RateLimits": limits, "CallRingSeconds": "5", "CallGraceSeconds": "2"}
    emu = Emulator(TEMPLATE, stage="test", schedules=False, parameter_overrides=overrides)
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def dynamodb(emulator: Any) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=emulator.dynamodb_endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture(scope="session")
def tables(emulator: Any) -> dict[str, str]:
    """Logical id -> physical table name, as the template declares them."""
    return {lid: table.name for lid, table in emulator.template.tables.items()}


@pytest.fixture
def user() -> Callable[[str], str]:
    """Fresh user ids per test, so tests never see each other's chats."""
    suffix = uuid.uuid4().hex[:8]
    return lambda name: f"{name}-{suffix}"


@pytest.fixture
def connect(emulator: Any) -> Iterator[Callable[..., ChatClient]]:
    opened: list[ChatClient] = []

    def open_client(user_id: str, **kwargs: Any) -> ChatClient:
        client = ChatClient(emulator.websocket_url, emulator.token(user_id), **kwargs)
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture(scope="session")
def http(emulator: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emulator.rest_url, timeout=after(5)) as client:
        yield client


@pytest.fixture
def api(emulator: Any, http: httpx.Client) -> Callable[..., httpx.Response]:
    """Call the REST API as a user: api("alice", "POST", "/chats", json={...})."""

    def call(user_id: str | None, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        if user_id is not None:
            headers["authorization"] = f"Bearer {emulator.token(user_id)}"
        return http.request(method, path, headers=headers, **kwargs)

    return call


@pytest.fixture
def create_chat(api: Callable[..., httpx.Response]) -> Callable[..., str]:
    def create(creator: str, *members: str, name: str = "test chat") -> str:
        response = api(creator, "POST", "/chats", json={"members": list(members), "name": name})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    return create


@pytest.fixture
def aws_calls(caplog: pytest.LogCaptureFixture) -> Callable[[Any], dict[str, int]]:
    """The awsCalls the event function logged for a client requestId."""
    caplog.set_level(logging.INFO, logger="switchboard.lambda")

    def find(request_id: Any) -> dict[str, int]:
        deadline = time.monotonic() + after()
        while time.monotonic() < deadline:
            for record in caplog.records:
                text = record.getMessage()
                start = text.find("{")
                if '"clientRequestId"' not in text or start < 0:
                    continue
                try:
                    line = json.loads(text[start:])
                except ValueError:
                    continue
                if line.get("clientRequestId") == request_id:
                    return dict(line["awsCalls"])
            time.sleep(0.05)
        raise AssertionError(f"no invocation log for {request_id}")

    return find
