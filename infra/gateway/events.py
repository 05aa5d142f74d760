"""The events API Gateway hands to functions, in AWS's exact shapes.

WebSocket events ($connect / message / $disconnect), the WebSocket REQUEST authorizer event,
HTTP API payload format 2.0 events (and the HTTP API's Lambda authorizer event); plus API
Gateway style ids and timestamps.
"""

from __future__ import annotations

import base64
import secrets
import string
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

_ALPHABET = string.ascii_letters + string.digits


def gateway_id() -> str:
    """A connection / request id like `L0SM9cOFvHcCIhw=`."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(15)) + "="


def now_ms() -> int:
    return int(time.time() * 1000)


def request_time(epoch_ms: int) -> str:
    """`26/Nov/2026:10:00:00 +0000`, as in requestContext.requestTime."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def iso8601(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def multi_value(pairs: list[tuple[str, str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in pairs:
        out.setdefault(key, []).append(value)
    return out


def single_value(pairs: list[tuple[str, str]], sep: str | None = None) -> dict[str, str]:
    """Last value wins (REST/WebSocket flavour) or values joined by `sep` (HTTP API 2.0)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        out[key] = f"{out[key]}{sep}{value}" if sep is not None and key in out else value
    return out


@dataclass
class WebSocketConnectionInfo:
    """What API Gateway knows about one connection; the source of every event's context."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    connected_at: int = field(default_factory=now_ms)
    authorizer: dict[str, Any] | None = None


def websocket_request_context(
    info: WebSocketConnectionInfo, route_key: str, event_type: str, **extra: Any
) -> dict[str, Any]:
    epoch = now_ms()
    context: dict[str, Any] = {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": gateway_id(),
        "requestTime": request_time(epoch),
        "messageDirection": "IN",
        "stage": info.stage,
        "connectedAt": info.connected_at,
        "requestTimeEpoch": epoch,
        "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
        "requestId": gateway_id(),
        "domainName": info.domain_name,
        "connectionId": info.connection_id,
        "apiId": info.api_id,
    }
    context.update(extra)
    if info.authorizer is not None:
        context["authorizer"] = dict(info.authorizer)
    return context


def _headers_and_query(info: WebSocketConnectionInfo) -> dict[str, Any]:
    event: dict[str, Any] = {
        "headers": single_value(info.headers),
        "multiValueHeaders": multi_value(info.headers),
    }
    if info.query:
        event["queryStringParameters"] = single_value(info.query)
        event["multiValueQueryStringParameters"] = multi_value(info.query)
    return event


def connect_event(info: WebSocketConnectionInfo) -> dict[str, Any]:
    return {
        **_headers_and_query(info),
        "requestContext": websocket_request_context(info, "$connect", "CONNECT"),
        "isBase64Encoded": False,
    }


def message_event(info: WebSocketConnectionInfo, route_key: str, body: str) -> dict[str, Any]:
    return {
        "requestContext": websocket_request_context(
            info, route_key, "MESSAGE", messageId=gateway_id()
        ),
        "body": body,
        "isBase64Encoded": False,
    }


def disconnect_event(
    info: WebSocketConnectionInfo, status_code: int, reason: str
) -> dict[str, Any]:
    return {
        "headers": {
            "Host": info.domain_name,
            "x-api-key": "",
            "X-Forwarded-For": "",
            "x-restapi": "",
        },
        "multiValueHeaders": {
            "Host": [info.domain_name],
            "x-api-key": [""],
            "X-Forwarded-For": [""],
            "x-restapi": [""],
        },
        "requestContext": websocket_request_context(
            info,
            "$disconnect",
            "DISCONNECT",
            disconnectStatusCode=status_code,
            disconnectReason=reason,
        ),
        "isBase64Encoded": False,
    }


def authorizer_event(info: WebSocketConnectionInfo, region: str, account_id: str) -> dict[str, Any]:
    """A REQUEST authorizer event for $connect (WebSocket flavour)."""
    method_arn = f"arn:aws:execute-api:{region}:{account_id}:{info.api_id}/{info.stage}/$connect"
    event: dict[str, Any] = {
        "type": "REQUEST",
        "methodArn": method_arn,
        **_headers_and_query(info),
        "stageVariables": {},
        "requestContext": websocket_request_context(info, "$connect", "CONNECT"),
    }
    event.setdefault("queryStringParameters", {})
    event.setdefault("multiValueQueryStringParameters", {})
    event["requestContext"].pop("authorizer", None)
    return event


def http_api_event(
    *,
    method: str,
    path: str,
    raw_query: str,
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    body: bytes,
    route_key: str,
    path_parameters: dict[str, str] | None,
    api_id: str,
    domain_name: str,
    source_ip: str,
    account_id: str = "123456789012",
) -> dict[str, Any]:
    """An HTTP API payload format 2.0 event."""
    lower = [(k.lower(), v) for k, v in headers]
    cookies = [c.strip() for k, v in lower if k == "cookie" for c in v.split(";") if c.strip()]
    plain_headers = single_value([(k, v) for k, v in lower if k != "cookie"], sep=",")
    epoch = now_ms()
    content_type = plain_headers.get("content-type", "")
    textual = content_type.startswith("text/") or any(
        t in content_type for t in ("json", "xml", "javascript", "x-www-form-urlencoded")
    )
    try:
        text_body = body.decode() if (textual or not content_type) else None
    except UnicodeDecodeError:
        text_body = None
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": plain_headers,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": domain_name,
            "domainPrefix": domain_name.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": plain_headers.get("user-agent", ""),
            },
            "requestId": gateway_id(),
            "routeKey": route_key,
            "stage": "$default",
            "time": datetime.fromtimestamp(epoch / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": epoch,
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = single_value(query, sep=",")
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        if text_body is None:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
        else:
            event["body"] = text_body
    return event


def http_route_arn(region: str, account_id: str, api_id: str, method: str, path: str) -> str:
    """`arn:aws:execute-api:{region}:{account}:{api}/$default/GET/chats`, as in `routeArn`."""
    return f"arn:aws:execute-api:{region}:{account_id}:{api_id}/$default/{method}{path}"


def http_authorizer_event(
    request: dict[str, Any], route_arn: str, identity: list[str]
) -> dict[str, Any]:
    """The payload format 2.0 REQUEST event an HTTP API hands its Lambda authorizer: the
    request's own event without the body, plus `type`, `routeArn` and `identitySource`."""
    event: dict[str, Any] = {
        "version": "2.0",
        "type": "REQUEST",
        "routeArn": route_arn,
        "identitySource": list(identity),
    }
    for key, value in request.items():
        if key not in ("version", "body", "isBase64Encoded"):
            event[key] = value
    event["requestContext"] = dict(request["requestContext"])
    event["requestContext"].pop("authorizer", None)
    return event
