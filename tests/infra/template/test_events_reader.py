"""DynamoDB stream event sources, event buses and EventBridge rules read from a template:
both spellings of each (SAM events, CloudFormation resources), Lambda's defaults and
bounds, and what the emulator cannot run (logged and skipped, or refused)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from infra.template.intrinsics import STREAM_LABEL, TemplateError
from infra.template.reader import (
    Destination,
    EventRule,
    RuleTarget,
    StreamSource,
    load_template,
)

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "template.yaml"
TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/switchboard-StreamTable"
BUS_ARN = "arn:aws:events:us-east-1:123456789012:event-bus/switchboard-fixture-bus"

HEAD = """
AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Plain:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
"""


def load(tmp_path: Path, resources: str, **overrides: str):  # noqa: ANN201 - a Template
    (tmp_path / "template.yaml").write_text(HEAD + resources)
    return load_template(tmp_path / "template.yaml", overrides)


def test_the_fixture_stream_sources() -> None:
    template = load_template(FIXTURE, {"Stage": "local"})
    sources = {s.logical_id: s for s in template.stream_sources}
    stream_arn = f"{TABLE_ARN}/stream/{STREAM_LABEL}"
    assert sources["StreamRecorderFunctionChanges"] == StreamSource(
        logical_id="StreamRecorderFunctionChanges",
        function_id="StreamRecorderFunction",
        table_id="StreamTable",
        event_source_arn=stream_arn,
        starting_position="LATEST",
        batch_size=10,
        enabled=True,  # !Not [!Equals [...]] resolved
        filters=('{"dynamodb": {"Keys": {"pk": {"S": [{"prefix": "rec-"}]}}}}',),
        maximum_retry_attempts=2,
        on_failure=Destination(
            "SQS", "arn:aws:sqs:us-east-1:123456789012:switchboard-StreamDeadLetterQueue"
        ),
    )
    partial = sources["StreamPartialMapping"]
    assert (partial.function_id, partial.starting_position, partial.batch_size) == (
        "StreamPartialFunction",
        "TRIM_HORIZON",
        5,
    )
    assert partial.batching_window == 1.0
    assert partial.report_batch_item_failures and partial.maximum_retry_attempts == 3
    disabled = sources["StreamDisabledMapping"]
    assert not disabled.enabled
    # Lambda's defaults: 100 records, no window, retries until the record expires.
    assert (disabled.batch_size, disabled.batching_window) == (100, 0.0)
    assert (disabled.maximum_retry_attempts, disabled.maximum_record_age) == (-1, -1)
    assert template.tables["StreamTable"].create_kwargs["StreamSpecification"] == {
        "StreamEnabled": True,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }


def test_the_fixture_buses_and_rules(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, "switchboard.template"):
        template = load_template(FIXTURE, {"Stage": "local"})
    assert template.event_buses == ["default", "switchboard-fixture-bus"]
    rules = {r.logical_id: r for r in template.event_rules}
    assert rules["FixtureRule"] == EventRule(
        logical_id="FixtureRule",
        name="switchboard-FixtureRule",
        bus="switchboard-fixture-bus",
        pattern=json.dumps({"source": ["fixture"], "detail-type": ["fixture.created"]}),
        enabled=True,
        targets=[
            RuleTarget("whole", "EventTargetFunction"),
            RuleTarget("detail", "EventDetailFunction", input_path="$.detail"),
        ],
    )
    # The queue target is no function: logged and skipped.
    assert "target queue" in caplog.text
    on_default = rules["EventDetailFunctionOnDefault"]
    assert (on_default.bus, on_default.enabled) == ("default", True)
    assert on_default.targets == [
        RuleTarget(
            "EventDetailFunctionOnDefaultLambdaTarget", "EventDetailFunction", None, "$.detail"
        )
    ]
    constant = rules["EventDetailFunctionConstant"]
    assert constant.bus == "switchboard-fixture-bus"  # EventBusName given as the bus's ARN
    assert json.loads(constant.pattern) == {"detail-type": ["fixture.constant"]}
    assert constant.targets[0].input == '{"tag": "constant-input", "from": "Input"}'
    assert not rules["EventDetailFunctionPaused"].enabled


def test_intrinsics_of_buses_rules_and_streams(tmp_path: Path) -> None:
    template = load(
        tmp_path,
        """
  Bus:
    Type: AWS::Events::EventBus
    Properties: {Name: !Sub "${Stage}-bus"}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !GetAtt Bus.Arn
      EventPattern: '{"source": ["x"]}'
      State: DISABLED
      Targets: [{Id: t, Arn: !GetAtt Fn.Arn, Input: '{"a": 1}'}]
  Fn2:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Environment:
        Variables:
          BUS: !Ref Bus
          BUS_ARN: !GetAtt Bus.Arn
          BUS_NAME: !GetAtt Bus.Name
          RULE_ARN: !GetAtt Rule.Arn
          STREAM: !GetAtt Table.StreamArn
