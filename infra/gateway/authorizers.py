"""Lambda authorizers, decided as API Gateway decides them, for both APIs.

Owns the identity-source check that runs before any authorizer (a missing, null or empty
source: 401 without invoking it), turning an authorizer's answer into a decision (the
WebSocket `$connect` REQUEST authorizer's IAM policy; the HTTP API's payload format 2.0
simple response or IAM policy), and the HTTP API's result cache (`ReauthorizeEvery`, keyed
by the identity-source values). The APIs invoke the functions; nothing here runs one.
"""

from __future__ import annotations

import fnmatch
import time
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from infra.gateway.events import WebSocketConnectionInfo

_HEADER = ("route.request.header.", "$request.header.")
_QUERY = ("route.request.querystring.", "$request.querystring.")
_CONTEXT = ("context.", "$context.")


@dataclass
class Decision:
    """Either `status` (the request is refused with it) or the authorizer context."""

    status: int | None = None
    context: dict[str, Any] | None = None


def identity_values(
    sources: list[str],
    headers: list[tuple[str, str]],
    query: list[tuple[str, str]],
    context: dict[str, Any] | None = None,
) -> list[str] | None:
    """The value of each identity source, or None when one is missing, null or empty.

    Sources name a header, a query-string parameter or a request-context field, in either
    API's spelling (`route.request.header.X` for WebSocket, `$request.header.X` for HTTP).
    Repeated headers or parameters are joined with commas. Stage variables (and anything
    else) are never present here: the emulator's stages have none.
    """
    values: list[str] = []
    for source in (s.strip() for s in sources):
        value: Any = None
        for prefix in _HEADER:
            if source.startswith(prefix):
                name = source[len(prefix) :].lower()
                found = [v for k, v in headers if k.lower() == name]
                value = ",".join(found) if found else None
        for prefix in _QUERY:
            if source.startswith(prefix):
                name = source[len(prefix) :]
                found = [v for k, v in query if k == name]
                value = ",".join(found) if found else None
        for prefix in _CONTEXT:
            if source.startswith(prefix):
                value = context or {}
                for part in source[len(prefix) :].split("."):
                    value = value.get(part) if isinstance(value, dict) else None
        if value is None or value == "" or isinstance(value, dict | list):
            return None
        values.append(str(value))
    return values


def missing_identity(sources: list[str], info: WebSocketConnectionInfo) -> bool:
    """True when an identity source of a `$connect` authorizer is absent."""
    return identity_values(sources, info.headers, info.query) is None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def policy_allows(policy: dict[str, Any], method_arn: str) -> bool:
    """IAM-style evaluation: an explicit Deny wins, otherwise an Allow must match."""
    allowed = False
    for statement in _as_list(policy.get("Statement") or []):
        if not isinstance(statement, dict):
            continue
        actions = [str(a) for a in _as_list(statement.get("Action", "*"))]
        if not any(fnmatch.fnmatchcase("execute-api:Invoke", a) for a in actions):
            continue
        resources = [str(r) for r in _as_list(statement.get("Resource", "*"))]
        if not any(fnmatch.fnmatchcase(method_arn, r) for r in resources):
            continue
        if str(statement.get("Effect", "")).lower() == "deny":
            return False
        if str(statement.get("Effect", "")).lower() == "allow":
            allowed = True
    return allowed


def decide(payload: Any, error: dict[str, Any] | None, method_arn: str) -> Decision:
    """A WebSocket `$connect` authorizer's outcome as a handshake decision.

    An error whose message is exactly "Unauthorized" is 401, any other error or a
    malformed answer 500, a policy that does not allow `method_arn` 403.
    """
    if error is not None:
        return Decision(status=401 if error.get("errorMessage") == "Unauthorized" else 500)
    if not isinstance(payload, dict) or not isinstance(payload.get("policyDocument"), dict):
        return Decision(status=500)
    if not policy_allows(payload["policyDocument"], method_arn):
        return Decision(status=403)
    context = dict(payload.get("context") or {})
    context["principalId"] = payload.get("principalId", "")
    return Decision(context=context)


def decide_http(
    payload: Any, error: dict[str, Any] | None, route_arn: str, simple_responses: bool
) -> Decision:
    """An HTTP API Lambda authorizer's outcome (payload format 2.0) as a decision.

    Any error of the function, or an answer of the wrong shape, is 500; `isAuthorized:
    false` (simple responses) or a policy that does not allow `route_arn` is 403; allowed,
    the answer's `context` becomes `requestContext.authorizer.lambda` of the route's event.
    """
    if error is not None or not isinstance(payload, dict):
        return Decision(status=500)
    if simple_responses:
        allowed = payload.get("isAuthorized")
        if not isinstance(allowed, bool):
            return Decision(status=500)
    else:
        policy = payload.get("policyDocument")
        if not isinstance(policy, dict):
            return Decision(status=500)
        allowed = policy_allows(policy, route_arn)
    context = payload.get("context")
    if context is not None and not isinstance(context, dict):
        return Decision(status=500)
    if not allowed:
        return Decision(status=403)
    return Decision(context=dict(context or {}))


MISSING = object()


class ResultCache:
    """Authorizer answers by identity (the key), each kept for its authorizer's TTL.

    API Gateway caches an HTTP API authorizer's answer, allowing or refusing, keyed by
    the identity-source values: within the TTL the same token is not checked again (an
    expired token stays accepted until its cached answer expires, as in AWS). Bounded:
    the oldest entries go first. Used from the event loop only (no locking).
    """

    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        """The cached answer, or `MISSING`."""
        entry = self._entries.get(key)
        if entry is None:
            return MISSING
        expires, value = entry
        if time.monotonic() >= expires:
            del self._entries[key]
            return MISSING
        return value

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        if ttl <= 0:
            return
        self._entries[key] = (time.monotonic() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
