"""SQS event source mappings read from a template: SAM `SQS` events and
`AWS::Lambda::EventSourceMapping` resources, Lambda's defaults and bounds, what Lambda
refuses (refused here too), and queues that are not the template's (logged, skipped)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from infra.template.intrinsics import TemplateError
from infra.template.queue_sources import QueueSource
from infra.template.reader import Template, load_template

QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:switchboard-Timers"

HEAD = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Timers:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 20}
  Ordered:
    Type: AWS::SQS::Queue
    Properties: {FifoQueue: true}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Timeout: 10
"""


def load(tmp_path: Path, resources: str) -> Template:
    (tmp_path / "template.yaml").write_text(HEAD + resources)
    return load_template(tmp_path / "template.yaml")


def test_a_sam_sqs_event_with_lambdas_defaults(tmp_path: Path) -> None:
    template = load(
        tmp_path,
        """
  Timed:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Timers: {Type: SQS, Properties: {Queue: !GetAtt Timers.Arn}}
""",
    )
    assert template.queue_sources == [
        QueueSource(
            logical_id="TimedTimers",
            function_id="Timed",
            queue_id="Timers",
            event_source_arn=QUEUE_ARN,
            batch_size=10,
            batching_window=0.0,
            enabled=True,
            report_batch_item_failures=False,
            maximum_concurrency=None,
        )
    ]
    assert template.stream_sources == []


def test_every_property_of_both_spellings(tmp_path: Path) -> None:
    template = load(
        tmp_path,
        """
  Timed:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Events:
        Timers:
          Type: SQS
          Properties:
            Queue: !GetAtt Timers.Arn
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 0
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
            ScalingConfig: {MaximumConcurrency: 5}
            FilterCriteria: {Filters: [{Pattern: '{"body": {"kind": ["ring"]}}'}]}
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !GetAtt Fn.Arn
      EventSourceArn: !GetAtt Timers.Arn
      BatchSize: 500
      MaximumBatchingWindowInSeconds: 2
      Enabled: "true"
  FifoMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: !GetAtt Ordered.Arn
""",
    )
    sources = {s.logical_id: s for s in template.queue_sources}
    assert sources["TimedTimers"] == QueueSource(
        logical_id="TimedTimers",
        function_id="Timed",
        queue_id="Timers",
        event_source_arn=QUEUE_ARN,
        batch_size=10,
        batching_window=0.0,
        enabled=False,
        report_batch_item_failures=True,
        maximum_concurrency=5,
        filters=('{"body": {"kind": ["ring"]}}',),
    )
    assert sources["Mapping"] == QueueSource(
        logical_id="Mapping",
        function_id="Fn",
        queue_id="Timers",
        event_source_arn=QUEUE_ARN,
        batch_size=500,
        batching_window=2.0,
    )
    fifo = sources["FifoMapping"]
    assert (fifo.queue_id, fifo.event_source_arn) == (
        "Ordered",
        "arn:aws:sqs:us-east-1:123456789012:switchboard-Ordered.fifo",
    )


def mapping(**props: object) -> str:
    lines = "".join(f"      {k}: {v}\n" for k, v in props.items())
    return (
        "  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
        f"      FunctionName: !Ref Fn\n{lines}"
    )


@pytest.mark.parametrize(
    ("resources", "refusal"),
    [
        (mapping(EventSourceArn="!GetAtt Timers.Arn", BatchSize=0), "BatchSize: 0 is outside"),
        (
            mapping(
                EventSourceArn="!GetAtt Timers.Arn",
                BatchSize=10001,
                **{"MaximumBatchingWindowInSeconds": 1},
            ),
            "BatchSize: 10001 is outside",
        ),
        (mapping(EventSourceArn="!GetAtt Timers.Arn", BatchSize=11), "at least 1"),
        (mapping(EventSourceArn="!GetAtt Ordered.Arn", BatchSize=11), "BatchSize: 11 is outside"),
        (
            mapping(EventSourceArn="!GetAtt Timers.Arn", MaximumBatchingWindowInSeconds=301),
            "MaximumBatchingWindowInSeconds: 301 is outside",
        ),
        (
            mapping(EventSourceArn="!GetAtt Timers.Arn", FunctionResponseTypes="[Partial]"),
            "FunctionResponseTypes",
        ),
        (
            mapping(EventSourceArn="!GetAtt Timers.Arn", ScalingConfig="{MaximumConcurrency: 1}"),
            "MaximumConcurrency: 1 is outside",
        ),
        (
            mapping(
                EventSourceArn="!GetAtt Timers.Arn",
                FilterCriteria='{Filters: [{Pattern: \'{"body": "x"}\'}]}',
            ),
            "invalid event pattern",
        ),
        # The default visibility timeout (30 s) is shorter than the function's 60 s.
        (
            "  Slow:\n    Type: AWS::Serverless::Function\n    Properties:\n"
            "      CodeUri: .\n      Timeout: 60\n"
            "      Events: {Q: {Type: SQS, Properties: {Queue: !GetAtt Ordered.Arn}}}\n",
            "visibility timeout 30 s is less than function Slow's timeout 60 s",
        ),
        (
            mapping(EventSourceArn="!GetAtt Timers.Arn").replace("!Ref Fn", "nobody"),
            "names no function",
        ),
    ],
)
def test_what_lambda_would_refuse_is_refused(tmp_path: Path, resources: str, refusal: str) -> None:
    with pytest.raises(TemplateError, match=refusal):
        load(tmp_path, resources)


def test_a_queue_of_another_stack_is_logged_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "switchboard.template"):
        template = load(
            tmp_path,
            mapping(EventSourceArn="arn:aws:sqs:us-east-1:123456789012:elsewhere"),
        )
    assert template.queue_sources == [] and template.stream_sources == []
    assert "M: 'arn:aws:sqs:us-east-1:123456789012:elsewhere' is no queue" in caplog.text
