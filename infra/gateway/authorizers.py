"""Lambda REQUEST authorizers for $connect: identity-source checks and policy evaluation."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any

from infra.gateway.events import WebSocketConnectionInfo


@dataclass
class Decision:
    """Either `status` (the handshake is refused with it) or the authorizer context."""

    status: int | None = None
    context: dict[str, Any] | None = None


def missing_identity(sources: list[str], info: WebSocketConnectionInfo) -> bool:
    """True when an identity source (`route.request.querystring.X` / `.header.X`) is absent."""
    query = {k: v for k, v in info.query}
    headers = {k.lower(): v for k, v in info.headers}
    for source in sources:
        source = source.strip()
        for prefix in ("route.request.querystring.", "$request.querystring."):
            if source.startswith(prefix) and not query.get(source[len(prefix) :]):
                return True
        for prefix in ("route.request.header.", "$request.header."):
            if source.startswith(prefix) and not headers.get(source[len(prefix) :].lower()):
                return True
    return False


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
    """Turn an authorizer invocation's outcome into a handshake decision."""
    if error is not None:
        return Decision(status=401 if error.get("errorMessage") == "Unauthorized" else 500)
    if not isinstance(payload, dict) or not isinstance(payload.get("policyDocument"), dict):
        return Decision(status=500)
    if not policy_allows(payload["policyDocument"], method_arn):
        return Decision(status=403)
    context = dict(payload.get("context") or {})
    context["principalId"] = payload.get("principalId", "")
    return Decision(context=context)
