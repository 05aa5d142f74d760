"""The `switchboard` CLI: `token` mints development JWTs, `local` builds the emulator."""

from __future__ import annotations

import json

import jwt
import pytest

from infra import cli
from infra.emulator import DEV_JWT_SECRET, Emulator


def test_token(emulator: Emulator, capsys: pytest.CaptureFixture[str]) -> None:
    claims = jwt.decode(emulator.token("alice"), emulator.jwt_secret, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert cli.main(["token", "bob", "--expires-in", "60"]) == 0
    printed = capsys.readouterr().out.strip()
    assert jwt.decode(printed, DEV_JWT_SECRET, algorithms=["HS256"])["sub"] == "bob"
    assert json.dumps(claims)


def test_cli_schedule_options() -> None:
    def build(*argv: str) -> Emulator:
        return cli.emulator_from_args(cli._parser().parse_args(["local", *argv]))

    default = build()
    assert default.schedules is True and default.schedule_interval is None
    tuned = build("--no-schedules", "--schedule-interval", "2.5")
    assert tuned.schedules is False and tuned.schedule_interval == 2.5
    with pytest.raises(SystemExit):
        build("--schedule-interval", "0")
