"""A second emulator on a modified copy of the template: a new route needs no code change."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from infra.emulator import Emulator
from tests.infra.support import FIXTURES, Recorder, new_tag

URI = (
    "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
    "${PingFunction.Arn}/invocations"
)
PING = """
  PingFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ping/
      Handler: main.on_ping

  PingIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref WebSocketApi
      IntegrationType: AWS_PROXY
      IntegrationUri: !Sub "{URI}"

  PingRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      ApiId: !Ref WebSocketApi
      RouteKey: ping
      Target: !Sub "integrations/${PingIntegration}"

  PingRouteResponse:
    Type: AWS::ApiGatewayV2::RouteResponse
    Properties:
      ApiId: !Ref WebSocketApi
      RouteId: !Ref PingRoute
      RouteResponseKey: $default
"""

PING_CODE = """
import json


def on_ping(event, context):
    return {"statusCode": 200, "body": json.dumps({"pong": json.loads(event["body"])["n"]})}
"""


def _without_default(text: str) -> str:
    """Drop the DefaultRoute and its route response from the fixture template."""
    out, skipping = [], False
    for line in text.splitlines(keepends=True):
        if line.startswith("  ") and not line.startswith("   "):
            skipping = line.strip() in ("DefaultRoute:", "DefaultRouteResponse:")
        if not skipping:
            out.append(line)
    return "".join(out)


@pytest.fixture(scope="module")
def copied(emulator: Emulator, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    root = tmp_path_factory.mktemp("stack") / "stack"
    shutil.copytree(FIXTURES, root)
    (root / "ping").mkdir()
    (root / "ping" / "main.py").write_text(PING_CODE)
    template = _without_default((root / "template.yaml").read_text())
    head, tail = template.split("\nResources:\n", 1)
    ping = PING.replace("{URI}", URI)
    (root / "template.yaml").write_text(f"{head}\nResources:\n{ping}{tail}")
    with Emulator(
        Path(root / "template.yaml"),
        stage="dev",
        idle_timeout=1.5,
        dynamodb_endpoint=emulator.dynamodb_endpoint,
        aws_endpoint=emulator.aws_endpoint,
        redis_url=emulator.redis_url,
    ) as emu:
        yield emu


def test_added_route_reaches_new_handler(copied: Emulator) -> None:
    with connect(f"{copied.websocket_url}?token=good", open_timeout=15) as ws:
        ws.send(json.dumps({"action": "ping", "n": 7}))
        assert json.loads(ws.recv(timeout=10)) == {"pong": 7}


def test_no_default_route_is_forbidden(copied: Emulator) -> None:
    with connect(f"{copied.websocket_url}?token=good", open_timeout=15) as ws:
        ws.send(json.dumps({"action": "unknown"}))
        reply = json.loads(ws.recv(timeout=10))
    assert reply["message"] == "Forbidden"
    assert reply["connectionId"] and reply["requestId"]


def test_idle_timeout_closes_with_going_away(copied: Emulator, recorder: Recorder) -> None:
    tag = new_tag()
    with connect(f"{copied.websocket_url}?token=good&tag={tag}", open_timeout=15) as ws:
        conn_id = recorder.connect_event(tag)["requestContext"]["connectionId"]
        with pytest.raises(ConnectionClosed) as info:
            ws.recv(timeout=10)
    assert info.value.rcvd is not None and info.value.rcvd.code == 1001
    event = recorder.for_connection("$disconnect", conn_id)
    assert event["requestContext"]["disconnectStatusCode"] == 1001
    assert event["requestContext"]["stage"] == "dev"
