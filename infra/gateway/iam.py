"""The emulator's IAM, as the front door of its signed APIs applies it: who may call them
(principals and their credentials) and what each may do (identity-based policies, evaluated
as IAM evaluates them).

The stack owner (`LOCAL_ADMIN`, the credentials every function gets) is allowed
everything, as an account administrator is on AWS. Tests and users add principals with
`LocalIam.add_principal(name, policies=[...], statements=[...])`: `policies` are logical ids
of the template's `AWS::IAM::ManagedPolicy` / `AWS::IAM::Policy` resources, `statements`
inline policy statements; a principal with neither is allowed nothing. Evaluation: an
explicit Deny wins, else an Allow must match, else the default deny. Action and Resource
(or NotAction / NotResource) are strings or lists with IAM's `*` and `?` wildcards, the
action matched case-insensitively. Conditions are not evaluated: a statement with one
counts as matching for a Deny and as not matching for an Allow (refuse rather than open).
Thread-safe: principals are added from tests while the gateway's loop reads them.
"""

from __future__ import annotations

import re
import secrets
import string
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from infra.runtime.pools import FUNCTION_CREDENTIALS
from infra.template.intrinsics import ACCOUNT_ID, PARTITION


@dataclass(frozen=True)
class Credentials:
    """What a caller signs with (botocore's `aws_access_key_id`, ...)."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def as_boto3(self) -> dict[str, str]:
        """Keyword arguments of `boto3.client(...)`."""
        kwargs = {
            "aws_access_key_id": self.access_key_id,
            "aws_secret_access_key": self.secret_access_key,
        }
        if self.session_token is not None:
            kwargs["aws_session_token"] = self.session_token
        return kwargs


# The stack owner's temporary credentials (ASIA...: an STS session), which every function
# gets as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN.
LOCAL_ADMIN = Credentials(*FUNCTION_CREDENTIALS)
ADMIN_ROLE = "switchboard-local-admin"
ADMIN_SESSION = "local-emulator"


@dataclass(frozen=True)
class Principal:
    """An IAM identity: `arn` is what refusals name (`User: arn:... is not authorized`),
    `user_id` the unique id (`AIDA...`, or `AROA...:session` for an assumed role)."""

    name: str
    arn: str
    user_id: str
    account_id: str
    credentials: Credentials
    statements: tuple[dict[str, Any], ...] = ()
    admin: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    explicit_deny: bool = False


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


@lru_cache(maxsize=1024)
def _pattern(wildcard: str, ignore_case: bool) -> re.Pattern[str]:
    """IAM's wildcards: `*` any run of characters, `?` one character, nothing else special."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile(regex, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _matches(value: str, patterns: list[str], ignore_case: bool) -> bool:
    return any(_pattern(p, ignore_case).fullmatch(value) for p in patterns)


def _applies(statement: Mapping[str, Any], action: str, resource: str) -> bool:
    if "NotAction" in statement:
        action_ok = not _matches(action, _as_list(statement["NotAction"]), True)
    else:
        action_ok = _matches(action, _as_list(statement.get("Action")), True)
    if "NotResource" in statement:
        resource_ok = not _matches(resource, _as_list(statement["NotResource"]), False)
    else:
        resource_ok = _matches(resource, _as_list(statement.get("Resource")), False)
    return action_ok and resource_ok


def evaluate(statements: Iterable[Mapping[str, Any]], action: str, resource: str) -> Decision:
    """Identity-based policy evaluation: explicit Deny, else any Allow, else default deny."""
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping) or not _applies(statement, action, resource):
            continue
        effect = str(statement.get("Effect", ""))
        conditional = bool(statement.get("Condition"))
        if effect == "Deny":
            return Decision(False, explicit_deny=True)
        if effect == "Allow" and not conditional:
            allowed = True
    return Decision(allowed)


def _random(prefix: str, length: int) -> str:
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length - len(prefix)))


@dataclass
class LocalIam:
    """The principals the emulator knows, by access key, and what they may do."""

    account_id: str = ACCOUNT_ID
    # Logical id -> statements of the template's policies (Template.policies).
    policies: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _by_key: dict[str, Principal] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.admin = Principal(
            name=ADMIN_ROLE,
            arn=f"arn:{PARTITION}:sts::{self.account_id}:assumed-role/{ADMIN_ROLE}/{ADMIN_SESSION}",
            user_id=f"AROALOCALEMULATORADMIN:{ADMIN_SESSION}",
            account_id=self.account_id,
            credentials=LOCAL_ADMIN,
            admin=True,
        )
        self._by_key[LOCAL_ADMIN.access_key_id] = self.admin

    def add_principal(
        self,
        name: str,
        *,
        policies: Iterable[str] = (),
        statements: Iterable[Mapping[str, Any]] = (),
    ) -> Credentials:
        """A new IAM user `name` with the template's `policies` (logical ids) and inline
        `statements`; returns its long-term credentials (no session token)."""
        granted: list[dict[str, Any]] = []
        for logical_id in policies:
            if logical_id not in self.policies:
                known = ", ".join(sorted(self.policies)) or "none"
                raise KeyError(f"no policy {logical_id!r} in the template (it has: {known})")
            granted.extend(self.policies[logical_id])
        granted.extend(dict(s) for s in statements)
        credentials = Credentials(_random("AKIA", 20), secrets.token_urlsafe(30)[:40])
        principal = Principal(
            name=name,
            arn=f"arn:{PARTITION}:iam::{self.account_id}:user/{name}",
            user_id=_random("AIDA", 21),
            account_id=self.account_id,
            credentials=credentials,
            statements=tuple(granted),
        )
        with self._lock:
            self._by_key[credentials.access_key_id] = principal
        return credentials

    def principal(self, access_key_id: str) -> Principal | None:
        """Who holds this access key, or None (AWS: "The security token ... is invalid")."""
        with self._lock:
            return self._by_key.get(access_key_id)

    def authorize(self, principal: Principal, action: str, resource: str) -> Decision:
        if principal.admin:
            return Decision(True)
        return evaluate(principal.statements, action, resource)
