"""The token authorizer, for both APIs.

- WebSocket `$connect` (REQUEST authorizer, IAM policy response): verifies the
  `token` query parameter. Allows with context {userId} (API Gateway attaches
  it to every later event of the connection as requestContext.authorizer);
  denies anything else (403). A missing token never reaches this function: the
  route's identity source makes API Gateway answer 401 itself.
- HTTP API (payload format 2.0, simple responses): verifies the
  `Authorization: Bearer` header and answers {isAuthorized, context}.

The token is never logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.auth import AuthError, verify_token
from shared.invocation import GatewayEvent, lambda_handler
from shared.observability import log

logger = log.setup()


def _policy(principal: str, effect: str, resource: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }


def _is_http_api(event: Mapping[str, Any]) -> bool:
    return event.get("version") == "2.0" and "routeArn" in event


def _token(event: Mapping[str, Any]) -> str | None:
    if _is_http_api(event):
        headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
        scheme, _, token = str(headers.get("authorization", "")).partition(" ")
        return token.strip() if scheme.lower() == "bearer" else None
    return (event.get("queryStringParameters") or {}).get("token")


def _answer(event: Mapping[str, Any], user_id: str | None) -> dict[str, Any]:
    if _is_http_api(event):
        if user_id is None:
            return {"isAuthorized": False}
        return {"isAuthorized": True, "context": {"userId": user_id}}
    resource = event.get("methodArn") or "*"
    if user_id is None:
        return _policy("anonymous", "Deny", resource)
    return {**_policy(user_id, "Allow", resource), "context": {"userId": user_id}}


def _route(event: GatewayEvent) -> str:
    return "$authorizer:http" if _is_http_api(event.raw) else "$authorizer"


def _fields(event: GatewayEvent) -> dict[str, Any]:
    return {"connectionId": event.connection_id, "requestId": event.request_id}


def _failed(event: GatewayEvent) -> tuple[dict[str, Any], dict[str, Any]]:
    # A JWKS or Secrets Manager outage must deny, never crash.
    return _answer(event.raw, None), {"outcome": "error"}


@lambda_handler(route=_route, fields=_fields, failure=_failed)
def handler(event: GatewayEvent, report: dict[str, Any]) -> dict[str, Any]:
    try:
        user_id = verify_token(_token(event.raw))
    except AuthError as error:
        report.update(outcome="deny", reason=str(error))
        return _answer(event.raw, None)
    report.update(userId=user_id, outcome="allow")
    return _answer(event.raw, user_id)
