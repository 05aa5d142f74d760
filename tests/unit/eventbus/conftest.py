"""Events out, in-process: a bus in moto's EventBridge whose catch-all rule feeds an SQS
queue (what was put is read back from it), and the tables' real stream records."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from shared import config

Configure = Callable[..., config.Settings]


@dataclass
class Bus:
    """A bus, and what reached it (each event as EventBridge delivers it)."""

    name: str
    queue_url: str
    sqs: Any

    def received(self) -> list[dict[str, Any]]:
        found = []
        while True:
            answer = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = answer.get("Messages") or []
            if not messages:
                return found
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def names(self) -> list[str]:
        return [event["detail-type"] for event in self.received()]


@pytest.fixture
def bus(domain: config.Settings, configure: Configure) -> Iterator[Bus]:
    """A fresh bus, every family published to it."""
    import boto3

    name = f"bus-{uuid.uuid4().hex[:8]}"
    events = boto3.client("events", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    events.create_event_bus(Name=name)
    queue_url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events.put_rule(
        Name="all", EventBusName=name, EventPattern=json.dumps({"source": ["switchboard"]})
    )
    events.put_targets(Rule="all", EventBusName=name, Targets=[{"Id": "q", "Arn": queue_arn}])
    configure(event_bus_name=name, event_families=("all",))
    yield Bus(name, queue_url, sqs)
    configure(event_bus_name="", event_families=())
