"""Typed errors: one class per error code, each carrying the code, message and data."""

from __future__ import annotations

import pytest

from switchboard_client import (
    BadRequest,
    Conflict,
    Forbidden,
    InternalError,
    NotFound,
    RateLimited,
    ServerError,
    SwitchboardError,
    Unauthorized,
    UnknownAction,
)
from switchboard_client.requests import reply_data


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        ("bad_request", BadRequest),
        ("unknown_action", UnknownAction),
        ("unauthorized", Unauthorized),
        ("forbidden", Forbidden),
        ("not_found", NotFound),
        ("conflict", Conflict),
        ("rate_limited", RateLimited),
        ("internal_error", InternalError),
    ],
)
def test_each_error_code_raises_its_class_carrying_the_code(code: str, cls: type) -> None:
    frame = {"event": "error", "requestId": "q1", "data": {"code": code, "message": "why"}}
    with pytest.raises(cls) as info:
        reply_data(frame, "message:send")
    assert info.value.code == code
    assert info.value.message == "why"
    assert info.value.action == "message:send"
    assert isinstance(info.value, ServerError) and isinstance(info.value, SwitchboardError)


def test_an_unknown_code_is_kept() -> None:
    with pytest.raises(ServerError) as info:
        reply_data({"event": "error", "data": {"code": "teapot", "message": "?"}})
    assert type(info.value) is ServerError and info.value.code == "teapot"


def test_rate_limited_carries_the_advised_delay() -> None:
    error_ = ServerError.from_reply(
        {"code": "rate_limited", "message": "slow down", "retryAfterMs": 180}
    )
    assert isinstance(error_, RateLimited) and error_.retry_after == pytest.approx(0.18)


def test_a_reply_that_is_not_an_error_gives_its_data() -> None:
    assert reply_data({"event": "ack", "requestId": "q1", "data": {"ok": 1}}) == {"ok": 1}


def test_a_malformed_error_still_raises() -> None:
    with pytest.raises(ServerError) as info:
        reply_data({"event": "error", "data": None})
    assert info.value.code == "error"
    assert RateLimited("x", data={"retryAfterMs": "soon"}).retry_after == 0.0
