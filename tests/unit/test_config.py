"""Settings: read from the environment once, on first use, kept; overridable and reloadable."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import config
from shared.config import CONNECTION_TTL_SECONDS, Settings
from tests.interpreter import run_fresh

ROOT = Path(__file__).resolve().parents[2]

ENVIRONMENT = (
    "CONNECTIONS_TABLE",
    "ROOMS_TABLE",
    "CHATS_TABLE",
    "MEMBERS_TABLE",
    "MESSAGES_TABLE",
    "USERS_TABLE",
    "PRESENCE_TTL_SECONDS",
    "JWT_SECRET_ARN",
    "JWT_SECRET",
    "JWT_JWKS_URL",
    "JWT_ALGORITHMS",
    "JWT_ISSUER",
    "JWT_AUDIENCE",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "REDIS_URL",
    "RATE_LIMITS",
    "MANAGEMENT_ENDPOINT",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts from an environment without the settings' variables; whatever it
    reloads, overrides or registers is undone afterwards."""
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(config, "_listeners", list(config._listeners))
    with config.override():  # restores the settings that were current before the test
        yield


# ---------------------------------------------------------------- read once, kept


def test_settings_are_read_once_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESSAGES_TABLE", "first")
    first = config.reload()
    monkeypatch.setenv("MESSAGES_TABLE", "second")
    assert config.settings() is first
    assert config.settings().messages_table == "first"


def test_reload_reads_the_environment_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MESSAGES_TABLE", "first")
    config.reload()
    monkeypatch.setenv("MESSAGES_TABLE", "second")
    reloaded = config.reload()
    assert reloaded.messages_table == "second"
    assert config.settings() is reloaded


def test_without_any_variable_the_defaults_apply() -> None:
    assert config.reload() == Settings(
        connections_table="connections",
        rooms_table="rooms",
        chats_table="chats",
        members_table="members",
        messages_table="messages",
        users_table="users",
        presence_ttl_seconds=600,
        jwt_secret_arn="",
        jwt_secret="",
        jwt_jwks_url="",
        jwt_algorithms=("HS256",),
        jwt_issuer="",
        jwt_audience="",
        dynamodb_endpoint="",
        redis_url="",
        rate_limits="",
        management_endpoint="",
        region="us-east-1",
    )


def test_each_setting_comes_from_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        "CONNECTIONS_TABLE": "t-connections",
        "ROOMS_TABLE": "t-rooms",
        "CHATS_TABLE": "t-chats",
        "MEMBERS_TABLE": "t-members",
        "MESSAGES_TABLE": "t-messages",
        "USERS_TABLE": "t-users",
        "PRESENCE_TTL_SECONDS": "45",
        "JWT_SECRET_ARN": "arn:aws:secretsmanager:eu-west-1:1:secret:jwt",
        "JWT_JWKS_URL": "https://issuer.example/.well-known/jwks.json",
        "JWT_ALGORITHMS": "RS256",
        "JWT_ISSUER": "https://issuer.example/",
        "JWT_AUDIENCE": "switchboard",
        "AWS_ENDPOINT_URL_DYNAMODB": "http://localhost:8000",
        "REDIS_URL": "redis://cache:6379/0",
        "RATE_LIMITS": "message=5/1",
        "MANAGEMENT_ENDPOINT": "https://abc.execute-api.eu-west-1.amazonaws.com/prod",
        "AWS_REGION": "eu-west-1",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    read = config.reload()
    assert (read.connections_table, read.rooms_table, read.chats_table) == (
        "t-connections",
        "t-rooms",
        "t-chats",
    )
    assert (read.members_table, read.messages_table, read.users_table) == (
        "t-members",
        "t-messages",
        "t-users",
    )
    assert read.presence_ttl_seconds == 45
    assert read.jwt_secret_arn == variables["JWT_SECRET_ARN"]
    assert read.jwt_jwks_url == variables["JWT_JWKS_URL"]
    assert read.jwt_algorithms == ("RS256",)
    assert (read.jwt_issuer, read.jwt_audience) == ("https://issuer.example/", "switchboard")
    assert read.dynamodb_endpoint == "http://localhost:8000"
    assert read.redis_url == "redis://cache:6379/0"
    assert read.rate_limits == "message=5/1"
    assert read.management_endpoint == variables["MANAGEMENT_ENDPOINT"]
    assert read.region == "eu-west-1"


def test_the_jwt_secret_is_never_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWT_SECRET", "leaked")
    assert config.reload().jwt_secret == ""


