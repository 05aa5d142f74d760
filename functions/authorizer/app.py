"""REQUEST authorizer for $connect: verifies the `token` query parameter.

Allows with context {userId} (API Gateway attaches it to every later event of
the connection as requestContext.authorizer); denies anything else (403). A
missing token never reaches this function: the route's identity source makes
API Gateway answer 401 itself.
"""

from __future__ import annotations

import time
from typing import Any

from shared import log
from shared.auth import AuthError, verify_token

logger = log.setup()


def _policy(principal: str, effect: str, resource: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}],
        },
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    started = time.perf_counter()
    resource = event.get("methodArn") or "*"
    token = (event.get("queryStringParameters") or {}).get("token")
    request_id = (event.get("requestContext") or {}).get("requestId")
    try:
        user_id = verify_token(token)
    except AuthError as error:
        log.invocation(
            started, route="$authorizer", requestId=request_id, outcome="deny", reason=str(error)
        )
        return _policy("anonymous", "Deny", resource)
    except Exception:  # a JWKS outage must deny, never crash the handshake
        logger.exception("authorizer failed")
        log.invocation(started, route="$authorizer", requestId=request_id, outcome="error")
        return _policy("anonymous", "Deny", resource)
    log.invocation(
        started, route="$authorizer", requestId=request_id, userId=user_id, outcome="allow"
    )
    return {**_policy(user_id, "Allow", resource), "context": {"userId": user_id}}
