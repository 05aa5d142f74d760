"""The HTTP API: requests under `/api/...` become payload 2.0 events for `HttpApi` functions.

Owns route matching (most specific first), the route's Lambda authorizer run before its
function as API Gateway runs it (identity sources present or 401, the authorizer's answer
cached per identity for `ReauthorizeEvery`, refused 403, failed 500, allowed: its context
in `requestContext.authorizer.lambda`), AWS_IAM routes (below), and turning the function's
answer into a response. API Gateway's own errors are `{"message": ...}` bodies.

An AWS_IAM route takes a SigV4-signed request (sigv4.py, service `execute-api`, signed for
the URL the client sent, `/api` prefix included) from a principal allowed `execute-api:Invoke`
on `arn:aws:execute-api:{region}:{account}:{apiId}/$default/{METHOD}/{path}`; the function
then sees `requestContext.authorizer.iam` (accessKey, accountId, callerId, cognitoIdentity
null, principalOrgId null, userArn, userId). A bearer token never opens it. Refusals are 403,
with `x-amzn-ErrorType`:
  no Authorization header     MissingAuthenticationTokenException {"message": "Missing
                              Authentication Token"}
  malformed (e.g. `Bearer x`) IncompleteSignatureException {"message": "'x' not a valid
                              key=value pair (missing equal-sign) in Authorization header:
                              'Bearer x'."}
  wrong scope, stale date     InvalidSignatureException {"message": "Signature expired: {date}
  or signature                is now earlier than {now-5min} ({now} - 5 min.)"}, {"message":
                              "The request signature we calculated does not match the
                              signature you provided. ..." + the canonical request and string
                              to sign AWS would have used}
  unknown key or token        AccessDeniedException {"message": "The security token included
                              in the request is invalid."}
  not allowed                 AccessDeniedException {"Message": "User: {arn} is not authorized
                              to perform: execute-api:Invoke on resource: {route arn, account
                              masked to ********1234} because no identity-based policy allows
                              the execute-api:Invoke action"} (explicit Deny: "with an explicit
                              deny in an identity-based policy")
Sources: AWS's knowledge-center articles "How do I troubleshoot HTTP 403 errors from API
Gateway?" (the table of messages and error types) and "... signature mismatch errors when
making SigV4 signed requests with IAM authentication to API Gateway" (the denial's wording,
"because no identity-based policy allows ..."); the bearer-token message and the capitalised,
account-masked `Message` of a denial as users report them. Unsure: those articles are written
for REST APIs, and HTTP APIs may word or type some refusals differently (an unknown key may
come as UnrecognizedClientException; a denial's body key may be `message`).
"""

from __future__ import annotations

import base64
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from infra.gateway import events, sigv4
from infra.gateway.authorizers import MISSING, ResultCache, decide_http, identity_values
from infra.gateway.iam import LocalIam
from infra.runtime.pools import InvokeResult, LambdaRuntime
from infra.template.reader import HttpRoute

log = logging.getLogger("switchboard.gateway")

PREFIX = "/api"


def _path_regex(template: str) -> re.Pattern[str]:
    pattern = ""
    for piece in re.split(r"(\{[^}]+\})", template):
        if piece.startswith("{") and piece.endswith("}"):
            name = piece[1:-1]
            greedy = name.endswith("+")
            name = name.rstrip("+")
            pattern += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
        else:
            pattern += re.escape(piece)
    # Whole path, any character (API Gateway routes a decoded %0A like any other):
    # fullmatch, since `$` would let a final newline by, and DOTALL for `.+`.
    return re.compile(pattern, re.DOTALL)


def match_route(
    routes: list[HttpRoute], method: str, path: str
) -> tuple[HttpRoute, dict[str, str]] | None:
    """Most specific first: literal paths, then parameters, then greedy, then $default."""

    def rank(route: HttpRoute) -> tuple[bool, bool, int, bool]:
        return (
            route.path == "$default",
            "+}" in route.path,
            route.path.count("{"),
            route.method == "ANY",
        )

    for route in sorted(routes, key=rank):
        if route.method not in ("ANY", method):
            continue
        if route.path == "$default":
            return route, {}
        match = _path_regex(route.path).fullmatch(path)
        if match:
            return route, match.groupdict()
    return None


