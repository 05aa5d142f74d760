"""shared.metrics: CloudWatch Embedded Metric Format documents."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.observability import metrics


def assert_valid_emf(doc: dict[str, Any]) -> None:
    """The structural rules of the EMF specification that CloudWatch enforces."""
    meta = doc["_aws"]
    assert isinstance(meta["Timestamp"], int)
    assert meta["Timestamp"] > 1_600_000_000_000  # epoch milliseconds
    [directive] = meta["CloudWatchMetrics"]
    assert directive["Namespace"] == "Switchboard"
    assert 0 < len(directive["Metrics"]) <= 100
    for dimension_set in directive["Dimensions"]:
        assert 0 < len(dimension_set) <= 30
        for name in dimension_set:
            assert isinstance(doc[name], str) and doc[name].strip()
    for metric in directive["Metrics"]:
        assert set(metric) <= {"Name", "Unit", "StorageResolution"}
        assert isinstance(doc[metric["Name"]], (int, float))
        assert not isinstance(doc[metric["Name"]], bool)


def by_name(doc: dict[str, Any]) -> dict[str, str]:
    return {m["Name"]: m["Unit"] for m in doc["_aws"]["CloudWatchMetrics"][0]["Metrics"]}


def test_an_invocation_without_fanout_has_latency_and_errors_only() -> None:
    doc = metrics.invocation_document(function="fn", route="hello", latency_ms=3.5)
    assert_valid_emf(doc)
    assert by_name(doc) == {"HandlerLatency": "Milliseconds", "Errors": "Count"}
    directive = doc["_aws"]["CloudWatchMetrics"][0]
    assert directive["Dimensions"] == [["Function"], ["Function", "Route"]]
    assert (doc["Function"], doc["Route"]) == ("fn", "hello")
    assert (doc["HandlerLatency"], doc["Errors"]) == (3.5, 0)


def test_a_new_message_counts_its_fanout() -> None:
    doc = metrics.invocation_document(
        function="fn",
        route="message:send",
        latency_ms=12,
        fanout={"delivered": 3, "gone": 1, "failed": 2},
        messages_sent=1,
        properties={"awsRequestId": "a", "connectionId": None},
    )
    assert_valid_emf(doc)
    assert by_name(doc) == {
        "HandlerLatency": "Milliseconds",
        "Errors": "Count",
        "MessagesSent": "Count",
        "FanoutSize": "Count",
        "Delivered": "Count",
        "Gone": "Count",
        "FanoutFailures": "Count",
    }
    assert doc["MessagesSent"] == 1
    assert (doc["FanoutSize"], doc["Delivered"], doc["Gone"], doc["FanoutFailures"]) == (6, 3, 1, 2)
    assert doc["awsRequestId"] == "a"
    assert "connectionId" not in doc


def test_a_handed_over_fan_out_is_counted_once_over_producer_and_workers() -> None:
    producer = metrics.invocation_document(
        function="event",
        route="message:send",
        latency_ms=5,
        fanout={"delivered": 0, "gone": 0, "failed": 0, "handedOver": 500, "jobs": 3},
    )
    worker = metrics.invocation_document(
        function="delivery",
        route="delivery",
        latency_ms=5,
        fanout={"delivered": 250, "gone": 0, "failed": 0},
    )
    assert (producer["FanoutSize"], producer["HandedOver"]) == (0, 500)
    assert worker["FanoutSize"] == 250 and "HandedOver" not in worker


def test_properties_never_shadow_metrics_or_dimensions() -> None:
    doc = metrics.document(
        {"Errors": (1, metrics.COUNT)},
        {"Function": "fn", "Route": "r"},
        {"Errors": "x", "Route": "y", "_aws": "z", "extra": 1},
    )
    assert_valid_emf(doc)
    assert (doc["Errors"], doc["Route"], doc["extra"]) == (1, "r", 1)


@pytest.mark.parametrize(("value", "expected"), [("", "unknown"), (":x", "x"), ("a\nb", "ab")])
def test_dimension_values_are_non_empty_printable_strings(value: str, expected: str) -> None:
    doc = metrics.document({"Errors": (0, metrics.COUNT)}, {"Function": "fn", "Route": value})
    assert doc["Route"] == expected


def test_a_missing_dimension_is_still_present() -> None:
    doc = metrics.document({"Errors": (0, metrics.COUNT)}, {"Function": "fn"})
    assert_valid_emf(doc)
    assert doc["Route"] == "unknown"


def test_emit_writes_one_json_line_on_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    doc = metrics.invocation_document(function="fn", route="r", latency_ms=1, errors=1)
    metrics.emit(doc)
    captured = capsys.readouterr()
    assert captured.err == ""
    [line] = captured.out.splitlines()
    assert json.loads(line) == doc


def test_emit_never_raises_nor_writes_invalid_json(capsys: pytest.CaptureFixture[str]) -> None:
    metrics.emit({"_aws": {}, "bad": float("nan")})  # NaN is not JSON: CloudWatch drops it
    circular: dict[str, Any] = {}
    circular["self"] = circular
    metrics.emit(circular)
    assert capsys.readouterr().out == ""
