"""The template model: intrinsics, functions, routes, tables, queues, alarms and
asynchronous invocation settings read from template.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.template.intrinsics import Resolver, TemplateError
from infra.template.reader import Destination, EventInvokeConfig, HttpAuthorizer, load_template

ROOT = Path(__file__).resolve().parents[3]


def test_project_template_is_fully_read() -> None:
    template = load_template(ROOT / "template.yaml", {"Stage": "dev", "RedisUrl": "redis://x"})
    api = template.websocket_api
    assert api is not None
    assert api.route_selection_expression == "$request.body.action"
    assert {"$connect", "$disconnect", "$default"} <= set(api.routes)
    connect = api.routes["$connect"]
    assert connect.authorizer is not None
    assert connect.authorizer.identity_sources == ["route.request.querystring.token"]
    assert api.routes["$default"].has_route_response
    assert not api.routes["$disconnect"].has_route_response
    for route in api.routes.values():
        assert route.function_id in template.functions or route.mock  # ping: API Gateway's own
    rest, server = sorted(template.http_routes, key=lambda r: r.function_id)
    assert (rest.function_id, rest.method, rest.path) == ("ApiFunction", "ANY", "/{proxy+}")
    assert (server.function_id, server.method, server.path) == (
        "ServerApiFunction",
        "POST",
        "/server/{command}",
    )
    assert (server.authorization, server.authorizer) == ("AWS_IAM", None)
    assert set(template.policies) == {"ServerApiCallerPolicy"}
    assert rest.authorizer == HttpAuthorizer(
        name="TokenAuthorizer",
        function_id="AuthorizerFunction",
        identity_sources=["$request.header.Authorization"],
        payload_format="2.0",
        simple_responses=True,
        ttl=300.0,
    )
    event = template.functions[api.routes["$default"].function_id]
    assert event.environment["REDIS_URL"] == "redis://x"
    assert event.environment["CONNECTIONS_TABLE"] == "switchboard-ConnectionsTable"
    assert event.layer_dirs == [ROOT]
    assert event.timeout == 10 and event.memory_size == 512
    assert template.tables["ConnectionsTable"].ttl_attribute == "expiresAt"


def test_intrinsics() -> None:
    resources = {
        "Fn": {"Type": "AWS::Serverless::Function", "Properties": {}},
        "T": {"Type": "AWS::DynamoDB::Table", "Properties": {"TableName": "fixed"}},
    }
    r = Resolver(
        resources=resources,
        parameters={"P": "v"},
        stack_name="s",
        conditions={"IsV": {"Fn::Equals": [{"Ref": "P"}, "v"]}},
    )
    assert r.resolve({"Fn::Sub": "${P}-${AWS::Region}-${!Literal}"}) == "v-us-east-1-${Literal}"
    assert r.resolve({"Fn::Sub": ["${X}/${T}", {"X": {"Ref": "P"}}]}) == "v/fixed"
    assert r.resolve({"Fn::GetAtt": ["Fn", "Arn"]}).endswith(":function:s-Fn")
    assert r.resolve({"Fn::Sub": "${Fn.Arn}"}).endswith(":function:s-Fn")
    assert r.resolve({"Fn::Join": ["-", ["a", {"Ref": "P"}]]}) == "a-v"
    assert r.resolve({"Fn::Select": [1, ["a", "b"]]}) == "b"
    assert r.resolve({"Fn::If": ["IsV", "yes", "no"]}) == "yes"
    assert r.resolve({"A": {"Ref": "AWS::NoValue"}, "B": 1}) == {"B": 1}


HTTP_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Auth:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler}
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: A
        Authorizers:
          A: AUTHORIZER
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Events:
        Get: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /x, Method: GET}}
"""


@pytest.mark.parametrize(
    ("authorizer", "refusal"),
    [
        ("{JwtConfiguration: {issuer: i, audience: [a]}, IdentitySource: x}", "Lambda"),
        ("{FunctionArn: !GetAtt Auth.Arn, AuthorizerPayloadFormatVersion: '1.0'}", "1.0"),
        ("{FunctionArn: arn:aws:lambda:us-east-1:1:function:elsewhere}", "no function"),
    ],
)
def test_http_api_authorizers_the_emulator_cannot_run_are_refused(
    tmp_path: Path, authorizer: str, refusal: str
) -> None:
    """Better no emulator than routes left open that AWS would guard."""
    (tmp_path / "template.yaml").write_text(HTTP_API.replace("AUTHORIZER", authorizer))
    with pytest.raises(TemplateError, match=refusal):
        load_template(tmp_path / "template.yaml")