def _response(payload: Any) -> Response:
    if not isinstance(payload, dict) or "statusCode" not in payload:
        body = payload if isinstance(payload, str) else json.dumps(payload)
        return Response(body, status_code=200, media_type="application/json")
    raw_body = payload.get("body") or ""
    content = (
        base64.b64decode(raw_body) if payload.get("isBase64Encoded") else str(raw_body).encode()
    )
    response = Response(content, status_code=int(payload["statusCode"]))
    for key, value in (payload.get("headers") or {}).items():
        response.headers[str(key)] = str(value)
    for key, values in (payload.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.append(str(key), str(value))
    for cookie in payload.get("cookies") or []:
        response.headers.append("set-cookie", str(cookie))
    return response


def gateway_error(status: int) -> Response:
    """An answer of API Gateway itself (the function never ran): `{"message": ...}`."""
    message = {
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
    }.get(status, "Internal Server Error")
    return Response(
        json.dumps({"message": message}), status_code=status, media_type="application/json"
    )


IAM_ERROR_TYPES = {
    sigv4.MISSING: "MissingAuthenticationTokenException",
    sigv4.INCOMPLETE: "IncompleteSignatureException",
    sigv4.SIGNATURE: "InvalidSignatureException",
    sigv4.TOKEN: "AccessDeniedException",
}


def iam_refusal(error_type: str, body: dict[str, str]) -> Response:
    return Response(
        json.dumps(body),
        status_code=403,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def _masked(arn: str, account_id: str) -> str:
    """API Gateway shows only the last four digits of the account in a denied resource."""
    return arn.replace(f":{account_id}:", f":{'*' * 8}{account_id[-4:]}:", 1)


class HttpApiProxy:
    def __init__(
        self,
        routes: list[HttpRoute],
        runtime: LambdaRuntime,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        verifier: sigv4.SigV4Verifier | None = None,
    ) -> None:
        self.routes = routes
        self.runtime = runtime
        self.region = region
        self.account_id = account_id
        self.cache = ResultCache()
        self.verifier = verifier or sigv4.SigV4Verifier(LocalIam(account_id), region)

    def _authorize_iam(
        self, route: HttpRoute, request: Request, body: bytes, event: dict[str, Any]
    ) -> Response | None:
        """Verify the signature and authorize `execute-api:Invoke` on the route's ARN: None
        when allowed (the event then carries the caller), else API Gateway's refusal."""
        received = sigv4.received_from_scope(request.scope, list(request.headers.items()), body)
        result = self.verifier.verify(received, "execute-api")
        if isinstance(result, sigv4.Refusal):
            return iam_refusal(IAM_ERROR_TYPES[result.kind], {"message": result.message})
        principal = result.principal
        route_arn = events.http_route_arn(
            self.region, self.account_id, route.api_id, request.method, event["rawPath"]
        )
        decision = self.verifier.iam.authorize(principal, "execute-api:Invoke", route_arn)
        if not decision.allowed:
            why = (
                "with an explicit deny in an identity-based policy"
                if decision.explicit_deny
                else "because no identity-based policy allows the execute-api:Invoke action"
            )
            message = (
                f"User: {principal.arn} is not authorized to perform: execute-api:Invoke on "
                f"resource: {_masked(route_arn, self.account_id)} {why}"
            )
            return iam_refusal("AccessDeniedException", {"Message": message})
        event["requestContext"]["authorizer"] = {
            "iam": {
                "accessKey": result.access_key_id,
                "accountId": principal.account_id,
                "callerId": principal.user_id,
                "cognitoIdentity": None,
                "principalOrgId": None,
                "userArn": principal.arn,
                "userId": principal.user_id,
            }
        }
        return None

    async def _invoke(self, function_id: str, event: dict[str, Any]) -> InvokeResult | None:
        try:
            return await self.runtime.invoke_async(function_id, event)
        except Exception:
            log.exception("invocation of %s failed", function_id)
            return None

    async def _authorize(
        self, route: HttpRoute, request: Request, event: dict[str, Any]
    ) -> Response | None:
        """Run the route's authorizer: None when allowed (the event then carries its
        context), else API Gateway's refusal."""
        authorizer = route.authorizer
        if authorizer is None:
            return None
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        identity = identity_values(
            authorizer.identity_sources,
            list(request.headers.items()),
            parse_qsl(raw_query, keep_blank_values=True),
            event["requestContext"],
        )
        if identity is None:
            return gateway_error(401)
        route_arn = events.http_route_arn(
            self.region, self.account_id, route.api_id, request.method, event["rawPath"]
        )
        key = (route.api_id, authorizer.name, tuple(identity))
        payload = self.cache.get(key) if authorizer.ttl > 0 else MISSING
        if payload is MISSING:
            result = await self._invoke(
                authorizer.function_id, events.http_authorizer_event(event, route_arn, identity)
            )
            if result is None:
                return gateway_error(500)
            decision = decide_http(
                result.payload, result.error, route_arn, authorizer.simple_responses
            )
            if result.error is None and decision.status in (None, 403):  # a proper answer
                self.cache.put(key, result.payload, authorizer.ttl)
        else:
            decision = decide_http(payload, None, route_arn, authorizer.simple_responses)
        if decision.status is not None:
            return gateway_error(decision.status)
        event["requestContext"]["authorizer"] = {"lambda": decision.context or {}}
        return None

    async def handle(self, request: Request) -> Response:
        # scope["path"], not request.url.path: building a URL drops tabs and newlines
        # (urlsplit), and the function must see the path it was sent to refuse it.
        path = request.scope["path"][len(PREFIX) :] or "/"
        matched = match_route(self.routes, request.method, path)
        if matched is None:
            return gateway_error(404)
        route, path_parameters = matched
        raw_query = request.scope.get("query_string", b"").decode("latin-1")
        client = request.client
        body = await request.body()
        event = events.http_api_event(
            method=request.method,
            path=path,
            raw_query=raw_query,
            headers=list(request.headers.items()),
            query=parse_qsl(raw_query, keep_blank_values=True),
            body=body,
            route_key=route.route_key,
            path_parameters=path_parameters,
            api_id=route.api_id,
            domain_name=request.headers.get("host", "127.0.0.1"),
            source_ip=client.host if client else "127.0.0.1",
            account_id=self.account_id,
        )
        if route.authorization == "AWS_IAM":
            refused = self._authorize_iam(route, request, body, event)
        else:
            refused = await self._authorize(route, request, event)
        if refused is not None:
            return refused
        result = await self._invoke(route.function_id, event)
        if result is None or result.error is not None:
            return gateway_error(500)
        try:
            return _response(result.payload)
        except (TypeError, ValueError):
            return gateway_error(500)
