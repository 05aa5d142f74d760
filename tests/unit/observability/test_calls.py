"""shared.observability.calls: the per-invocation count of AWS calls and Redis round trips."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest

from shared.observability import calls


@pytest.fixture(autouse=True)
def fresh_count() -> Iterator[None]:
    calls.reset()
    yield
    calls.reset()


def dynamodb_client() -> Any:
    return botocore.session.get_session().create_client("dynamodb", region_name="us-east-1")


def test_nothing_is_counted_after_a_reset() -> None:
    calls.record("redis.RoundTrip")
    calls.reset()
    assert calls.counted() == {}


def test_record_counts_each_call_by_name() -> None:
    calls.record("redis.RoundTrip")
    calls.record("redis.RoundTrip")
    calls.record("dynamodb.Query")
    assert calls.counted() == {"redis.RoundTrip": 2, "dynamodb.Query": 1}


def test_counted_is_a_copy_the_caller_may_change() -> None:
    calls.record("dynamodb.Query")
    snapshot = calls.counted()
    snapshot["dynamodb.Query"] = 99
    calls.record("dynamodb.Query")
    assert snapshot == {"dynamodb.Query": 99}
    assert calls.counted() == {"dynamodb.Query": 2}


def test_records_from_many_threads_are_all_counted() -> None:
    def work() -> None:
        for _ in range(2000):
            calls.record("redis.RoundTrip")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert calls.counted() == {"redis.RoundTrip": 16000}


def test_an_instrumented_client_counts_each_api_call_as_service_dot_operation(aws: None) -> None:
    client: Any = calls.instrument(dynamodb_client())
    client.list_tables()
    client.list_tables()
    client.describe_limits()
    assert calls.counted() == {"dynamodb.ListTables": 2, "dynamodb.DescribeLimits": 1}


def test_instrument_returns_the_client_it_was_given(aws: None) -> None:
    client = dynamodb_client()
    assert calls.instrument(client) is client


def test_a_client_instrumented_twice_counts_its_calls_once(aws: None) -> None:
    client: Any = calls.instrument(calls.instrument(dynamodb_client()))
    client.list_tables()
    assert calls.counted() == {"dynamodb.ListTables": 1}


def test_a_client_never_instrumented_is_not_counted(aws: None) -> None:
    dynamodb_client().list_tables()
    assert calls.counted() == {}


def test_a_failed_api_call_is_counted_too(aws: None) -> None:
    client: Any = calls.instrument(dynamodb_client())
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.describe_table(TableName="no-such-table")
    assert calls.counted() == {"dynamodb.DescribeTable": 1}


def test_every_new_client_is_counted_even_at_a_freed_clients_address(aws: None) -> None:
    """Clients come and go (PynamoDB makes new ones when settings change); one made where
    a freed one lived must still count its calls (an id()-keyed memory once missed them)."""
    import gc

    session = botocore.session.get_session()
    for _ in range(12):
        client: Any = calls.instrument(session.create_client("dynamodb", region_name="us-east-1"))
        client.list_tables()
        del client
        gc.collect()
    assert calls.counted() == {"dynamodb.ListTables": 12}
