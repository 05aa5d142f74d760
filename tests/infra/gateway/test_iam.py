"""The emulator's IAM: principals and their credentials, and policy evaluation as IAM does it
(explicit Deny wins, an Allow must match, else the default deny)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.gateway.iam import LOCAL_ADMIN, LocalIam, evaluate

API = "arn:aws:execute-api:us-east-1:123456789012:abc123/$default/POST/server/send"
FN = "arn:aws:lambda:us-east-1:123456789012:function:st-ServerApiFunction"


INVOKE_API, INVOKE_FN = "execute-api:Invoke", "lambda:InvokeFunction"


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


ANY_STAGE = "arn:aws:execute-api:*:*:abc123/*/POST/server/*"
NOT_API = {"Effect": "Allow", "Action": "*", "NotResource": API}
CONDITION = {"Bool": {"aws:SecureTransport": "true"}}


@pytest.mark.parametrize(
    ("statements", "action", "resource", "outcome"),
    [
        ([], INVOKE_API, API, "implicit deny"),  # nothing allows: the default deny
        ([allow(INVOKE_API, API)], INVOKE_API, API, "allow"),
        # Actions match case-insensitively, resources do not.
        ([allow("EXECUTE-API:invoke", API)], INVOKE_API, API, "allow"),
        ([allow(INVOKE_API, API.upper())], INVOKE_API, API, "implicit deny"),
        # Wildcards: `*` any run, `?` one character; lists of either.
        ([allow("execute-api:*", ANY_STAGE)], INVOKE_API, API, "allow"),
        ([allow(["s3:*", "execute-api:Inv?ke"], [FN, API])], INVOKE_API, API, "allow"),
        ([allow("execute-api:Inv?ke", "*/GET/*")], INVOKE_API, API, "implicit deny"),
        # `[` is no wildcard in IAM (fnmatch would take it for a character class).
        ([allow("*", "arn:aws:[el]*")], INVOKE_FN, FN, "implicit deny"),
        # Another function, or another action, is not allowed.
        ([allow(INVOKE_FN, FN)], INVOKE_FN, FN + "2", "implicit deny"),
        ([allow(INVOKE_FN, FN)], "lambda:GetFunction", FN, "implicit deny"),
        # An explicit Deny wins over any Allow, whatever the order.
        ([allow("*", "*"), deny("lambda:Invoke*", FN)], INVOKE_FN, FN, "explicit deny"),
        ([deny("*", API), allow("*", "*")], INVOKE_API, API, "explicit deny"),
        # NotAction / NotResource.
        ([{"Effect": "Allow", "NotAction": "lambda:*", "Resource": "*"}], INVOKE_API, API, "allow"),
        ([NOT_API], INVOKE_API, API, "implicit deny"),
        # A condition is not evaluated: it never opens, and it always closes.
        ([allow("*", "*", Condition=CONDITION)], INVOKE_API, API, "implicit deny"),
        ([allow("*", "*"), deny("*", "*", Condition=CONDITION)], INVOKE_API, API, "explicit deny"),
    ],
)  # fmt: skip
def test_policy_evaluation(
    statements: list[dict[str, Any]], action: str, resource: str, outcome: str
) -> None:
    decision = evaluate(statements, action, resource)
    assert (decision.allowed, decision.explicit_deny) == {
        "allow": (True, False),
        "implicit deny": (False, False),
        "explicit deny": (False, True),
    }[outcome]


CALLER = [
    {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": FN},
    {
        "Effect": "Allow",
        "Action": "execute-api:Invoke",
        "Resource": "arn:aws:execute-api:us-east-1:123456789012:abc123/*/POST/server/*",
    },
]


def test_principals_get_the_templates_policies_and_nothing_else() -> None:
    iam = LocalIam("123456789012", {"ServerApiCallerPolicy": CALLER})
    allowed = iam.add_principal("orders-service", policies=["ServerApiCallerPolicy"])
    nobody = iam.add_principal("nobody")
    assert allowed.access_key_id.startswith("AKIA") and len(allowed.access_key_id) == 20
    assert len(allowed.secret_access_key) == 40 and allowed.session_token is None
    assert allowed.access_key_id != nobody.access_key_id
    assert allowed.secret_access_key != nobody.secret_access_key
    orders = iam.principal(allowed.access_key_id)
    assert orders is not None
    assert orders.arn == "arn:aws:iam::123456789012:user/orders-service"
    assert orders.user_id.startswith("AIDA") and orders.credentials == allowed
    assert iam.authorize(orders, "lambda:InvokeFunction", FN).allowed
    assert iam.authorize(orders, "execute-api:Invoke", API).allowed
    assert not iam.authorize(orders, "lambda:InvokeFunction", FN + "-other").allowed
    stranger = iam.principal(nobody.access_key_id)
    assert stranger is not None
    assert not iam.authorize(stranger, "lambda:InvokeFunction", FN).allowed
    assert not iam.authorize(stranger, "execute-api:Invoke", API).allowed
    assert iam.principal("AKIAUNKNOWN000000000") is None


def test_inline_statements_add_to_the_policies() -> None:
    iam = LocalIam("123456789012", {"ServerApiCallerPolicy": CALLER})
    keys = iam.add_principal(
        "no-lambda",
        policies=["ServerApiCallerPolicy"],
        statements=[{"Effect": "Deny", "Action": "lambda:*", "Resource": "*"}],
    )
    principal = iam.principal(keys.access_key_id)
    assert principal is not None
    assert iam.authorize(principal, "lambda:InvokeFunction", FN).explicit_deny
    assert iam.authorize(principal, "execute-api:Invoke", API).allowed


def test_an_unknown_policy_is_an_error_not_an_empty_grant() -> None:
    iam = LocalIam("123456789012", {"ServerApiCallerPolicy": CALLER})
    with pytest.raises(KeyError, match="ServerApiCallerPolicy"):
        iam.add_principal("typo", policies=["ServerApiCallerPolcy"])


def test_the_stack_owner_is_allowed_everything() -> None:
    iam = LocalIam("123456789012")
    admin = iam.principal(LOCAL_ADMIN.access_key_id)
    assert admin is iam.admin and admin is not None
    assert admin.credentials.session_token == "local-emulator-session-token"
    assert admin.arn == (
        "arn:aws:sts::123456789012:assumed-role/switchboard-local-admin/local-emulator"
    )
    assert iam.authorize(admin, "lambda:InvokeFunction", FN).allowed
    assert iam.authorize(admin, "execute-api:Invoke", API).allowed
