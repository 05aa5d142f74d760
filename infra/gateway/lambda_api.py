"""Lambda's Invoke API: `POST /2015-03-31/functions/{FunctionName}/invocations`, as
`sam local start-lambda` serves it, so that botocore's `lambda` client (a function's, through
`AWS_ENDPOINT_URL_LAMBDA`, or a test's) invokes the template's functions.

`FunctionName` is a function's name, ARN or partial ARN (or, as SAM allows, its logical
id), optionally qualified by `$LATEST` (in the name or as `?Qualifier=`); the invocation
type (`X-Amz-Invocation-Type`) is `RequestResponse` (200 and the function's answer; a
function error is 200 too, with `X-Amz-Function-Error: Unhandled` and the error as the
payload), `Event` (202: queued for `runtime.async_invocations`) or `DryRun` (204). Lambda's
own refusals use its rest-json error shape (`x-amzn-ErrorType`, `{"Type", "message"}`), so
that botocore raises its modelled exceptions: an unknown function or qualifier is 404
`ResourceNotFoundException`, a payload over 6 MB (`RequestResponse`) or 256 KB (`Event`)
413 `RequestEntityTooLargeException`, a payload that is not JSON 400
`InvalidRequestContentException`.

Before anything else the request's SigV4 signature (service `lambda`) is verified
(sigv4.py) and the caller authorized `lambda:InvokeFunction` on the function's ARN as
invoked (qualified when a qualifier is given; built from the name when no such function
exists, so an unauthorized caller learns nothing of which functions exist). Refusals are
403, as Lambda answers them: no Authorization header `MissingAuthenticationTokenException`
("Missing Authentication Token"), a malformed one `IncompleteSignatureException`, a wrong
scope, stale date or wrong signature `InvalidSignatureException` ("Signature expired: ...",
"The request signature we calculated does not match ..."), an unknown access key or session
token `UnrecognizedClientException` ("The security token included in the request is
invalid."), and a caller not allowed `AccessDeniedException` ("User: {arn} is not authorized
to perform: lambda:InvokeFunction on resource: {arn} because no identity-based policy allows
the lambda:InvokeFunction action"). The functions call this API with the stack owner's
credentials (infra/gateway/iam.py), which are allowed everything.
"""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from infra.gateway import sigv4
from infra.gateway.iam import LocalIam
from infra.runtime.async_invocations import AsyncInvocations
from infra.runtime.pools import LambdaRuntime
from infra.template.reader import LATEST, Template

log = logging.getLogger("switchboard.gateway")

PATH = "/2015-03-31/functions/{function_name}/invocations"
SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024  # 6,291,456 bytes: RequestResponse
# Event: Lambda's long-standing 256 KB. (Since late 2025 AWS documents 1 MB; the emulator
# keeps the stricter limit, so that what passes here passes on any Lambda.)
ASYNC_PAYLOAD_LIMIT = 256 * 1024
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
ERROR_TYPES = {
    sigv4.MISSING: "MissingAuthenticationTokenException",
    sigv4.INCOMPLETE: "IncompleteSignatureException",
    sigv4.SIGNATURE: "InvalidSignatureException",
    sigv4.TOKEN: "UnrecognizedClientException",
}
ACTION = "lambda:InvokeFunction"


def error(
    status: int, error_type: str, message: str, *, capital: bool = False, typed: bool = True
) -> Response:
    """A Lambda service error (not a function error): botocore reads `x-amzn-ErrorType`.
    Lambda spells the message member `Message` for some errors, `message` for others; the
    refusals of its front door (authentication) have no `Type`."""
    body = {"Type": "User"} if typed else {}
    body["Message" if capital else "message"] = message
    request_id = str(uuid.uuid4())
    return Response(
        json.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error_type, "x-amzn-RequestId": request_id},
    )


def not_found(arn: str) -> Response:
    return error(404, "ResourceNotFoundException", f"Function not found: {arn}", capital=True)


