"""EventBridge, locally: PutEvents from boto3's own `events` client (a test's, and a
function's through AWS_ENDPOINT_URL_EVENTBRIDGE) reaches the target functions of the
matching rules of the bus, with the event as EventBridge delivers it (or the target's
Input / InputPath), as asynchronous invocations; a request or entry EventBridge refuses
is refused alike; every event put is kept for tests and logged.

Targets are the async_recorder fixture, which records each invocation under the event's
`detail.tag` (or its own `tag`).
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from infra.emulator import Emulator
from infra.services.eventbridge import entry_error, select
from tests.infra.support import Recorder, new_tag
from tests.waits import TIMEOUT, after

BUS = "switchboard-fixture-bus"
TARGET = "switchboard-EventTargetFunction"
DETAIL = "switchboard-EventDetailFunction"
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def events_client(emulator: Emulator) -> Any:
    return boto3.client(
        "events",
        endpoint_url=emulator.lambda_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def entry(detail_type: str, detail: dict[str, Any], bus: str | None = BUS) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Source": "fixture",
        "DetailType": detail_type,
        "Detail": json.dumps(detail),
    }
    if bus is not None:
        out["EventBusName"] = bus
    return out


def received(recorder: Recorder, function: str, tag: str) -> list[Any]:
    return [
        json.loads(e)["event"] for e in recorder.client.lrange(f"async:{function}:{tag}", 0, -1)
    ]


def idle(emulator: Emulator) -> None:
    assert emulator.async_invocations is not None
    assert emulator.async_invocations.wait_idle(after()), "events still pending"


def test_an_event_reaches_the_matching_rules_targets_as_eventbridge_delivers_it(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    answer = events_client(emulator).put_events(
        Entries=[
            {**entry("fixture.created", {"tag": tag, "n": 1}), "Resources": ["arn:x"]},
            entry("fixture.other", {"tag": f"{tag}-other"}),
        ]
    )
    assert answer["FailedEntryCount"] == 0
    created_id, other_id = (e["EventId"] for e in answer["Entries"])
    idle(emulator)
    [event] = received(recorder, TARGET, tag)
    assert list(event) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert event == {
        "version": "0",
        "id": created_id,
        "detail-type": "fixture.created",
        "source": "fixture",
        "account": "123456789012",
        "time": event["time"],
        "region": "us-east-1",
        "resources": ["arn:x"],
        "detail": {"tag": tag, "n": 1},
    }
    assert EVENT_TIME.match(event["time"])
    # The second target of the rule gets `$.detail` (InputPath).
    assert received(recorder, DETAIL, tag) == [{"tag": tag, "n": 1}]
    # The other event matched no rule: nobody got it.
    assert received(recorder, TARGET, f"{tag}-other") == []
    assert received(recorder, DETAIL, f"{tag}-other") == []
    assert emulator.eventbridge is not None
    put = emulator.eventbridge.wait_for(lambda e: e.event["id"] == other_id, TIMEOUT)
    assert (put.bus, put.rules, put.detail_type) == (BUS, [], "fixture.other")
    mine = [e for e in emulator.eventbridge.events(bus=BUS) if e.event["id"] == created_id]
    assert [e.rules for e in mine] == [["switchboard-FixtureRule"]]


def test_sam_rule_events_on_the_default_bus_input_and_disabled_rules(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    client = events_client(emulator)
    answer = client.put_events(
        Entries=[
            entry("fixture.default", {"tag": tag}, bus=None),  # the default bus
            entry("fixture.paused", {"tag": f"{tag}-paused"}, bus="default"),
            entry(
                "fixture.constant",
                {"tag": f"{tag}-constant"},
                bus=f"arn:aws:events:us-east-1:123456789012:event-bus/{BUS}",
            ),
        ]
    )
    assert answer["FailedEntryCount"] == 0
    idle(emulator)
    assert received(recorder, DETAIL, tag) == [{"tag": tag}]  # InputPath $.detail
    assert received(recorder, DETAIL, f"{tag}-paused") == []  # Enabled: false
    constant = received(recorder, DETAIL, "constant-input")  # Input, in place of the event
    assert {"tag": "constant-input", "from": "Input"} in constant
    assert emulator.eventbridge is not None
    assert {
        e.bus for e in emulator.eventbridge.events() if e.detail.get("tag", "").startswith(tag)
    } == {
        "default",
        BUS,
    }


def test_put_events_validates_as_eventbridge_does(emulator: Emulator) -> None:
    client = events_client(emulator)
    with pytest.raises(ClientError) as refused:
        client.put_events(Entries=[entry("fixture.x", {"i": i}) for i in range(11)])
    error = refused.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "Member must have length less than or equal to 10" in error["Message"]
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as refused:
        client.put_events(Entries=[entry("fixture.x", {"big": "x" * 262144})])
    assert refused.value.response["Error"] == {
        "Code": "ValidationException",
        "Message": "Total size of the entries in the request is over the limit.",
    }
    answer = client.put_events(
        Entries=[
            {"Source": "fixture", "Detail": "{}"},
            {"Source": "fixture", "DetailType": "fixture.x", "Detail": "[1, 2]"},
            {"Source": "fixture", "DetailType": "fixture.x", "Detail": "{not json"},
            {"DetailType": "fixture.x", "Detail": "{}"},
            {"Source": "fixture", "DetailType": "fixture.x"},
            entry("fixture.x", {"ok": True}),
        ]
    )
    assert answer["FailedEntryCount"] == 5
    assert answer["Entries"][:5] == [
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required "
            "argument.",
        },
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
        },
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument.",
        },
    ]
    assert set(answer["Entries"][5]) == {"EventId"}


def test_an_unknown_bus_accepts_the_event_and_delivers_it_nowhere(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """EventBridge answers an entry for a bus that does not exist with an EventId (and
    FailedEntryCount 0) and drops it; the emulator says so in a WARNING."""
    tag = new_tag()
    with caplog.at_level(logging.WARNING, "switchboard.events"):
        answer = events_client(emulator).put_events(
            Entries=[entry("fixture.created", {"tag": tag}, bus="no-such-bus")]
        )
    assert answer["FailedEntryCount"] == 0 and "EventId" in answer["Entries"][0]
    assert emulator.eventbridge is not None
    [put] = emulator.eventbridge.events(bus="no-such-bus")[-1:]
    assert (put.known_bus, put.rules, put.detail) == (False, [], {"tag": tag})
    assert "no such bus" in caplog.text


def test_a_function_publishes_through_its_endpoint_variable(
    emulator: Emulator, recorder: Recorder
) -> None:
    tag = new_tag()
    answer = emulator.invoke(
        "PublisherFunction", {"entries": [entry("fixture.created", {"tag": tag})]}
    )
    assert answer["FailedEntryCount"] == 0, answer
    idle(emulator)
    [event] = received(recorder, TARGET, tag)
    assert event["id"] == answer["Entries"][0]["EventId"]


def test_other_operations_are_refused_as_unknown(emulator: Emulator) -> None:
    with pytest.raises(ClientError) as refused:
        events_client(emulator).list_rules()
    assert refused.value.response["Error"]["Code"] == "UnknownOperationException"


def test_print_events_logs_one_line_per_event(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    assert emulator.eventbridge is not None
    tag = new_tag()
    emulator.eventbridge.print_events = True
    try:
        with caplog.at_level(logging.INFO, "switchboard.events"):
            emulator.eventbridge.put("fixture", "fixture.printed", {"tag": tag}, bus=BUS)
    finally:
        emulator.eventbridge.print_events = False
    [line] = [r.getMessage() for r in caplog.records if tag in r.getMessage()]
    assert line == f'EVENT bus {BUS} fixture fixture.printed -> no rule: {{"tag": "{tag}"}}'


def test_entry_checks_and_input_paths() -> None:
    assert entry_error({"Source": "s", "DetailType": "d", "Detail": '"text"'}) == {
        "ErrorCode": "MalformedDetail",
        "ErrorMessage": "Detail is malformed.",
    }
    assert entry_error({"Source": "s", "DetailType": "d", "Detail": "{}"}) is None
    event = {"detail": {"a": {"b": [1, {"c": 2}]}}, "detail-type": "x"}
    assert select(event, "$") is event
    assert select(event, "$.detail.a.b[1].c") == 2
    assert select(event, "$['detail-type']") == "x"
    with pytest.raises(KeyError):
        select(event, "$.detail.missing")
