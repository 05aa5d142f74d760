"""CORS rules of a bucket as S3 applies them (infra/gateway/s3_cors.py), without a server."""

from __future__ import annotations

from infra.gateway.s3_cors import actual, preflight
from infra.gateway.s3_errors import S3Error
from infra.template.reader import CorsRule

ANY = CorsRule(("GET", "POST"), ("*",), allowed_headers=("x-amz-*", "content-type"))
ONE = CorsRule(("PUT",), ("https://a.example",), max_age=10)


def test_any_origin_is_answered_with_a_star_and_no_credentials() -> None:
    answer = preflight([ANY], "https://whoever.example", "POST", "Content-Type, X-Amz-Date")
    assert not isinstance(answer, S3Error)
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in answer
    assert answer["Access-Control-Allow-Headers"] == "content-type, x-amz-date"
    assert actual([ANY], "https://whoever.example", "GET")["Access-Control-Allow-Origin"] == "*"


def test_the_first_rule_that_matches_answers() -> None:
    answer = preflight([ANY, ONE], "https://a.example", "PUT", None)
    assert not isinstance(answer, S3Error)
    assert answer["Access-Control-Allow-Origin"] == "https://a.example"
    assert answer["Access-Control-Allow-Credentials"] == "true"
    assert answer["Access-Control-Allow-Methods"] == "PUT"
    assert answer["Access-Control-Max-Age"] == "10"


def test_requested_headers_must_all_be_allowed() -> None:
    refused = preflight([ANY], "https://a.example", "POST", "content-type, authorization")
    assert isinstance(refused, S3Error) and refused.status == 403


def test_no_rules_no_origin_no_match() -> None:
    assert isinstance(preflight([], "https://a.example", "GET", None), S3Error)
    missing = preflight([ANY], None, "GET", None)
    assert isinstance(missing, S3Error) and missing.status == 400
    assert actual([ONE], "https://b.example", "PUT") == {}
    assert actual([ONE], "https://a.example", "GET") == {}
    assert actual([ONE], None, "PUT") == {}
