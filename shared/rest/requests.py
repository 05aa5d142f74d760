"""Reading a REST request: who calls (bearer-token auth) and its JSON body.

Auth: every route of the HTTP API is behind the token authorizer
(functions/authorizer, the HttpApi's DefaultAuthorizer). API Gateway answers a
request without a token (401) or with a refused one (403) itself, and hands the
function the authorizer's verdict as ``requestContext.authorizer.lambda.userId``;
that is the only way a caller is identified here. So a request costs no signature
check, and the function needs neither PyJWT nor the JWT secret. The local
emulator runs the authorizer the same way.

An event without that context is a deployment bug (a route exempted from the
authorizer, or a direct invocation), not the caller's fault: it is answered 500
(``internal_error``) and logged as an error, never served anonymously, and never
401 (which would send a client to fetch a new token that cannot help).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.requests import Request

from shared import errors
from shared.observability import log

MAX_REQUEST_BYTES = 64 * 1024
logger = logging.getLogger(__name__)


def _authorized_user(request: Request) -> str | None:
    """The userId the HTTP API's Lambda authorizer vouched for, if it ran."""
    event = request.scope.get("aws.event") or {}
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    user_id = (authorizer.get("lambda") or {}).get("userId")
    return user_id if isinstance(user_id, str) and user_id else None


def caller_id(request: Request) -> str:
    """The user the authorizer vouched for; 500 if no authorizer ran (see the docstring)."""
    user_id = _authorized_user(request)
    if user_id is None:
        logger.error("no authorizer context: is this route behind the HTTP API's authorizer?")
        raise errors.Internal("internal error")
    log.bind(userId=user_id)  # the invocation line and any later record carry it
    return user_id


async def json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object, or 400/413."""
    raw = await request.body()
    if len(raw) > MAX_REQUEST_BYTES:
        raise errors.TooLarge("request body too large")
    try:
        body = json.loads(raw or b"{}")
    except (ValueError, RecursionError) as error:
        raise errors.Invalid("body is not valid JSON") from error
    if not isinstance(body, dict):
        raise errors.Invalid("body must be a JSON object")
    return body