IAM_API = """
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth: {EnableIamAuthorizer: ENABLED, DEFAULT}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Events:
        Post: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: "/s/{c}", Method: POST, AUTH}}
        Open: {Type: HttpApi, Properties: {ApiId: !Ref Api, Path: /o, Auth: {Authorizer: NONE}}}
  Caller:
    Type: AWS::IAM::ManagedPolicy
    Properties:
      Roles: [some-role]
      PolicyDocument:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Action: lambda:InvokeFunction, Resource: !GetAtt Fn.Arn}
          - Effect: Allow
            Action: [execute-api:Invoke]
            Resource: !Sub "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:\\
              ${Api}/*/POST/s/*"
  Inline:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: inline
      PolicyDocument:
        Statement: {Effect: Deny, Action: "*", Resource: "*"}
"""


@pytest.mark.parametrize(
    ("default", "auth"),
    [
        ("DefaultAuthorizer: NONE", "Auth: {Authorizer: AWS_IAM}"),  # on the route
        ("DefaultAuthorizer: AWS_IAM", "Auth: {}"),  # the API's default
    ],
)
def test_an_aws_iam_route_and_the_policies_that_open_it(
    tmp_path: Path, default: str, auth: str
) -> None:
    text = IAM_API.replace("ENABLED", "true").replace("DEFAULT", default).replace("AUTH", auth)
    (tmp_path / "template.yaml").write_text(text)
    template = load_template(tmp_path / "template.yaml", stack_name="st")
    routes = {route.path: route for route in template.http_routes}
    iam, open_ = routes["/s/{c}"], routes["/o"]
    assert (iam.authorization, iam.authorizer) == ("AWS_IAM", None)
    assert (open_.authorization, open_.authorizer) == ("NONE", None)
    caller, inline = template.policies["Caller"], template.policies["Inline"]
    assert (caller.name, caller.attached_to) == ("Caller", ["some-role"])
    # The ids the emulator serves under: the function's ARN and the HTTP API's id.
    assert caller.statements == [
        {
            "Effect": "Allow",
            "Action": "lambda:InvokeFunction",
            "Resource": template.functions["Fn"].arn,
        },
        {
            "Effect": "Allow",
            "Action": ["execute-api:Invoke"],
            "Resource": f"arn:aws:execute-api:us-east-1:123456789012:{iam.api_id}/*/POST/s/*",
        },
    ]
    assert template.functions["Fn"].arn == "arn:aws:lambda:us-east-1:123456789012:function:st-Fn"
    assert (inline.name, inline.statements) == (
        "inline",
        [{"Effect": "Deny", "Action": "*", "Resource": "*"}],
    )


def test_aws_iam_without_enable_iam_authorizer_is_refused(tmp_path: Path) -> None:
    """SAM refuses it too: the API has no AWS_IAM authorizer unless it is enabled."""
    text = IAM_API.replace("ENABLED", "false").replace("DEFAULT", "DefaultAuthorizer: NONE")
    (tmp_path / "template.yaml").write_text(text.replace("AUTH", "Auth: {Authorizer: AWS_IAM}"))
    with pytest.raises(TemplateError, match="EnableIamAuthorizer"):
        load_template(tmp_path / "template.yaml")


# ---------------------------------------------------------------- asynchronous invocation

# What the project's template.yaml gains for sharded delivery (docs: the delivery function).
DELIVERY_YAML = """
  DeliveryFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-delivery"
      CodeUri: functions/delivery/
      Handler: app.handler
      Timeout: 60
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 3600
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: !GetAtt DeliveryDeadLetterQueue.Arn
  DeliveryDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
  DeliveryDeadLetterAlarm:
    Type: AWS::CloudWatch::Alarm
    Properties:
      Namespace: AWS/SQS
      MetricName: ApproximateNumberOfMessagesVisible
      Dimensions: [{Name: QueueName, Value: !GetAtt DeliveryDeadLetterQueue.QueueName}]
      Statistic: Maximum
      Period: 60
      EvaluationPeriods: 1
      Threshold: 0
      ComparisonOperator: GreaterThanThreshold
      TreatMissingData: notBreaching
"""

