"""Domain refusals by kind, and the one mapping of each kind to its wire error code."""

from __future__ import annotations

import pytest

from shared import errors
from shared.protocol import ERROR_CODES, ErrorCode, ProtocolError, error_code

KINDS: list[tuple[type[errors.DomainError], ErrorCode]] = [
    (errors.Invalid, ErrorCode.BAD_REQUEST),
    (errors.Unauthorized, ErrorCode.UNAUTHORIZED),
    (errors.Forbidden, ErrorCode.FORBIDDEN),
    (errors.NotFound, ErrorCode.NOT_FOUND),
    (errors.Conflict, ErrorCode.CONFLICT),
    (errors.Internal, ErrorCode.INTERNAL_ERROR),
]


@pytest.mark.parametrize(("kind", "code"), KINDS)
def test_each_kind_maps_to_its_wire_code(kind: type[errors.DomainError], code: ErrorCode) -> None:
    assert error_code(kind("nope")) is code


def test_the_mapping_covers_every_kind_and_no_two_kinds_share_a_code() -> None:
    assert dict(ERROR_CODES) == dict(KINDS)
    assert len(set(ERROR_CODES.values())) == len(ERROR_CODES)


@pytest.mark.parametrize(("kind", "_"), KINDS)
def test_every_kind_is_a_domain_error_with_a_message_safe_to_show(
    kind: type[errors.DomainError], _: ErrorCode
) -> None:
    error = kind("not a member of this chat")
    assert isinstance(error, errors.DomainError) and isinstance(error, Exception)
    assert error.message == str(error) == "not a member of this chat"


def test_too_large_is_invalid_and_answered_as_a_bad_request() -> None:
    error = errors.TooLarge("body over 4000 characters")
    assert isinstance(error, errors.Invalid)
    assert error_code(error) is ErrorCode.BAD_REQUEST


def test_a_protocol_error_is_invalid_and_carries_its_own_code() -> None:
    error = ProtocolError(ErrorCode.UNKNOWN_ACTION, "no such action")
    assert isinstance(error, errors.Invalid)
    assert (error.code, error.message) == (ErrorCode.UNKNOWN_ACTION, "no such action")
    assert error_code(error) is ErrorCode.UNKNOWN_ACTION


def test_a_protocol_error_with_the_bad_request_code_keeps_it() -> None:
    assert error_code(ProtocolError(ErrorCode.BAD_REQUEST, "bad")) is ErrorCode.BAD_REQUEST


def test_a_subclass_of_a_kind_maps_like_its_kind() -> None:
    class NotAnAdmin(errors.Forbidden):
        pass

    class EmojiCapReached(errors.Conflict):
        pass

    assert error_code(NotAnAdmin("x")) is ErrorCode.FORBIDDEN
    assert error_code(EmojiCapReached("x")) is ErrorCode.CONFLICT


def test_a_bare_domain_error_of_no_kind_is_a_bad_request() -> None:
    assert error_code(errors.DomainError("unspecified")) is ErrorCode.BAD_REQUEST


def test_the_kinds_are_distinct_so_a_handler_of_one_never_catches_another() -> None:
    for kind, _ in KINDS:
        for other, _ in KINDS:
            assert issubclass(kind, other) == (kind is other)
