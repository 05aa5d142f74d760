"""The fault injection machinery itself: Management API faults on a running emulator, the
DynamoDB fault proxy (in front of the session's moto) with its faults, and invocation
faults (crash, timeout, error) on synchronous invocations (their asynchronous retries are
tests/infra/runtime/test_async_invocations.py's)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import psutil
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from websockets.sync.client import connect

from infra.emulator import Emulator
from infra.runtime.faults import DynamoDBFaultProxy, FaultPlan
from tests.infra.support import Recorder, new_tag

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1}, read_timeout=5)


def management(emulator: Emulator, **config: Any):  # noqa: ANN201 - boto3 client
    return boto3.client(
        "apigatewaymanagementapi",
        endpoint_url=emulator.management_url,
        verify=emulator.ca_bundle,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}, **config),
    )


@pytest.fixture
def faults(emulator: Emulator) -> Iterator[FaultPlan]:
    emulator.faults.clear()
    yield emulator.faults
    emulator.faults.clear()


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (429, "LimitExceededException"),
        (500, "InternalServerErrorException"),
        (503, "InternalServerErrorException"),
        (410, "GoneException"),
    ],
)
def test_management_posts_answer_the_planned_status_then_recover(
    emulator: Emulator, recorder: Recorder, faults: FaultPlan, status: int, error_type: str
) -> None:
    tag = new_tag()
    api = management(emulator)
    with connect(f"{emulator.websocket_url}?token=good&tag={tag}", open_timeout=15) as ws:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        fault = faults.management(connection_id=conn_id, status=status, times=2)
        for _ in range(2):
            with pytest.raises(ClientError) as raised:
                api.post_to_connection(ConnectionId=conn_id, Data=b"x")
            assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
            assert raised.value.response["Error"]["Code"] == error_type
        assert fault.served == 2 and fault.remaining == 0
        api.post_to_connection(ConnectionId=conn_id, Data=b"through")
        assert ws.recv(timeout=5) == "through"


def test_a_fault_for_one_connection_leaves_the_others_alone(
    emulator: Emulator, recorder: Recorder, faults: FaultPlan
) -> None:
    api = management(emulator)
    tags = new_tag(), new_tag()
    with (
        connect(f"{emulator.websocket_url}?token=good&tag={tags[0]}", open_timeout=15) as one,
        connect(f"{emulator.websocket_url}?token=good&tag={tags[1]}", open_timeout=15) as two,
    ):
        ids = [recorder.connect_event(t)["requestContext"]["connectionId"] for t in tags]
        faults.management(connection_id=ids[0], status=429, times=5)
        api.post_to_connection(ConnectionId=ids[1], Data=b"fine")
        assert two.recv(timeout=5) == "fine"
        with pytest.raises(api.exceptions.LimitExceededException):
            api.post_to_connection(ConnectionId=ids[0], Data=b"no")
        faults.clear()
        api.post_to_connection(ConnectionId=ids[0], Data=b"cleared")
        assert one.recv(timeout=5) == "cleared"


def test_a_hung_post_is_answered_after_its_delay_and_times_out_a_short_client(
    emulator: Emulator, recorder: Recorder, faults: FaultPlan
) -> None:
    tag = new_tag()
    with connect(f"{emulator.websocket_url}?token=good&tag={tag}", open_timeout=15) as ws:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        faults.management(connection_id=conn_id, delay=0.6)
        started = time.monotonic()
        management(emulator).post_to_connection(ConnectionId=conn_id, Data=b"late")
        assert time.monotonic() - started >= 0.6
        assert ws.recv(timeout=5) == "late"

        faults.management(connection_id=conn_id, delay=1.5, status=503)
        impatient = management(emulator, read_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(Exception, match="[Rr]ead timeout"):
            impatient.post_to_connection(ConnectionId=conn_id, Data=b"never")
        assert time.monotonic() - started < 1.2


def test_the_plan_refuses_faults_it_cannot_serve() -> None:
    plan = FaultPlan()
    with pytest.raises(ValueError):
        plan.management(status=404)
    with pytest.raises(ValueError):
        plan.management()
    with pytest.raises(ValueError):
        plan.dynamodb("PutItem", times=0)
    with pytest.raises(ValueError, match="explode"):
        plan.invocation("CounterFunction", "explode")
    with pytest.raises(ValueError):
        plan.invocation("CounterFunction", times=0)
    with pytest.raises(ValueError):
        plan.invocation("CounterFunction", after=-1)


# ---------------------------------------------------------------- invocation faults


def warm_pids(emulator: Emulator, function_id: str) -> set[int]:
    """The live workers of a function, after one invocation made sure there is one."""
    assert emulator.invoke_result(function_id, {"probe": True}).ok
    assert emulator.runtime is not None
    pool = emulator.runtime.pools[function_id]
    with pool.condition:
        return {w.process.pid for w in pool.all if w.alive}


def killed(emulator: Emulator, function_id: str, before: set[int]) -> set[int]:
    """The workers of `before` that are gone (from the pool and from the machine)."""
    assert emulator.runtime is not None
    pool = emulator.runtime.pools[function_id]
    with pool.condition:
        now = {w.process.pid for w in pool.all if w.alive}
    gone = before - now
    for pid in gone:  # killed and reaped
        assert not psutil.pid_exists(pid), pid
    return gone


def test_a_crash_kills_the_worker_mid_invocation(emulator: Emulator, faults: FaultPlan) -> None:
    before = warm_pids(emulator, "CounterFunction")
    fault = faults.invocation("CounterFunction", "crash", after=0.3)
    result = emulator.invoke_result("CounterFunction", {"probe": True})
    assert result.error == {
        "errorMessage": f"RequestId: {result.request_id} Error: Runtime exited with error: "
        "signal: killed",
        "errorType": "Runtime.ExitError",
    }
    assert result.duration_ms >= 300
    assert (fault.served, fault.remaining) == (1, 0)
    assert len(killed(emulator, "CounterFunction", before)) == 1
    assert emulator.invoke_result("CounterFunction", {"probe": True}).ok  # a new worker


def test_a_timeout_ends_the_invocation_at_after_and_kills_the_worker(
    emulator: Emulator, faults: FaultPlan
) -> None:
    before = warm_pids(emulator, "CounterFunction")
    faults.invocation("CounterFunction", "timeout", after=0.3)
    result = emulator.invoke_result("CounterFunction", {"probe": True})
    assert result.error is not None and result.error["errorType"] == "Sandbox.Timedout"
    assert result.error["errorMessage"].endswith(
        f" {result.request_id} Task timed out after 0.30 seconds"
    )
    assert len(killed(emulator, "CounterFunction", before)) == 1


def test_an_error_fault_fails_without_running_the_handler(
    emulator: Emulator, recorder: Recorder, faults: FaultPlan
) -> None:
    tag = new_tag()
    fault = faults.invocation("DeliveryFunction", "error", times=2, message="planned")
    for _ in range(2):
        result = emulator.invoke_result("DeliveryFunction", {"tag": tag})
        assert result.error == {
            "errorMessage": "planned",
            "errorType": "InjectedFault",
            "requestId": result.request_id,
            "stackTrace": [],
        }
    assert recorder.client.llen(f"async:switchboard-delivery:{tag}") == 0
    assert fault.served == 2
    assert emulator.invoke("DeliveryFunction", {"tag": tag}) == {"tag": tag, "invocation": 1}


def test_an_invocation_fault_spares_other_functions_and_clear_removes_it(
    emulator: Emulator, faults: FaultPlan
) -> None:
    fault = faults.invocation("DeliveryFunction", "crash", times=3)
    assert emulator.invoke_result("CounterFunction", {"probe": True}).ok
    assert fault.served == 0
    faults.clear()
    assert emulator.invoke_result("DeliveryFunction", {"tag": new_tag()}).ok
    assert fault.served == 0 and fault.remaining == 3


# ---------------------------------------------------------------- DynamoDB proxy


@pytest.fixture
def proxy(emulator: Emulator) -> Iterator[tuple[DynamoDBFaultProxy, FaultPlan]]:
    plan = FaultPlan()
    running = DynamoDBFaultProxy(emulator.dynamodb_endpoint, plan).start()
    try:
        yield running, plan
    finally:
        running.stop()


@pytest.fixture
def table(emulator: Emulator) -> str:
    """Any table of the fixture template (the proxy does not care which)."""
    return next(iter(emulator.template.tables.values())).name


def dynamodb(endpoint: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=NO_RETRIES,
    )


def key_of(emulator: Emulator, table: str, value: str) -> dict[str, Any]:
    spec = next(t for t in emulator.template.tables.values() if t.name == table)
    schema = spec.create_kwargs["KeySchema"]
    types = {
        a["AttributeName"]: a["AttributeType"] for a in spec.create_kwargs["AttributeDefinitions"]
    }
    return {
        k["AttributeName"]: {
            types[k["AttributeName"]]: value if types[k["AttributeName"]] == "S" else "1"
        }
        for k in schema
    }


def test_the_proxy_forwards_everything_unchanged(
    emulator: Emulator, proxy: tuple[DynamoDBFaultProxy, FaultPlan], table: str
) -> None:
    through = dynamodb(proxy[0].endpoint)
    direct = dynamodb(emulator.dynamodb_endpoint)
    key = key_of(emulator, table, f"proxy-{uuid.uuid4().hex}")
    through.put_item(TableName=table, Item={**key, "payload": {"S": "é" * 70_000}})
    got = direct.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert got["payload"]["S"] == "é" * 70_000
    assert through.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"] == got
    with pytest.raises(through.exceptions.ResourceNotFoundException):
        through.get_item(TableName="no-such-table", Key=key)
    assert table in through.list_tables()["TableNames"]


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({}, "ProvisionedThroughputExceededException", 400),
        ({"error": "ThrottlingException"}, "ThrottlingException", 400),
        ({"status": 500}, "InternalServerError", 500),
        ({"status": 503}, "ServiceUnavailable", 503),
    ],
)
def test_the_proxy_fails_the_next_requests_of_one_operation(
    emulator: Emulator,
    proxy: tuple[DynamoDBFaultProxy, FaultPlan],
    table: str,
    kwargs: dict[str, Any],
    code: str,
    status: int,
) -> None:
    running, plan = proxy
    client = dynamodb(running.endpoint)
    key = key_of(emulator, table, f"fault-{uuid.uuid4().hex}")
    fault = plan.dynamodb("PutItem", times=2, **kwargs)
    for _ in range(2):
        assert client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item") is None
        with pytest.raises(ClientError) as raised:
            client.put_item(TableName=table, Item=key)
        assert raised.value.response["Error"]["Code"] == code
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert fault.served == 2
    direct = dynamodb(emulator.dynamodb_endpoint)
    assert "Item" not in direct.get_item(TableName=table, Key=key, ConsistentRead=True)
    client.put_item(TableName=table, Item=key)
    assert "Item" in direct.get_item(TableName=table, Key=key, ConsistentRead=True)


def test_a_fault_after_forwarding_loses_the_answer_of_a_write_that_happened(
    emulator: Emulator, proxy: tuple[DynamoDBFaultProxy, FaultPlan], table: str
) -> None:
    running, plan = proxy
    client = dynamodb(running.endpoint)
    key = key_of(emulator, table, f"after-{uuid.uuid4().hex}")
    plan.dynamodb("PutItem", status=500, after=True)
    with pytest.raises(ClientError, match="InternalServerError"):
        client.put_item(TableName=table, Item=key)
    direct = dynamodb(emulator.dynamodb_endpoint)
    assert "Item" in direct.get_item(TableName=table, Key=key, ConsistentRead=True)


def test_a_table_filter_spares_the_other_tables(
    emulator: Emulator, proxy: tuple[DynamoDBFaultProxy, FaultPlan], table: str
) -> None:
    running, plan = proxy
    client = dynamodb(running.endpoint)
    key = key_of(emulator, table, f"filter-{uuid.uuid4().hex}")
    fault = plan.dynamodb("PutItem", table="some-other-table")
    client.put_item(TableName=table, Item=key)
    assert fault.served == 0 and fault.remaining == 1


def test_an_emulator_with_dynamodb_faults_gives_its_functions_the_proxy(
    emulator: Emulator,
) -> None:
    from infra.emulator import Emulator as Emu
    from infra.runtime.pools import lambda_environment

    with Emu(
        emulator.template_path,
        stage="proxied",
        schedules=False,
        dynamodb_faults=True,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
    ) as emu:
        assert emu.functions_dynamodb_endpoint != emu.dynamodb_endpoint
        assert emu.runtime is not None and emu.template is not None
        function = next(iter(emu.template.functions.values()))
        env = lambda_environment(function, emu.runtime.settings)
        assert env["AWS_ENDPOINT_URL_DYNAMODB"] == emu.functions_dynamodb_endpoint
        assert emulator.functions_dynamodb_endpoint == emulator.dynamodb_endpoint


class _Seen:
    """A DynamoDB observer that keeps what it is shown."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str | None, Any, int, dict[str, Any]]] = []

    def before(self, operation: str, request: dict[str, Any]) -> Any:
        return request.get("TableName")

    def after(
        self,
        operation: str,
        request: dict[str, Any],
        context: Any,
        status: int,
        response: dict[str, Any],
    ) -> None:
        self.calls.append((operation, request.get("TableName"), context, status, response))


def test_an_observer_sees_every_request_and_its_answer(emulator: Emulator, table: str) -> None:
    seen = _Seen()
    running = DynamoDBFaultProxy(emulator.dynamodb_endpoint, FaultPlan(), observer=seen).start()
    try:
        client = dynamodb(running.endpoint)
        key = key_of(emulator, table, f"seen-{uuid.uuid4().hex}")
        client.put_item(TableName=table, Item={**key, "payload": {"S": "x" * 70_000}})
        got = client.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
        assert got["payload"]["S"] == "x" * 70_000  # the buffered answer arrives whole
    finally:
        running.stop()
    assert [(op, t, ctx, status) for op, t, ctx, status, _ in seen.calls] == [
        ("PutItem", table, table, 200),
        ("GetItem", table, table, 200),
    ]
    assert seen.calls[1][4]["Item"] == got