# The same configuration as CloudFormation writes it: a separate resource, no `Type`.
SEPARATE_CONFIG_YAML = """
  DeliveryFunction:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub "${AWS::StackName}-delivery"
      CodeUri: functions/delivery/
      Handler: app.handler
      Timeout: 60
  DeliveryInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref DeliveryFunction
      Qualifier: $LATEST
      MaximumEventAgeInSeconds: 3600
      MaximumRetryAttempts: 2
      DestinationConfig:
        OnFailure:
          Destination: !GetAtt DeliveryDeadLetterQueue.Arn
  DeliveryDeadLetterQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 1209600
"""

ARN = "arn:aws:lambda:us-east-1:123456789012:function:switchboard-delivery"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:switchboard-DeliveryDeadLetterQueue"


def project_template_with(tmp_path: Path, resources: str) -> Path:
    """A copy of the project's template.yaml with `resources` added (unless it has them
    already: once the project's template declares the delivery function, it is read as is)."""
    text = (ROOT / "template.yaml").read_text()
    if "\n  DeliveryFunction:" not in text:
        text = text.replace("\nResources:\n", "\nResources:\n" + resources, 1)
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def test_project_template_with_the_delivery_function(tmp_path: Path) -> None:
    template = load_template(
        project_template_with(tmp_path, DELIVERY_YAML), {"Stage": "dev", "RedisUrl": "redis://x"}
    )
    delivery = template.functions["DeliveryFunction"]
    assert (delivery.name, delivery.arn, delivery.timeout) == ("switchboard-delivery", ARN, 60)
    queue = template.queues["DeliveryDeadLetterQueue"]
    assert delivery.event_invoke_config == EventInvokeConfig(
        maximum_retry_attempts=2,
        maximum_event_age_in_seconds=3600,
        on_failure=Destination("SQS", QUEUE_ARN),
    )
    assert queue.arn == QUEUE_ARN
    assert queue.name == "switchboard-DeliveryDeadLetterQueue"
    assert queue.url == (
        "https://sqs.us-east-1.amazonaws.com/123456789012/switchboard-DeliveryDeadLetterQueue"
    )
    assert queue.attributes == {"MessageRetentionPeriod": "1209600", "SqsManagedSseEnabled": "true"}
    [alarm] = template.alarms_on_queue(queue)
    assert alarm.logical_id == "DeliveryDeadLetterAlarm"
    assert alarm.dimensions == {"QueueName": queue.name}
    assert (alarm.threshold, alarm.comparison_operator) == (0, "GreaterThanThreshold")
    assert alarm.breached_by(1) and not alarm.breached_by(0)
    # Every other function keeps Lambda's defaults: 2 retries, 6 hours, no destination.
    assert template.functions["EventFunction"].event_invoke_config == EventInvokeConfig(2, 21600)
    # The functions' own alarms are read too (on Lambda's metrics, not a queue's backlog).
    assert len(template.alarms) > 1


def test_a_separate_event_invoke_config_reads_the_same(tmp_path: Path) -> None:
    sam = load_template(project_template_with(tmp_path / "sam", DELIVERY_YAML))
    (tmp_path / "cfn").mkdir()
    separate = tmp_path / "cfn" / "template.yaml"
    separate.write_text(HEADER + SEPARATE_CONFIG_YAML)
    cfn = load_template(separate)
    assert (
        cfn.functions["DeliveryFunction"].event_invoke_config
        == sam.functions["DeliveryFunction"].event_invoke_config
    )


HEADER = "Transform: AWS::Serverless-2016-10-31\nResources:\n"


def invoke_config_of(tmp_path: Path, config: str, extra: str = "") -> EventInvokeConfig:
    (tmp_path / "template.yaml").write_text(
        HEADER
        + f"""
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      EventInvokeConfig: {config}
  Sink:
    Type: AWS::Serverless::Function
    Properties: {{CodeUri: .}}
  Queue:
    Type: AWS::SQS::Queue
{extra}"""
    )
    return load_template(tmp_path / "template.yaml").functions["Fn"].event_invoke_config


