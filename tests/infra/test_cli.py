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


def test_cli_async_retry_delay(emulator: Emulator) -> None:
    def build(*argv: str) -> Emulator:
        return cli.emulator_from_args(cli._parser().parse_args(["local", *argv]))

    assert build().async_retry_delay == 0.2
    assert build("--async-retry-delay", "0.05").async_retry_delay == 0.05
    with pytest.raises(SystemExit):
        build("--async-retry-delay", "-1")
    # What `switchboard local` prints beside the Lambda API's URL.
    assert cli._retry_line(emulator) == "0.2s, 0.4s (Lambda: 1, 2 minutes)"
    assert cli._queues_line(emulator) == (
        "switchboard-DeliveryDeadLetterQueue, switchboard-aging-dlq, switchboard-WorkQueue, "
        "switchboard-StreamDeadLetterQueue"
    )


def test_cli_events_and_streams(emulator: Emulator) -> None:
    def build(*argv: str) -> Emulator:
        return cli.emulator_from_args(cli._parser().parse_args(["local", *argv]))

    assert build().print_events is False
    assert build("--print-events").print_events is True
    # What `switchboard local` prints about EventBridge and the stream mappings.
    assert cli._buses_line(emulator) == (
        "buses: default, switchboard-fixture-bus   (--print-events logs each event)"
    )
    rules = cli._rules_line(emulator).split("\n")
    assert rules[0] == (
        "switchboard-fixture-bus/switchboard-FixtureRule -> "
        "EventTargetFunction, EventDetailFunction"
    )
    assert rules[-1].strip() == (
        "default/switchboard-EventDetailFunctionPaused -> EventDetailFunction (disabled)"
    )
    streams = [line.strip() for line in cli._streams_line(emulator).split("\n")]
    assert streams == [
        "switchboard-StreamTable -> StreamRecorderFunction (batch 10, LATEST, 1 filter(s))",
        "switchboard-StreamTable -> StreamPartialFunction (batch 5, TRIM_HORIZON, 1 filter(s))",
        "switchboard-StreamTable -> StreamPartialFunction (batch 100, LATEST, disabled)",
    ]


def test_the_banner_gives_the_stack_owners_credentials(emulator: Emulator) -> None:
    assert cli._credentials_line(emulator) == (
        "AWS_ACCESS_KEY_ID=ASIALOCALEMULATOR000 "
        "AWS_SECRET_ACCESS_KEY=local-emulator-secret-access-key "
        "AWS_SESSION_TOKEN=local-emulator-session-token AWS_REGION=us-east-1"
    )


def test_add_template_is_repeatable_and_named_in_the_banner() -> None:
    args = cli._parser().parse_args(
        ["local", "--add-template", "a/one.yaml", "--add-template", "b/two.yaml"]
    )
    emulator = cli.emulator_from_args(args)
    assert [p.parts[-2:] for p in emulator.snippets] == [("a", "one.yaml"), ("b", "two.yaml")]
    assert cli._templates_line(emulator).count(" + ") == 2
    assert cli.emulator_from_args(cli._parser().parse_args(["local"])).snippets == []
