"""Faults through the emulator: the Management API answering 410/429/5xx or hanging, DynamoDB
throttling and failing, concurrent edits and a duplicated $connect. Whatever fails, nothing
crashes, nothing is half-written, retries converge and the other recipients are unharmed.

One emulator for the module (stage "faults") shares the session's moto and Redis; its
functions reach DynamoDB through the fault proxy (`dynamodb_faults=True`). The tables are
the session's, so every test uses fresh user ids.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import TEMPLATE
from tests.e2e.test_observability import Captured
from tests.tables import connections_of, rooms_of, stored_messages
from tests.wsclient import ChatClient

# What shared/aws.py and shared/models.py configure (read here, not imported: the
# functions' modules read their environment at import).
FUNCTION_TIMEOUT = 10


@pytest.fixture(scope="module")
def faulty(emulator: Any) -> Iterator[Any]:
    from infra.emulator import Emulator

    emu = Emulator(
        TEMPLATE,
        stage="faults",
        schedules=False,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
        dynamodb_faults=True,
        max_concurrency=4,
    )
    emu.start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture
def faults(faulty: Any) -> Iterator[Any]:
    faulty.faults.clear()
    yield faulty.faults
    faulty.faults.clear()


@pytest.fixture
def fconnect(faulty: Any) -> Iterator[Callable[..., ChatClient]]:
    opened: list[ChatClient] = []

    def open_client(user_id: str) -> ChatClient:
        client = ChatClient(faulty.websocket_url, faulty.token(user_id))
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture
def fcreate_chat(faulty: Any) -> Iterator[Callable[..., str]]:
    with httpx.Client(base_url=faulty.rest_url, timeout=15) as http:

        def create(creator: str, *members: str) -> str:
            response = http.post(
                "/chats",
                json={"members": list(members), "name": "faults"},
                headers={"authorization": f"Bearer {faulty.token(creator)}"},
            )
            assert response.status_code == 201, response.text
            return str(response.json()["id"])

        yield create


@pytest.fixture
def captured() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    switchboard = logging.getLogger("switchboard")
    levels = (root.level, switchboard.level)
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    switchboard.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        switchboard.setLevel(levels[1])


def connection_ids(dynamodb: Any, tables: dict[str, str], user_id: str) -> set[str]:
    return {item["connectionId"]["S"] for item in connections_of(dynamodb, tables, user_id)}


def device(
    fconnect: Callable[..., ChatClient], dynamodb: Any, tables: dict[str, str], user_id: str
) -> tuple[ChatClient, str]:
    """A new device of a user and its connection id."""
    before = connection_ids(dynamodb, tables, user_id)
    client = fconnect(user_id)
    (new,) = connection_ids(dynamodb, tables, user_id) - before
    return client, new


def new_messages(client: ChatClient, seconds: float = 0.5) -> list[dict[str, Any]]:
    return [f["data"] for f in client.drain(seconds) if f.get("event") == "message:new"]


def send_logged(
    sender: ChatClient, captured: Captured, user_id: str, data: dict[str, Any], timeout: float = 15
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Send a message; the sender's answer and the invocation's log line."""
    request_id = sender.send("message:send", data)
    reply = sender.wait(lambda f: f.get("requestId") == request_id, timeout)
    line = captured.invocation(route="message:send", userId=user_id, clientRequestId=request_id)
    return reply, line


# ---------------------------------------------------------------- Management API


