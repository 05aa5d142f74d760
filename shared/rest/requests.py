"""Reading a REST request: who calls (bearer-token auth) and its JSON body.

Auth: behind the HTTP API, the token authorizer (functions/authorizer) has
already verified the bearer token and API Gateway hands its verdict to the
function as ``requestContext.authorizer.lambda.userId``; that is trusted, so a
request costs no signature check and the function never imports PyJWT and
cryptography (about 40 ms of cold start). An event without that context (a
route without the authorizer, or the local emulator, which does not run HTTP API
authorizers) has its token verified here.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from shared import errors
from shared.observability import log

MAX_REQUEST_BYTES = 64 * 1024


def _authorized_user(request: Request) -> str | None:
    """The userId the HTTP API's Lambda authorizer vouched for, if it ran."""
    event = request.scope.get("aws.event") or {}
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    user_id = (authorizer.get("lambda") or {}).get("userId")
    return user_id if isinstance(user_id, str) and user_id else None


def caller_id(request: Request) -> str:
    """The user the authorizer vouched for, else the user of the bearer token, or 401."""
    user_id = _authorized_user(request)
    if user_id is None:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise errors.Unauthorized("missing bearer token")
        from shared.auth import AuthError, verify_token  # only here: see the docstring

        try:
            user_id = verify_token(token.strip())
        except AuthError as error:
            raise errors.Unauthorized("invalid token") from error
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
