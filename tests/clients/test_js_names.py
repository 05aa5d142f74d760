"""The JS client's copy of the wire names (clients/js/src/protocol.js) agrees with the
server's (shared/protocol.py), as tests/client/test_wire.py checks for the Python client;
the names are spelled in that one module; the client imports nothing outside its own
src/ (no server code, no demo code, no package); and the demo page imports the client
package by its name."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest

from shared import protocol

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "clients" / "js" / "src"
WEB = ROOT / "web"
PROTOCOL_JS = SRC / "protocol.js"


def _without_comments(source: str) -> str:
    """JS source without its comments (strings left alone: enough for our own modules)."""
    token = re.compile(
        r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`(?:\\.|[^`\\])*`|/\*.*?\*/|//[^\n]*', re.S
    )
    return token.sub(lambda m: m.group(0) if m.group(0)[0] in "\"'`" else " ", source)


def _frozen_object(name: str) -> dict[str, str]:
    """`export const NAME = Object.freeze({ KEY: "value", ... });` of protocol.js."""
    source = _without_comments(PROTOCOL_JS.read_text(encoding="utf-8"))
    declaration = rf"export\s+const\s+{name}\s*=\s*Object\.freeze\(\s*\{{(?P<body>.*?)\}}\s*\)\s*;"
    block = re.search(declaration, source, re.S)
    assert block is not None, f"protocol.js declares no `{name} = Object.freeze({{...}})`"
    body = block.group("body")
    entries = re.findall(r"([A-Z][A-Z0-9_]*)\s*:\s*\"([^\"]*)\"\s*,?", body)
    # Every entry must be a plain KEY: "value" pair, or this parse would miss some.
    leftover = re.sub(r"([A-Z][A-Z0-9_]*)\s*:\s*\"([^\"]*)\"\s*,?", "", body).strip()
    assert leftover == "", f"{name}: entries this test cannot read: {leftover[:80]!r}"
    names = [key for key, _ in entries]
    assert len(names) == len(set(names)), f"{name}: a key is declared twice"
    return dict(entries)


def _number(name: str) -> int:
    source = _without_comments(PROTOCOL_JS.read_text(encoding="utf-8"))
    match = re.search(rf"export\s+const\s+{name}\s*=\s*(\d+)\s*;", source)
    assert match is not None, f"protocol.js declares no `export const {name} = <number>`"
    return int(match.group(1))


def _members(enum: type[StrEnum]) -> dict[str, str]:
    return {member.name: member.value for member in enum}


def test_every_action_the_client_sends_is_one_the_server_knows() -> None:
    """The client may lag behind a new server action (it can still send it by name),
    never name one the server lacks or spell one differently."""
    client, server = _frozen_object("Action"), _members(protocol.Action)
    assert client.items() <= server.items()


@pytest.mark.parametrize(
    ("js_name", "enum"), [("Event", protocol.Event), ("ErrorCode", protocol.ErrorCode)]
)
def test_the_client_knows_every_event_and_error_code_the_server_sends(
    js_name: str, enum: type[StrEnum]
) -> None:
    assert _frozen_object(js_name) == _members(enum)


def test_limits_match_the_server() -> None:
    assert _number("MAX_SYNC_CHATS") == protocol.MAX_SYNC_CHATS


def test_the_clients_own_names_cannot_be_mistaken_for_the_servers() -> None:
    local_codes = set(_frozen_object("LocalErrorCode").values())
    assert not local_codes & {c.value for c in protocol.ErrorCode}
    client_events = set(_frozen_object("ClientEvent").values())
    assert not client_events & {e.value for e in protocol.Event}


def test_wire_names_are_spelled_only_in_protocol_js() -> None:
    """Other modules say Action.MESSAGE_SEND, never "message:send": a renamed action
    is then one edit, and this test keeps seeing every name the client uses."""
    enums = (protocol.Action, protocol.Event, protocol.ErrorCode)
    names = {member.value for enum in enums for member in enum}
    strays = []
    for path in sorted(SRC.glob("*.js")):
        if path == PROTOCOL_JS:
            continue
        code = _without_comments(path.read_text(encoding="utf-8"))
        for literal in re.findall(r'"([^"\\]*)"|\'([^\'\\]*)\'', code):
            value = literal[0] or literal[1]
            if value in names:
                strays.append(f"{path.name}: {value!r}")
    assert strays == []


IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']"""
    r"""|^\s*import\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']""",
    re.M,
)


def _imports(path: Path) -> list[str]:
    code = _without_comments(path.read_text(encoding="utf-8"))
    return [next(g for g in m.groups() if g) for m in IMPORT.finditer(code)]


def test_the_client_imports_only_its_own_modules() -> None:
    """Nothing in the client imports the server, the demo page, or any package: every
    import is a sibling module of src/."""
    sources = sorted(SRC.glob("*.js"))
    assert PROTOCOL_JS in sources
    for path in sources:
        for target in _imports(path):
            assert re.fullmatch(r"\./[a-z_-]+\.js", target), f"{path.name} imports {target}"
            assert (SRC / target[2:]).is_file(), f"{path.name} imports {target}, which is missing"


def test_the_demo_page_imports_the_client_package_by_name() -> None:
    """web/ uses the package as an application would (the import map of index.html
    resolves the name to what the emulator serves from clients/js/src), never a copy."""
    pages = [WEB / "demo.js", *sorted((WEB / "demo").glob("*.js"))]
    client_users = set()
    for path in pages:
        for target in _imports(path):
            if target == "@switchboard/client":
                client_users.add(path.name)
                continue
            assert target.startswith("./") and target.endswith(".js"), f"{path} imports {target}"
            assert (path.parent / target).resolve().is_file(), f"{path} imports {target}"
    assert client_users, "nothing in web/ imports @switchboard/client"
    assert '"@switchboard/client": "/web/client/index.js"' in (WEB / "index.html").read_text()
