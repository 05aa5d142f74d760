"""The client's copy of the wire names agrees with the server's, and the package stands
alone (it imports neither shared/ nor infra/)."""

from __future__ import annotations

import subprocess
import sys

from shared import protocol
from switchboard_client import wire


def test_action_event_and_error_names_match_the_server() -> None:
    # A client may lag behind a new server action; it never names one the server lacks.
    assert {a.value for a in wire.Action} <= {a.value for a in protocol.Action}
    assert {e.value for e in wire.Event} == {e.value for e in protocol.Event}
    assert {c.value for c in wire.ErrorCode} == {c.value for c in protocol.ErrorCode}
    assert wire.MAX_SYNC_CHATS == protocol.MAX_SYNC_CHATS


def test_client_events_cannot_be_mistaken_for_server_events() -> None:
    assert all(e.value.startswith("client:") for e in wire.ClientEvent)
    assert not {e.value for e in wire.ClientEvent} & {e.value for e in protocol.Event}


def test_the_package_imports_nothing_from_the_server() -> None:
    code = (
        "import sys, switchboard_client, switchboard_client.api;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('shared', 'infra'));"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == ""