def test_gone_recipients_are_cleaned_up_once_past_the_grace_and_the_others_receive(
    faults: Any,
    captured: Captured,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = fcreate_chat(alice, bob, carol)
    alices = fconnect(alice)
    bobs_old, old_id = device(fconnect, dynamodb, tables, bob)
    bobs_new, _ = device(fconnect, dynamodb, tables, bob)
    carols, young_id = device(fconnect, dynamodb, tables, carol)
    carols_other = fconnect(carol)
    # Bob's old device connected (and was registered) long ago, past the 10 s grace;
    # carol's just now. The record's write time shows in its expiry (now + TTL).
    from shared.config import CONNECTION_TTL_SECONDS

    dynamodb.update_item(
        TableName=tables["ConnectionsTable"],
        Key={"connectionId": {"S": old_id}},
        UpdateExpression="SET connectedAt = :old, expiresAt = :expires",
        ExpressionAttributeValues={
            ":old": {"N": str(int(time.time() * 1000) - 60_000)},
            ":expires": {"N": str(int(time.time()) - 60 + CONNECTION_TTL_SECONDS)},
        },
    )
    gone_old = faults.management(connection_id=old_id, status=410)
    gone_young = faults.management(connection_id=young_id, status=410)

    reply, line = send_logged(alices, captured, alice, {"chatId": chat_id, "body": "hi"})
    assert reply["event"] == "ack"
    for receiver in (bobs_new, carols_other):
        assert receiver.wait_event("message:new")["data"]["id"] == reply["data"]["id"]
    assert gone_old.served == 1 and gone_young.served == 1
    assert line["fanout"] == {"delivered": 2, "gone": 2, "failed": 0}

    def records(connection_id: str) -> list[Any]:
        found = [
            dynamodb.get_item(
                TableName=tables["ConnectionsTable"],
                Key={"connectionId": {"S": connection_id}},
                ConsistentRead=True,
            ).get("Item")
        ]
        found += sorted(rooms_of(dynamodb, tables, connection_id))
        return [r for r in found if r]

    assert records(old_id) == []  # stale: the connection and its rooms are gone
    assert len(records(young_id)) == 3  # young: kept (connection, user room, chat room)
    # Nothing was delivered to the 410s, and the young one still works afterwards.
    assert new_messages(bobs_old, 0.2) == [] and new_messages(carols, 0.2) == []
    alices.request("message:send", {"chatId": chat_id, "body": "again"})
    assert carols.wait_event("message:new")["data"]["body"] == "again"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_transient_post_faults_are_retried_and_the_recipient_receives_once(
    faults: Any,
    captured: Captured,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    status: int,
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    alices = fconnect(alice)
    bobs, bob_id = device(fconnect, dynamodb, tables, bob)
    fault = faults.management(connection_id=bob_id, status=status, times=2)

    reply, line = send_logged(alices, captured, alice, {"chatId": chat_id, "body": "retried"})
    assert reply["event"] == "ack"
    assert fault.served == 2  # two failed attempts, the third delivered
    assert [m["id"] for m in new_messages(bobs, 0.5)] == [reply["data"]["id"]]
    assert line["fanout"] == {"delivered": 1, "gone": 0, "failed": 0}
    # awsCalls counts API calls, not attempts: the poster's retries are not in it.
    assert line["awsCalls"]["apigatewaymanagementapi.PostToConnection"] == 1


@pytest.mark.parametrize("status", [429, 500])
def test_persistent_post_faults_are_reported_and_harm_nobody_else(
    faults: Any,
    captured: Captured,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    status: int,
) -> None:
    alice, bob, carol = user("alice"), user("bob"), user("carol")
    chat_id = fcreate_chat(alice, bob, carol)
    alices, carols = fconnect(alice), fconnect(carol)
    bobs, bob_id = device(fconnect, dynamodb, tables, bob)
    fault = faults.management(connection_id=bob_id, status=status, times=100)

    reply, line = send_logged(alices, captured, alice, {"chatId": chat_id, "body": "lost"})
    assert reply["event"] == "ack"
    assert carols.wait_event("message:new")["data"]["id"] == reply["data"]["id"]
    assert fault.served == 3  # every attempt botocore makes, then reported
    assert line["fanout"] == {"delivered": 1, "gone": 0, "failed": 1}
    assert len(stored_messages(dynamodb, tables, chat_id)) == 1
    # A failure is not a 410: bob's records stay and he receives once the fault is over.
    assert bob_id in connection_ids(dynamodb, tables, bob)
    faults.clear()
    again = alices.request("message:send", {"chatId": chat_id, "body": "back"})
    assert bobs.wait_event("message:new")["data"]["id"] == again["data"]["id"]


def test_a_hung_recipient_is_bounded_by_the_timeout_and_the_others_receive_promptly(
    faults: Any,
    captured: Captured,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob, carol, dave = user("alice"), user("bob"), user("carol"), user("dave")
    chat_id = fcreate_chat(alice, bob, carol, dave)
    alices, carols, daves = fconnect(alice), fconnect(carol), fconnect(dave)
    bobs, bob_id = device(fconnect, dynamodb, tables, bob)
    hang = 9.0
    fault = faults.management(connection_id=bob_id, status=503, delay=hang, times=100)

    started = time.monotonic()
    request_id = alices.send("message:send", {"chatId": chat_id, "body": "prompt"})
    for receiver in (carols, daves):
        receiver.wait_event("message:new", timeout=5)
        assert time.monotonic() - started < 1.5, "the others waited for the hung recipient"
    ack = alices.wait(lambda f: f.get("requestId") == request_id, timeout=15)
    elapsed = time.monotonic() - started
    assert ack["event"] == "ack"
    # 3 attempts x 2 s read timeout: bounded, well before the hang ends and the 10 s timeout.
    assert 5.5 < elapsed < 8, elapsed
    assert fault.served == 3
    line = captured.invocation(route="message:send", userId=alice, clientRequestId=request_id)
    assert line["fanout"] == {"delivered": 2, "gone": 0, "failed": 1}
    assert new_messages(bobs, 0.2) == []


def test_a_post_that_times_out_but_lands_is_delivered_twice_with_one_id(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    """Delivery is at-least-once: a slow post the client gave up on may still arrive, after
    the retry did. Clients drop a message:new whose id they already have."""
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    alices = fconnect(alice)
    bobs, bob_id = device(fconnect, dynamodb, tables, bob)
    faults.management(connection_id=bob_id, delay=3.0)  # answered normally, but late

    ack = alices.request("message:send", {"chatId": chat_id, "body": "twice"})
    received = [m["id"] for m in new_messages(bobs, 2.0)]
    assert received == [ack["data"]["id"]] * 2


# ---------------------------------------------------------------- DynamoDB


@pytest.mark.parametrize(
    "fault",
    [
        {"error": "ProvisionedThroughputExceededException"},
        {"error": "ThrottlingException"},
        {"status": 500},
    ],
    ids=["provisioned-throughput", "throttling", "500"],
)
def test_transient_dynamodb_faults_on_the_put_are_absorbed_by_retries(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    fault: dict[str, Any],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    alices, bobs = fconnect(alice), fconnect(bob)
    planned = faults.dynamodb("PutItem", table=tables["MessagesTable"], times=2, **fault)

    ack = alices.request("message:send", {"chatId": chat_id, "body": "x", "clientMessageId": "t"})
    assert ack["event"] == "ack"
    assert planned.served == 2
    assert len(stored_messages(dynamodb, tables, chat_id)) == 1
    assert [m["id"] for m in new_messages(bobs)] == [ack["data"]["id"]]


def persistent_put_failure(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    fault: dict[str, Any],
) -> dict[str, Any]:
    """Send while every PutItem attempt fails, then retry with the same clientMessageId:
    one message stored, delivered once. Returns the first answer."""
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    alices, bobs = fconnect(alice), fconnect(bob)
    planned = faults.dynamodb("PutItem", table=tables["MessagesTable"], times=100, **fault)
    data = {"chatId": chat_id, "body": "persistent", "clientMessageId": "p-1"}

    request_id = alices.send("message:send", data)
    first = alices.wait(  # the answer, or API Gateway's when the function timed out
        lambda f: f.get("requestId") == request_id or f.get("message") == "Internal server error",
        timeout=FUNCTION_TIMEOUT + 5,
    )
    if first.get("event") == "error":
        from shared.store.models import _Meta

        assert planned.served == 1 + _Meta.max_retry_attempts  # every attempt failed
    assert stored_messages(dynamodb, tables, chat_id) == []
    assert new_messages(bobs, 0.3) == []

    faults.clear()
    retried = alices.request("message:send", data)
    assert retried["event"] == "ack"
    assert len(stored_messages(dynamodb, tables, chat_id)) == 1
    assert [m["id"] for m in new_messages(bobs)] == [retried["data"]["id"]]
    assert alices.request("message:send", data)["data"] == retried["data"]  # once more: same
    assert new_messages(bobs, 0.3) == []
    return first


@pytest.mark.parametrize("fault", [{"status": 500}, {"status": 503}], ids=["500", "503"])
def test_persistent_dynamodb_5xx_gives_a_retryable_error_and_a_retry_stores_once(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
    fault: dict[str, Any],
) -> None:
    first = persistent_put_failure(faults, fconnect, fcreate_chat, dynamodb, tables, user, fault)
    assert first["event"] == "error"
    assert first["data"]["code"] == "internal_error"


def test_persistent_dynamodb_throttling_fails_cleanly_and_a_retry_stores_once(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    """PynamoDB's 5 attempts back off up to 1 + 2 + 4 + 8 s on throttling (7.5 s on average):
    the function answers `internal_error` when they fit in its 10 s, and times out (API
    Gateway's "Internal server error", without the client's requestId) when they do not.
    Either way nothing is stored and the retry converges; see the budget test below."""
    fault = {"error": "ProvisionedThroughputExceededException"}
    first = persistent_put_failure(faults, fconnect, fcreate_chat, dynamodb, tables, user, fault)
    assert first.get("event") == "error" or first.get("message") == "Internal server error"


def _pynamodb_worst_case_seconds() -> float:
    from shared.store.models import _Meta

    attempts = 1 + _Meta.max_retry_attempts
    hung = attempts * (_Meta.connect_timeout_seconds + _Meta.read_timeout_seconds)
    throttled = sum(min(2**i, 20) for i in range(attempts - 1))  # botocore standard backoff
    return max(hung, throttled)


def test_dynamodb_retries_fit_in_the_function_timeout() -> None:
    assert _pynamodb_worst_case_seconds() < FUNCTION_TIMEOUT


def test_a_put_whose_answer_was_lost_is_still_delivered(
    faults: Any,
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    alices, bobs = fconnect(alice), fconnect(bob)
    faults.dynamodb("PutItem", table=tables["MessagesTable"], status=500, after=True)

    ack = alices.request("message:send", {"chatId": chat_id, "body": "x", "clientMessageId": "l"})
    assert ack["event"] == "ack"
    assert len(stored_messages(dynamodb, tables, chat_id)) == 1
    assert [m["id"] for m in new_messages(bobs)] == [ack["data"]["id"]]


# ---------------------------------------------------------------- concurrency


def test_concurrent_edits_from_two_devices_lose_no_update(
    fconnect: Callable[..., ChatClient],
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    alice, bob = user("alice"), user("bob")
    chat_id = fcreate_chat(alice, bob)
    phone, laptop, bobs = fconnect(alice), fconnect(alice), fconnect(bob)
    message = phone.request("message:send", {"chatId": chat_id, "body": "v1"})["data"]
    per_device = 12
    replies: dict[str, list[dict[str, Any]]] = {}

    def edit_all(name: str, client: ChatClient) -> None:
        ids = [
            client.send(
                "message:edit",
                {"chatId": chat_id, "messageId": message["id"], "body": f"{name}-{i}"},
            )
            for i in range(per_device)
        ]
        replies[name] = [client.wait(lambda f, r=r: f.get("requestId") == r, 30) for r in ids]

    threads = [
        threading.Thread(target=edit_all, args=(n, c))
        for n, c in (("phone", phone), ("laptop", laptop))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    answers = replies["phone"] + replies["laptop"]
    assert len(answers) == 2 * per_device
    acked = [a for a in answers if a["event"] == "ack"]
    refused = [a for a in answers if a["event"] != "ack"]
    assert all(a["event"] == "error" and a["data"]["code"] != "internal_error" for a in refused)
    item = dynamodb.query(
        TableName=tables["MessagesTable"],
        IndexName="byTime",
        KeyConditionExpression="chatId = :c AND id = :i",
        ExpressionAttributeValues={":c": {"S": chat_id}, ":i": {"S": message["id"]}},
        ConsistentRead=True,
    )["Items"][0]
    assert int(item["version"]["N"]) == 1 + len(acked)
    # Every acked version is distinct (no two edits saw the same version) and the body
    # stored is the one of the highest version.
    versions = sorted(a["data"]["version"] for a in acked)
    assert versions == list(range(2, 2 + len(acked)))
    newest = max(acked, key=lambda a: a["data"]["version"])
    assert item["body"]["S"] == newest["data"]["body"]
    edited = [f for f in bobs.drain(1.0) if f.get("event") == "message:edited"]
    assert len(edited) == len(acked)


def test_a_duplicate_connect_converges_to_one_connection_and_one_entry_per_room(
    faulty: Any,
    fcreate_chat: Callable[..., str],
    dynamodb: Any,
    tables: dict[str, str],
    user: Callable[[str], str],
) -> None:
    from infra.gateway.events import WebSocketConnectionInfo, connect_event, gateway_id

    alice = user("alice")
    chats = {fcreate_chat(alice, user("bob")), fcreate_chat(alice, user("carol"))}
    assert faulty.template.websocket_api is not None
    info = WebSocketConnectionInfo(
        connection_id=gateway_id(),
        api_id=faulty.template.websocket_api.api_id,
        stage=faulty.stage,
        domain_name=f"127.0.0.1:{faulty.tls_port}",
        source_ip="127.0.0.1",
        user_agent="faults",
        headers=[("Host", f"127.0.0.1:{faulty.tls_port}")],
        query=[],
        authorizer={"userId": alice},
    )
    event = connect_event(info)
    results = [faulty.invoke("ConnectFunction", event) for _ in range(2)]
    assert results == [{"statusCode": 200}] * 2, results

    assert connection_ids(dynamodb, tables, alice) == {info.connection_id}
    names = sorted(rooms_of(dynamodb, tables, info.connection_id))
    assert names == sorted([f"user:{alice}", *(f"chat:{c}" for c in chats)])
    # Presence counted one session, not two.
    import redis

    client = redis.Redis.from_url(faulty.redis_url, decode_responses=True)
    sessions = client.zrange(f"sb:sess:{alice}", 0, -1)
    assert sessions == [info.connection_id]
    # And the matching $disconnect removes everything.
    from infra.gateway.events import disconnect_event

    assert faulty.invoke("DisconnectFunction", disconnect_event(info, 1001, "going away"))
    assert connection_ids(dynamodb, tables, alice) == set()


def test_the_default_emulator_has_no_proxy(emulator: Any) -> None:
    """Without dynamodb_faults the functions talk to DynamoDB directly."""
    assert emulator.functions_dynamodb_endpoint == emulator.dynamodb_endpoint
