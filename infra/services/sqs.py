"""The template's SQS queues in moto, and the CloudWatch alarms that watch their backlog.

Owns creating each `AWS::SQS::Queue` of the template (with its attributes; a RedrivePolicy
set once every queue exists, since it names another queue) in moto's SQS, sending a
message to one (what Lambda does with the record of an asynchronous invocation whose
destination is a queue), and evaluating, right after each such send, the template's alarms
on that queue's `ApproximateNumberOfMessagesVisible`: an alarm the backlog breaches is
logged as a WARNING `ALARM <logical id>: ...`. CloudWatch itself is not emulated (no
periods, no alarm actions): a message a function sends to a queue by itself is not
evaluated.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from infra.template.reader import Alarm, Queue, backlog_alarms

log = logging.getLogger("switchboard.sqs")
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


def sqs_client(endpoint: str, region: str) -> Any:  # boto3's methods are made at run time
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 3}),
        **LOCAL_CREDENTIALS,
    )


class LocalQueues:
    """The template's queues on one SQS endpoint (moto), by ARN, and their alarms."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        queues: Iterable[Queue],
        alarms: Iterable[Alarm] = (),
    ) -> None:
        self.endpoint = endpoint
        self.region = region
        self.queues = {queue.arn: queue for queue in queues}
        self.alarms = list(alarms)
        self.client = sqs_client(endpoint, region)
        self.urls: dict[str, str] = {}  # ARN -> the queue's URL on the endpoint

    def create(self) -> LocalQueues:
        """Create every queue (an existing one gets the template's attributes)."""
        for arn, queue in self.queues.items():
            attributes = {k: v for k, v in queue.attributes.items() if k != "RedrivePolicy"}
            try:
                url = self.client.create_queue(QueueName=queue.name, Attributes=attributes)[
                    "QueueUrl"
                ]
            except self.client.exceptions.QueueNameExists:
                url = self.client.get_queue_url(QueueName=queue.name)["QueueUrl"]
                if attributes:
                    self.client.set_queue_attributes(QueueUrl=url, Attributes=attributes)
            self.urls[arn] = url
        for arn, queue in self.queues.items():
            if "RedrivePolicy" in queue.attributes:
                self.client.set_queue_attributes(
                    QueueUrl=self.urls[arn],
                    Attributes={"RedrivePolicy": queue.attributes["RedrivePolicy"]},
                )
            log.info("queue %s ready", queue.name)
        return self

    def url(self, arn: str) -> str:
        """The endpoint's URL of the queue `arn` (KeyError: not one of the template's)."""
        return self.urls[arn]

    def send(self, arn: str, body: str) -> str:
        """SendMessage to the queue `arn`, then evaluate its alarms; returns the message id."""
        queue = self.queues.get(arn)
        if queue is None:
            raise KeyError(f"{arn} is not a queue of the template")
        kwargs: dict[str, Any] = {"QueueUrl": self.urls[arn], "MessageBody": body}
        if queue.name.endswith(".fifo"):
            # What Lambda does for a FIFO destination is not documented; one group keeps order.
            kwargs["MessageGroupId"] = "lambda-destination"
            if queue.attributes.get("ContentBasedDeduplication") != "true":
                kwargs["MessageDeduplicationId"] = hashlib.sha256(body.encode()).hexdigest()
        message_id = str(self.client.send_message(**kwargs)["MessageId"])
        self.evaluate_alarms(queue)
        return message_id

    def visible(self, queue: Queue) -> int | None:
        """The messages visible in the queue now: CloudWatch's metric
        ApproximateNumberOfMessagesVisible is SQS's attribute ApproximateNumberOfMessages
        (None: not readable)."""
        try:
            attributes = self.client.get_queue_attributes(
                QueueUrl=self.urls[queue.arn], AttributeNames=["ApproximateNumberOfMessages"]
            )["Attributes"]
            return int(attributes["ApproximateNumberOfMessages"])
        except Exception as exc:  # noqa: BLE001 - an alarm that cannot tell says so
            log.warning("queue %s: backlog not readable: %s", queue.name, exc)
            return None

    def evaluate_alarms(self, queue: Queue) -> list[Alarm]:
        """Log (WARNING) and return the alarms on the queue's backlog that it breaches now."""
        alarms = backlog_alarms(self.alarms, queue)
        if not alarms:
            return []
        count = self.visible(queue)
        breached = []
        for alarm in alarms:
            if count is None or alarm.breached_by(count):
                breached.append(alarm)
                log.warning(
                    "ALARM %s: ApproximateNumberOfMessagesVisible of queue %s is %s (%s %g)",
                    alarm.logical_id,
                    queue.name,
                    "unknown" if count is None else count,
                    alarm.comparison_operator,
                    alarm.threshold,
                )
        return breached