def test_algorithms_are_a_comma_separated_list_with_blanks_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("JWT_ALGORITHMS", " RS256, ES256 ,, ")
    assert config.reload().jwt_algorithms == ("RS256", "ES256")


def test_an_empty_presence_ttl_means_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRESENCE_TTL_SECONDS", "")
    assert config.reload().presence_ttl_seconds == 600


def test_aws_region_wins_over_aws_default_region(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-south-1")
    assert config.reload().region == "ap-south-1"
    monkeypatch.setenv("AWS_REGION", "eu-north-1")
    assert config.reload().region == "eu-north-1"


def test_settings_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.settings().messages_table = "other"  # type: ignore[misc]


def test_connection_records_outlive_api_gateways_two_hour_connections() -> None:
    assert CONNECTION_TTL_SECONDS > 2 * 60 * 60


# ---------------------------------------------------------------- override


def test_override_changes_some_settings_and_restores_the_previous_ones() -> None:
    before = config.settings()
    with config.override(messages_table="elsewhere", presence_ttl_seconds=5) as changed:
        assert config.settings() is changed
        assert (changed.messages_table, changed.presence_ttl_seconds) == ("elsewhere", 5)
        assert changed.chats_table == before.chats_table  # the rest kept
    assert config.settings() is before


def test_override_restores_even_when_the_block_raises() -> None:
    before = config.settings()
    with pytest.raises(RuntimeError), config.override(redis_url="redis://x"):
        raise RuntimeError("boom")
    assert config.settings() is before


def test_overrides_nest() -> None:
    with config.override(messages_table="outer"):
        with config.override(chats_table="inner") as inner:
            assert (inner.messages_table, inner.chats_table) == ("outer", "inner")
        assert config.settings().messages_table == "outer"
        assert config.settings().chats_table != "inner"


def test_an_override_of_an_unknown_setting_is_refused_and_changes_nothing() -> None:
    before = config.settings()
    with pytest.raises(TypeError), config.override(no_such_setting=1):
        pass
    assert config.settings() is before


def test_an_override_made_before_the_first_read_restores_to_reading_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config._replace(None)  # as in a fresh process: nothing read yet
    monkeypatch.setenv("MESSAGES_TABLE", "from-env")
    with config.override(messages_table="overridden"):
        assert config.settings().messages_table == "overridden"
    monkeypatch.setenv("MESSAGES_TABLE", "later")
    assert config.settings().messages_table == "later"


# ---------------------------------------------------------------- on_change


def test_listeners_run_whenever_the_settings_are_replaced(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []
    config.on_change(lambda: seen.append(config.settings().messages_table))
    with config.override(messages_table="overridden"):
        assert seen == ["overridden"]  # what was built from the old settings is rebuilt
    assert len(seen) == 2 and seen[1] != "overridden"
    monkeypatch.setenv("MESSAGES_TABLE", "reloaded")
    config.reload()
    assert seen[2:] == ["reloaded"]


def test_every_listener_runs_in_the_order_registered() -> None:
    order: list[int] = []
    config.on_change(lambda: order.append(1))
    config.on_change(lambda: order.append(2))
    config.reload()
    assert order == [1, 2]


# ---------------------------------------------------------------- importing reads nothing

IMPORT_ALL = """
import importlib, json, pkgutil, traceback
import shared
found, failed, reading = [], {}, []
import shared.config as config
for info in pkgutil.walk_packages(shared.__path__, "shared."):
    found.append(info.name)
    try:
        importlib.import_module(info.name)
    except BaseException:
        failed[info.name] = traceback.format_exc(limit=3)
    if config._current is not None and not reading:
        reading.append(info.name)
print(json.dumps({"found": found, "failed": failed, "reading": reading}))
"""


@pytest.fixture(scope="module")
def imported() -> dict[str, object]:
    """Every module under shared/, found by walking the package and imported in one fresh
    interpreter whose environment holds PATH only (``env -i PATH=...``)."""
    return run_fresh(IMPORT_ALL, {"PATH": os.environ.get("PATH", "/usr/bin:/bin")})


def test_every_module_of_shared_imports_without_any_environment_variable(
    imported: dict[str, object],
) -> None:
    found = imported["found"]
    assert isinstance(found, list) and len(found) > 30
    assert {"shared.config", "shared.store.models", "shared.protocol"} <= set(found)
    assert imported["failed"] == {}


def test_importing_any_module_of_shared_reads_no_settings(imported: dict[str, object]) -> None:
    assert imported["reading"] == []