""",
        Stage="qa",
    )
    env = template.functions["Fn2"].environment
    assert env["BUS"] == env["BUS_NAME"] == "qa-bus"
    assert env["BUS_ARN"] == "arn:aws:events:us-east-1:123456789012:event-bus/qa-bus"
    assert env["RULE_ARN"] == "arn:aws:events:us-east-1:123456789012:rule/qa-bus/switchboard-Rule"
    assert env["STREAM"].endswith(f":table/switchboard-Table/stream/{STREAM_LABEL}")
    [rule] = template.event_rules
    assert (rule.bus, rule.enabled) == ("qa-bus", False)
    assert rule.targets == [RuleTarget("t", "Fn", input='{"a": 1}')]


@pytest.mark.parametrize(
    ("resources", "refusal"),
    [
        (
            "  Env:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: .\n"
            "      Environment: {Variables: {S: !GetAtt Plain.StreamArn}}\n",
            "has no StreamSpecification",
        ),
        (
            "  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
            "      FunctionName: !Ref Fn\n      EventSourceArn: !GetAtt Table.StreamArn\n"
            "      StartingPosition: AT_TIMESTAMP\n",
            "StartingPosition",
        ),
        (
            "  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
            "      FunctionName: !Ref Fn\n      EventSourceArn: !GetAtt Table.StreamArn\n"
            "      StartingPosition: LATEST\n      BatchSize: 10001\n",
            "BatchSize: 10001 is outside",
        ),
        (
            "  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
            "      FunctionName: nobody\n      EventSourceArn: !GetAtt Table.StreamArn\n"
            "      StartingPosition: LATEST\n",
            "names no function",
        ),
        (
            "  M:\n    Type: AWS::Lambda::EventSourceMapping\n    Properties:\n"
            "      FunctionName: !Ref Fn\n      EventSourceArn: !GetAtt Table.StreamArn\n"
            "      StartingPosition: LATEST\n"
            '      FilterCriteria: {Filters: [{Pattern: \'{"eventName": "INSERT"}\'}]}\n',
            "invalid event pattern",
        ),
        (
            "  R:\n    Type: AWS::Events::Rule\n    Properties:\n"
            "      EventPattern: {source: x}\n      Targets: [{Id: t, Arn: !GetAtt Fn.Arn}]\n",
            "invalid event pattern",
        ),
    ],
)
def test_what_lambda_or_eventbridge_would_refuse_is_refused(
    tmp_path: Path, resources: str, refusal: str
) -> None:
    with pytest.raises(TemplateError, match=refusal):
        load(tmp_path, resources)


def test_what_is_not_run_locally_is_logged_and_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, "switchboard.template"):
        template = load(
            tmp_path,
            """
  Queue:
    Type: AWS::SQS::Queue
  FromKinesis:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      EventSourceArn: arn:aws:kinesis:us-east-1:123456789012:stream/k
      StartingPosition: LATEST
  ToQueue:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets: [{Id: q, Arn: !GetAtt Queue.Arn}]
  Timer:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 minute)
      Targets: [{Id: f, Arn: !GetAtt Fn.Arn}]
  Transformed:
    Type: AWS::Events::Rule
    Properties:
      EventPattern: {source: [x]}
      Targets:
        - Id: f
          Arn: !GetAtt Fn.Arn
          InputTransformer: {InputPathsMap: {s: $.source}, InputTemplate: '"<s>"'}
""",
        )
    assert template.stream_sources == [] and template.event_rules == []
    for lid in ("FromKinesis", "ToQueue", "Timer", "Transformed"):
        assert lid in caplog.text
    assert "InputTransformer is not emulated" in caplog.text