def test_event_invoke_config_values_and_destinations(tmp_path: Path) -> None:
    config = invoke_config_of(
        tmp_path,
        "{MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: 60, DestinationConfig: "
        "{OnSuccess: {Type: Lambda, Destination: !GetAtt Sink.Arn}, "
        "OnFailure: {Type: SQS, Destination: !GetAtt Queue.Arn}}}",
    )
    assert config == EventInvokeConfig(
        0,
        60,
        on_success=Destination(
            "Lambda", "arn:aws:lambda:us-east-1:123456789012:function:switchboard-Sink"
        ),
        on_failure=Destination("SQS", "arn:aws:sqs:us-east-1:123456789012:switchboard-Queue"),
    )
    assert invoke_config_of(tmp_path, "{MaximumRetryAttempts: 1}") == EventInvokeConfig(1, 21600)


@pytest.mark.parametrize(
    ("config", "refusal"),
    [
        ("{MaximumRetryAttempts: 3}", "MaximumRetryAttempts: 3 is outside 0-2"),
        ("{MaximumRetryAttempts: -1}", "outside 0-2"),
        ("{MaximumEventAgeInSeconds: 59}", "MaximumEventAgeInSeconds: 59 is outside 60-21600"),
        ("{MaximumEventAgeInSeconds: 21601}", "outside 60-21600"),
        ("{MaximumRetryAttempts: two}", "not an integer"),
        ("{DestinationConfig: {OnFailure: {Type: Kafka, Destination: x}}}", "Kafka"),
        ("{DestinationConfig: {OnFailure: {Type: Lambda}}}", "no Destination"),
        ("{DestinationConfig: {OnFailure: {Type: SNS, Destination: !GetAtt Queue.Arn}}}", "SQS"),
        ("{DestinationConfig: {OnFailure: {Type: SQS, Destination: not-an-arn}}}", "not-an-arn"),
    ],
)
def test_event_invoke_configs_lambda_would_refuse_are_refused(
    tmp_path: Path, config: str, refusal: str
) -> None:
    with pytest.raises(TemplateError, match=refusal):
        invoke_config_of(tmp_path, config)


def test_sam_creates_the_queue_of_a_destination_without_one(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        HEADER
        + """
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      EventInvokeConfig:
        DestinationConfig:
          OnFailure: {Type: SQS}
"""
    )
    template = load_template(tmp_path / "template.yaml")
    queue = template.queues["FnEventInvokeConfigOnFailureQueue"]
    on_failure = template.functions["Fn"].event_invoke_config.on_failure
    assert on_failure == Destination("SQS", queue.arn)


def test_the_separate_resource_names_its_function_any_way_lambda_accepts(
    tmp_path: Path,
) -> None:
    for name in (
        "!Ref Fn",
        "!GetAtt Fn.Arn",
        "123456789012:function:switchboard-Fn",
        "switchboard-Fn:$LATEST",
    ):
        config = f"""
  Config:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: {name}
      Qualifier: $LATEST
      MaximumRetryAttempts: 1
      DestinationConfig: {{OnFailure: {{Destination: !GetAtt Queue.Arn}}}}
"""
        (tmp_path / "template.yaml").write_text(
            HEADER + "  Fn:\n    Type: AWS::Serverless::Function\n    Properties: {CodeUri: .}\n"
            "  Queue:\n    Type: AWS::SQS::Queue\n" + config
        )
        function = load_template(tmp_path / "template.yaml").functions["Fn"]
        assert function.event_invoke_config.maximum_retry_attempts == 1, name
        assert function.event_invoke_config.on_failure is not None


def test_a_config_of_another_qualifier_is_not_the_latest_one(tmp_path: Path) -> None:
    extra = """
  ForAlias:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Fn, Qualifier: live, MaximumRetryAttempts: 0}
"""
    config = invoke_config_of(tmp_path, "{MaximumRetryAttempts: 1}", extra)
    assert config.maximum_retry_attempts == 1


