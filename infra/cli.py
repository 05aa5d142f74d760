"""The `switchboard` CLI: `local` runs the emulator, `token` mints development JWTs."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from infra.emulator import DEV_JWT_SECRET, REGION, Emulator, issue_local_token
from infra.runtime.async_invocations import DEFAULT_RETRY_DELAY


def _overrides(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise SystemExit(f"--parameter-overrides expects KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    local = commands.add_parser("local", help="run API Gateway + Lambda + DynamoDB + Redis locally")
    local.add_argument("--port", type=int, default=3001)
    local.add_argument(
        "--tls-port",
        type=int,
        default=0,
        help="port of the TLS Management API (default: a free port)",
    )
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--stage", default="local")
    local.add_argument("--template", default="template.yaml")
    local.add_argument(
        "--add-template",
        dest="snippets",
        action="append",
        default=[],
        metavar="PATH",
        help="a template snippet run as if pasted into the template (its code paths "
        "relative to its own folder), e.g. examples/push-notifications/template.yaml; "
        "repeatable",
    )
    local.add_argument("--parameter-overrides", nargs="*", default=[], metavar="KEY=VALUE")
    local.add_argument("--idle-timeout", type=float, default=600.0)
    local.add_argument("--max-connection-duration", type=float, default=7200.0)
    local.add_argument("--max-concurrency", type=int, default=4)
    local.add_argument(
        "--no-schedules",
        dest="schedules",
        action="store_false",
        help="do not run the template's EventBridge schedules",
    )
    local.add_argument(
        "--schedule-interval",
        type=float,
        default=None,
        metavar="SECONDS",
        help="run every schedule every SECONDS instead of at its own rate",
    )
    local.add_argument(
        "--async-retry-delay",
        type=float,
        default=DEFAULT_RETRY_DELAY,
        metavar="SECONDS",
        help="what stands for Lambda's 1-minute wait before retrying a failed asynchronous "
        f"invocation (retry k waits k * SECONDS; default {DEFAULT_RETRY_DELAY})",
    )
    local.add_argument(
        "--print-events",
        action="store_true",
        help="log every event put to EventBridge (bus, source, detail-type, matched rules, "
        "detail), one line each, even with --quiet",
    )
    local.add_argument("--quiet", action="store_true", help="do not relay function logs")
    local.add_argument(
        "--jwt-secret",
        default=DEV_JWT_SECRET,
        help="HS256 secret of the local tokens (kept in the local Secrets Manager)",
    )
    token = commands.add_parser("token", help="print a JWT for USER (local development secret)")
    token.add_argument("user")
    token.add_argument("--expires-in", type=int, default=24 * 3600)
    token.add_argument("--secret", default=DEV_JWT_SECRET)
    return parser


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """The (unstarted) emulator that `switchboard local ARGS` runs."""
    if args.schedule_interval is not None and args.schedule_interval <= 0:
        raise SystemExit("--schedule-interval must be positive")
    if args.async_retry_delay < 0:
        raise SystemExit("--async-retry-delay must not be negative")
    return Emulator(
        args.template,
        host=args.host,
        port=args.port,
        tls_port=args.tls_port,
        stage=args.stage,
        parameter_overrides=_overrides(args.parameter_overrides),
        idle_timeout=args.idle_timeout,
        max_connection_duration=args.max_connection_duration,
        max_concurrency=args.max_concurrency,
        schedules=args.schedules,
        schedule_interval=args.schedule_interval,
        jwt_secret=args.jwt_secret,
        async_retry_delay=args.async_retry_delay,
        print_events=args.print_events,
        snippets=args.snippets,
    )


def _templates_line(emulator: Emulator) -> str:
    return " + ".join(str(path) for path in [emulator.template_path, *emulator.snippets])


def _schedules_line(emulator: Emulator) -> str:
    schedules = emulator.template.schedules if emulator.template else []
    if not schedules:
        return "none"
    if not emulator.schedules:
        return f"{len(schedules)} (timers off: --no-schedules)"
    line = ", ".join(
        f"{s.function_id} {s.expression}" + ("" if s.enabled else " (disabled)") for s in schedules
    )
    if emulator.schedule_interval is not None:
        line += f"   (all every {emulator.schedule_interval:g}s: --schedule-interval)"
    return line


def _credentials_line(emulator: Emulator) -> str:
    """The stack owner's credentials, as the AWS_* variables a shell or SDK takes."""
    c = emulator.credentials
    return (
        f"AWS_ACCESS_KEY_ID={c.access_key_id} AWS_SECRET_ACCESS_KEY={c.secret_access_key} "
        f"AWS_SESSION_TOKEN={c.session_token} AWS_REGION={REGION}"
    )


