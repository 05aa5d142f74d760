"""The template's SQS queues in moto, sending to them, and the alarms on their backlog."""

from __future__ import annotations

import json
import logging
import uuid

import pytest

from infra.emulator import REGION, Emulator
from infra.services.sqs import LocalQueues
from infra.template.reader import Alarm, Queue
from tests.infra.support import aws_client


def test_the_template_queues_exist_in_moto_with_their_attributes(emulator: Emulator) -> None:
    assert emulator.template is not None
    sqs = aws_client(emulator, "sqs")
    queues = emulator.template.queues
    dlq = sqs.get_queue_url(QueueName="switchboard-DeliveryDeadLetterQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"]
    assert attributes["MessageRetentionPeriod"] == "1209600"
    assert attributes["QueueArn"] == queues["DeliveryDeadLetterQueue"].arn
    work = sqs.get_queue_url(QueueName="switchboard-WorkQueue")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "90"
    assert json.loads(attributes["RedrivePolicy"]) == {
        "deadLetterTargetArn": queues["DeliveryDeadLetterQueue"].arn,
        "maxReceiveCount": 3,
    }
    assert sqs.get_queue_url(QueueName="switchboard-aging-dlq")["QueueUrl"]


def test_a_queue_url_as_aws_spells_it_reaches_the_local_queue(emulator: Emulator) -> None:
    """What `!Ref Queue` gives a function (an AWS URL) works against AWS_ENDPOINT_URL_SQS."""
    assert emulator.template is not None
    queue = emulator.template.queues["WorkQueue"]
    assert queue.url.startswith("https://sqs.us-east-1.amazonaws.com/")
    sqs = aws_client(emulator, "sqs")
    body = uuid.uuid4().hex
    sqs.send_message(QueueUrl=queue.url, MessageBody=body)
    got = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
    matching = [m for m in got.get("Messages", []) if m["Body"] == body]
    assert len(matching) == 1
    sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=matching[0]["ReceiptHandle"])


def queue_named(name: str, **attributes: str) -> Queue:
    return Queue(
        logical_id=name,
        name=name,
        url=f"https://sqs.us-east-1.amazonaws.com/123456789012/{name}",
        arn=f"arn:aws:sqs:us-east-1:123456789012:{name}",
        attributes=attributes,
    )


def backlog_alarm(queue: Queue, logical_id: str, threshold: float) -> Alarm:
    return Alarm(
        logical_id=logical_id,
        name=logical_id,
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": queue.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        threshold=threshold,
        comparison_operator="GreaterThanThreshold",
    )


def test_a_send_evaluates_the_alarms_on_the_queue_backlog(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    watched, other = queue_named(f"w-{uuid.uuid4().hex}"), queue_named(f"o-{uuid.uuid4().hex}")
    alarms = [backlog_alarm(watched, "BacklogAlarm", 1), backlog_alarm(watched, "AnyAlarm", 0)]
    queues = LocalQueues(emulator.aws_endpoint, REGION, [watched, other], alarms).create()
    with caplog.at_level(logging.WARNING, logger="switchboard.sqs"):
        queues.send(other.arn, "unwatched")
        assert [r.getMessage() for r in caplog.records] == []
        queues.send(watched.arn, "one")
        assert [r.getMessage() for r in caplog.records] == [
            f"ALARM AnyAlarm: ApproximateNumberOfMessagesVisible of queue {watched.name} is 1 "
            "(GreaterThanThreshold 0)"
        ]
        caplog.clear()
        queues.send(watched.arn, "two")
        assert sorted(r.getMessage().split(":")[0] for r in caplog.records) == [
            "ALARM AnyAlarm",
            "ALARM BacklogAlarm",
        ]
    assert all(r.levelno == logging.WARNING for r in caplog.records)
    sqs = aws_client(emulator, "sqs")
    got = sqs.receive_message(QueueUrl=queues.url(watched.arn), MaxNumberOfMessages=10)
    assert sorted(m["Body"] for m in got["Messages"]) == ["one", "two"]
    with pytest.raises(KeyError):
        queues.send("arn:aws:sqs:us-east-1:123456789012:not-in-the-template", "x")


def test_creating_again_gives_an_existing_queue_the_template_attributes(
    emulator: Emulator,
) -> None:
    name = f"again-{uuid.uuid4().hex}"
    first = LocalQueues(
        emulator.aws_endpoint, REGION, [queue_named(name, VisibilityTimeout="30")]
    ).create()
    second = LocalQueues(
        emulator.aws_endpoint, REGION, [queue_named(name, VisibilityTimeout="45")]
    ).create()
    url = second.url(queue_named(name).arn)
    assert url == first.url(queue_named(name).arn)
    attributes = aws_client(emulator, "sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout"]
    )["Attributes"]
    assert attributes == {"VisibilityTimeout": "45"}