def test_two_configs_of_one_function_are_refused(tmp_path: Path) -> None:
    extra = """
  Again:
    Type: AWS::Lambda::EventInvokeConfig
    Properties: {FunctionName: !Ref Fn, Qualifier: $LATEST, MaximumRetryAttempts: 0}
"""
    with pytest.raises(TemplateError, match="already has an EventInvokeConfig"):
        invoke_config_of(tmp_path, "{MaximumRetryAttempts: 1}", extra)
    unknown = extra.replace("!Ref Fn", "elsewhere").replace("Again", "Other")
    with pytest.raises(TemplateError, match="names no function"):
        invoke_config_of(tmp_path, "{}", unknown)


def test_queue_intrinsics() -> None:
    resources = {
        "Plain": {"Type": "AWS::SQS::Queue"},
        "Named": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Ref": "P"}}},
        "Fifo": {"Type": "AWS::SQS::Queue", "Properties": {"FifoQueue": True}},
    }
    r = Resolver(resources=resources, parameters={"P": "given"}, stack_name="s")
    base = "https://sqs.us-east-1.amazonaws.com/123456789012"
    assert r.resolve({"Ref": "Plain"}) == f"{base}/s-Plain"
    assert r.resolve({"Fn::GetAtt": ["Plain", "QueueName"]}) == "s-Plain"
    assert r.resolve({"Fn::GetAtt": "Named.Arn"}) == "arn:aws:sqs:us-east-1:123456789012:given"
    assert r.resolve({"Fn::Sub": "${Named.QueueUrl}"}) == f"{base}/given"
    assert r.resolve({"Fn::GetAtt": ["Fifo", "QueueName"]}) == "s-Fifo.fifo"
    with pytest.raises(TemplateError):
        r.resolve({"Fn::GetAtt": ["Plain", "Nope"]})


def test_queue_attributes_as_create_queue_takes_them(tmp_path: Path) -> None:
    (tmp_path / "template.yaml").write_text(
        HEADER
        + """
  Dlq:
    Type: AWS::SQS::Queue
    Properties: {QueueName: dead, MessageRetentionPeriod: 1209600}
  Work:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: 90
      FifoQueue: false
      Tags: [{Key: a, Value: b}]
      RedrivePolicy: {deadLetterTargetArn: !GetAtt Dlq.Arn, maxReceiveCount: 3}
"""
    )
    queues = load_template(tmp_path / "template.yaml").queues
    assert queues["Dlq"].name == "dead"
    work = queues["Work"]
    assert work.attributes == {
        "VisibilityTimeout": "90",
        "FifoQueue": "false",
        "RedrivePolicy": work.attributes["RedrivePolicy"],
    }
    assert work.redrive_policy == {
        "deadLetterTargetArn": "arn:aws:sqs:us-east-1:123456789012:dead",
        "maxReceiveCount": 3,
    }


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("switchboard-delivery", ("DeliveryFunction", None)),
        ("DeliveryFunction", ("DeliveryFunction", None)),  # the logical id, as SAM allows
        ("switchboard-delivery:$LATEST", ("DeliveryFunction", "$LATEST")),
        ("123456789012:function:switchboard-delivery", ("DeliveryFunction", None)),
        (f"{ARN}", ("DeliveryFunction", None)),
        (f"{ARN}:$LATEST", ("DeliveryFunction", "$LATEST")),
        (f"{ARN}:live", ("DeliveryFunction", "live")),
        ("switchboard-nope", None),
        ("123456789012:function:DeliveryFunction", None),  # a partial ARN names the name
        (ARN.replace("us-east-1", "eu-west-1"), None),
        (ARN.replace("123456789012", "210987654321"), None),
        ("arn:aws:sqs:us-east-1:123456789012:switchboard-delivery", None),
        ("a:b:c:d:e", None),
        ("switchboard-delivery:", None),
    ],
)
def test_function_references(
    tmp_path: Path, reference: str, expected: tuple[str, str | None] | None
) -> None:
    template_path = tmp_path / "template.yaml"
    template_path.write_text(HEADER + SEPARATE_CONFIG_YAML)
    found = load_template(template_path).find_function(reference)
    assert (None if found is None else (found[0].logical_id, found[1])) == expected