class LambdaApi:
    def __init__(
        self,
        template: Template,
        runtime: LambdaRuntime,
        async_invocations: AsyncInvocations | None = None,
        verifier: sigv4.SigV4Verifier | None = None,
    ) -> None:
        self.template = template
        self.runtime = runtime
        self.async_invocations = async_invocations
        self.verifier = verifier or sigv4.SigV4Verifier(
            LocalIam(template.account_id), template.region
        )

    def _refusal(self, request: Request, body: bytes, resource: str) -> Response | None:
        """None when the request is signed by a caller allowed to invoke `resource`."""
        received = sigv4.received_from_scope(request.scope, list(request.headers.items()), body)
        result = self.verifier.verify(received, "lambda")
        if isinstance(result, sigv4.Refusal):
            return error(403, ERROR_TYPES[result.kind], result.message, typed=False)
        decision = self.verifier.iam.authorize(result.principal, ACTION, resource)
        if decision.allowed:
            return None
        why = (
            "with an explicit deny in an identity-based policy"
            if decision.explicit_deny
            else f"because no identity-based policy allows the {ACTION} action"
        )
        return error(
            403,
            "AccessDeniedException",
            f"User: {result.principal.arn} is not authorized to perform: {ACTION} on "
            f"resource: {resource} {why}",
            capital=True,
        )

    def _unknown_arn(self, reference: str) -> str:
        if reference.startswith("arn:"):
            return reference
        name = reference.split(":function:", 1)[-1]
        return f"arn:aws:lambda:{self.template.region}:{self.template.account_id}:function:{name}"

    async def invoke(self, request: Request) -> Response:
        reference = request.path_params["function_name"]
        body = await request.body()
        found = self.template.find_function(reference)
        query_qualifier = request.query_params.get("Qualifier")
        if found is None:
            resource = self._unknown_arn(reference)
        else:
            qualified = found[1] or query_qualifier
            resource = found[0].arn + (f":{qualified}" if qualified else "")
        refused = self._refusal(request, body, resource)
        if refused is not None:
            return refused
        if found is None:
            return not_found(self._unknown_arn(reference))
        function, qualifier = found
        if query_qualifier is not None and qualifier is not None and query_qualifier != qualifier:
            return error(
                400,
                "InvalidParameterValueException",
                "The derived qualifier from the function name does not match the specified "
                "qualifier.",
                capital=True,
            )
        qualifier = qualifier or query_qualifier
        if qualifier not in (None, LATEST):
            return not_found(f"{function.arn}:{qualifier}")
        invocation_type = request.headers.get("x-amz-invocation-type") or "RequestResponse"
        if invocation_type not in INVOCATION_TYPES:
            return error(
                400,
                "InvalidParameterValueException",
                f"Unsupported invocation type {invocation_type!r}: one of {INVOCATION_TYPES}",
                capital=True,
            )
        limit = ASYNC_PAYLOAD_LIMIT if invocation_type == "Event" else SYNC_PAYLOAD_LIMIT
        if len(body) > limit:
            return error(
                413,
                "RequestEntityTooLargeException",
                f"{len(body)} byte payload is too large for the {invocation_type} invocation "
                f"type (limit {limit} bytes)",
            )
        try:
            payload: Any = json.loads(body) if body.strip() else {}
        except ValueError as exc:
            return error(
                400,
                "InvalidRequestContentException",
                f"Could not parse request body into json: Could not parse payload into json: {exc}",
            )
        if invocation_type == "DryRun":
            return Response(status_code=204, headers={"x-amzn-RequestId": str(uuid.uuid4())})
        if invocation_type == "Event":
            if self.async_invocations is None:
                return error(500, "ServiceException", "asynchronous invocation is not running")
            request_id = self.async_invocations.submit(function.logical_id, payload)
            return Response(status_code=202, headers={"x-amzn-RequestId": request_id})
        result = await self.runtime.invoke_async(function.logical_id, payload)
        headers = {"x-amzn-RequestId": result.request_id, "X-Amz-Executed-Version": LATEST}
        if not result.ok:
            headers["X-Amz-Function-Error"] = "Unhandled"
        answer = result.payload if result.ok else result.error
        return Response(
            json.dumps(answer), status_code=200, media_type="application/json", headers=headers
        )


def lambda_routes(
    template: Template,
    runtime: LambdaRuntime,
    async_invocations: AsyncInvocations | None,
    verifier: sigv4.SigV4Verifier | None = None,
) -> list[Route]:
    api = LambdaApi(template, runtime, async_invocations, verifier)
    return [Route(PATH, api.invoke, methods=["POST"])]