def _retry_line(emulator: Emulator) -> str:
    delay = emulator.async_retry_delay
    return f"{delay:g}s, {2 * delay:g}s (Lambda: 1, 2 minutes)"


def _queues_line(emulator: Emulator) -> str:
    queues = emulator.template.queues if emulator.template else {}
    return ", ".join(q.name for q in queues.values()) or "none"


def _streams_line(emulator: Emulator) -> str:
    """Each DynamoDB stream mapping: table -> function (batch size, filters, state)."""
    template = emulator.template
    if template is None or not template.stream_sources:
        return "none"
    parts = []
    for source in template.stream_sources:
        table = template.tables[source.table_id].name
        notes = [f"batch {source.batch_size}", source.starting_position]
        if source.filters:
            notes.append(f"{len(source.filters)} filter(s)")
        if not source.enabled:
            notes.append("disabled")
        parts.append(f"{table} -> {source.function_id} ({', '.join(notes)})")
    return "\n                    ".join(parts)


def _buses_line(emulator: Emulator) -> str:
    buses = ", ".join(emulator.template.event_buses if emulator.template else [])
    shown = "every event logged" if emulator.print_events else "--print-events logs each event"
    return f"buses: {buses}   ({shown})"


def _rules_line(emulator: Emulator) -> str:
    """Each EventBridge rule: bus/name -> its target functions."""
    template = emulator.template
    if template is None or not template.event_rules:
        return "none"
    parts = []
    for rule in template.event_rules:
        targets = ", ".join(t.function_id for t in rule.targets)
        state = "" if rule.enabled else " (disabled)"
        parts.append(f"{rule.bus}/{rule.name} -> {targets}{state}")
    return "\n                    ".join(parts)


def _run_local(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
        datefmt="%H:%M:%S",
    )
    if args.print_events:  # their lines show even under --quiet's WARNING
        logging.getLogger("switchboard.events").setLevel(logging.INFO)
    emulator = emulator_from_args(args)
    # `kill` (SIGTERM) stops it as cleanly as Ctrl-C: workers, redis-server, moto.
    signal.signal(signal.SIGTERM, _interrupt)
    emulator.start()
    try:
        print(
            f"""
Switchboard local emulator ({_templates_line(emulator)})
  WebSocket:        {emulator.websocket_url}?token=<JWT>
  REST API:         {emulator.rest_url}
  Demo chat page:   http://{emulator.host}:{emulator.port}/   (development only: any user signs in)
  Management API:   {emulator.management_url}   (TLS, CA bundle {emulator.ca_bundle})
                    {emulator.management_url_plain}
  Lambda API:       {emulator.lambda_url}   (AWS_ENDPOINT_URL_LAMBDA of every function)
                    Event retries after {_retry_line(emulator)}
  AWS credentials:  {_credentials_line(emulator)}
                    (the stack owner's, allowed everything: sign Lambda API and AWS_IAM calls)
  DynamoDB:         {emulator.dynamodb_endpoint}
  SQS:              {emulator.aws_endpoint}   (queues: {_queues_line(emulator)})
  EventBridge:      {emulator.lambda_url}   (PutEvents: AWS_ENDPOINT_URL_EVENTBRIDGE)
                    {_buses_line(emulator)}
  Event rules:      {_rules_line(emulator)}
  Stream sources:   {_streams_line(emulator)}
  Redis:            {emulator.redis_url}
  Schedules:        {_schedules_line(emulator)}
  Mint a token:     switchboard token USER   (secret: {emulator.jwt_secret})
Press Ctrl-C to stop.
""",
            flush=True,
        )
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping...", file=sys.stderr)
    finally:
        emulator.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        print(issue_local_token(args.user, args.secret, args.expires_in))
        return 0
    return _run_local(args)


if __name__ == "__main__":
    sys.exit(main())
