"""shared.actions.dispatch: a parsed request goes to its action's handler, or is unknown_action."""

from __future__ import annotations

import json

import pytest

from shared import config
from shared.actions import dispatch, registry
from shared.actions.caller import Caller, Outcome
from shared.protocol import Action, ErrorCode, ProtocolError, Request, parse_request
from tests.unit.actions.conftest import reply_of

CALLER = Caller("conn-1", "alice", "http://127.0.0.1:9/test", "test")


def test_dispatch_calls_the_actions_handler_with_the_request_and_caller_and_returns_its_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[tuple[Request, Caller]] = []
    outcome = Outcome("the reply")

    def handler(request: Request, caller: Caller) -> Outcome:
        seen.append((request, caller))
        return outcome

    monkeypatch.setitem(registry.HANDLERS, Action.TYPING_LIST, handler)
    request = parse_request('{"action":"typing:list","requestId":"r1","data":{"chatId":"c1"}}')
    assert dispatch.dispatch(request, CALLER) is outcome
    assert seen == [(request, CALLER)]


def test_an_action_without_a_handler_is_an_unknown_action_protocol_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(registry.HANDLERS, Action.TYPING_LIST)
    request = Request(Action.TYPING_LIST, "r1", {"chatId": "c1"})
    with pytest.raises(ProtocolError) as raised:
        dispatch.dispatch(request, CALLER)
    assert raised.value.code is ErrorCode.UNKNOWN_ACTION
    assert raised.value.message == "action typing:list is not available"


def test_a_handler_raising_a_domain_error_lets_it_through(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(request: Request, caller: Caller) -> Outcome:
        raise ProtocolError(ErrorCode.BAD_REQUEST, "no")

    monkeypatch.setitem(registry.HANDLERS, Action.HELLO, refuse)
    with pytest.raises(ProtocolError, match="no"):
        dispatch.dispatch(Request(Action.HELLO, None, {}), CALLER)


def test_a_real_action_is_answered_by_its_registered_handler(domain: config.Settings) -> None:
    request = parse_request(json.dumps({"action": "hello", "requestId": 7}))
    reply = reply_of(dispatch.dispatch(request, CALLER))
    assert (reply["event"], reply["requestId"]) == ("connection:success", 7)
    assert (reply["data"]["connectionId"], reply["data"]["userId"]) == ("conn-1", "alice")
