"""CORS of a bucket, answered from its `CorsConfiguration` as S3 answers.

Owns matching a request against the bucket's rules (the first rule whose AllowedOrigins
match the Origin, each with at most one `*` wildcard, whose AllowedMethods hold the
method, and, for a preflight, whose AllowedHeaders match every requested header,
case-insensitively, with `*` wildcards) and the headers S3 then sends: a preflight
(`OPTIONS` with `Access-Control-Request-Method`) is answered 200 with them, or 403 when no
rule matches (400 without an Origin); an actual request whose Origin matches gets
`Access-Control-Allow-Origin` (`*` for a rule allowing any origin, else the Origin, with
`Access-Control-Allow-Credentials`), `Access-Control-Allow-Methods`, the rule's exposed
headers and max age, and `Vary`; one that does not match gets no CORS header at all
(the browser then refuses it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from infra.gateway.s3_errors import S3Error
from infra.template.reader import CorsRule

VARY = "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"
NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution "
    "of Origin, request method / Access-Control-Request-Method or "
    "Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."
)


@lru_cache(maxsize=256)
def _pattern(wildcard: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(p) for p in wildcard.split("*")), re.IGNORECASE)


def _matches(value: str, wildcards: Sequence[str], case_sensitive: bool = True) -> bool:
    for wildcard in wildcards:
        if "*" in wildcard:
            if _pattern(wildcard).fullmatch(value):
                return True
        elif (wildcard == value) if case_sensitive else (wildcard.lower() == value.lower()):
            return True
    return False


def matching_rule(
    rules: Sequence[CorsRule], origin: str, method: str, headers: Sequence[str] = ()
) -> CorsRule | None:
    for rule in rules:
        if not _matches(origin, rule.allowed_origins):
            continue
        if method not in rule.allowed_methods:
            continue
        if all(_matches(h, rule.allowed_headers, case_sensitive=False) for h in headers):
            return rule
    return None


def _headers(rule: CorsRule, origin: str) -> dict[str, str]:
    out = {"Vary": VARY}
    if "*" in rule.allowed_origins:
        out["Access-Control-Allow-Origin"] = "*"
    else:
        out["Access-Control-Allow-Origin"] = origin
        out["Access-Control-Allow-Credentials"] = "true"
    out["Access-Control-Allow-Methods"] = ", ".join(rule.allowed_methods)
    if rule.exposed_headers:
        out["Access-Control-Expose-Headers"] = ", ".join(rule.exposed_headers)
    if rule.max_age is not None:
        out["Access-Control-Max-Age"] = str(rule.max_age)
    return out


def preflight(
    rules: Sequence[CorsRule],
    origin: str | None,
    method: str | None,
    request_headers: str | None,
) -> dict[str, str] | S3Error:
    """The headers of a 200 answer to an OPTIONS preflight, or S3's refusal."""
    if not origin:
        return S3Error(400, "BadRequest", "Insufficient information. Origin request header needed.")
    if not method:
        return S3Error(
            400,
            "BadRequest",
            "Invalid Access-Control-Request-Method: null",
        )
    if not rules:
        return S3Error(403, "AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.")
    requested = [h.strip() for h in (request_headers or "").split(",") if h.strip()]
    rule = matching_rule(rules, origin, method, requested)
    if rule is None:
        return S3Error(403, "AccessForbidden", NOT_ALLOWED, {"Method": method})
    out = _headers(rule, origin)
    if requested:
        out["Access-Control-Allow-Headers"] = ", ".join(h.lower() for h in requested)
    return out


def actual(rules: Sequence[CorsRule], origin: str | None, method: str) -> dict[str, str]:
    """The CORS headers of the answer to an actual request (none if nothing matches)."""
    if not origin:
        return {}
    rule = matching_rule(rules, origin, method)
    return _headers(rule, origin) if rule is not None else {}
