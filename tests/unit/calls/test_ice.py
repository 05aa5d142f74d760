"""shared.calls.ice: STUN as configured; TURN credentials in the shared-secret REST scheme."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

import boto3
import pytest

from shared import config
from shared.calls import ice


def test_turn_credentials_are_the_expiry_and_user_signed_with_hmac_sha1() -> None:
    username, password = ice.turn_credentials("bob", "s3cret", 1_800_000_000)
    assert username == "1800000000:bob"
    expected = hmac.new(b"s3cret", b"1800000000:bob", hashlib.sha1).digest()
    assert base64.b64decode(password) == expected


def test_without_configuration_there_are_no_ice_servers(domain: config.Settings) -> None:
    assert ice.servers("bob") == []


def test_stun_and_turn_servers_with_credentials_valid_for_the_configured_time(
    domain: config.Settings, configure: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared import clock

    monkeypatch.setattr(clock, "now_s", lambda: 1_000)
    configure(
        stun_urls=("stun:stun.example.com:3478",),
        turn_urls=("turn:turn.example.com:3478", "turns:turn.example.com:5349"),
        turn_secret="s3cret",
        turn_credential_seconds=600,
    )
    stun, turn = ice.servers("bob")
    assert stun == {"urls": ["stun:stun.example.com:3478"]}
    assert turn["urls"] == ["turn:turn.example.com:3478", "turns:turn.example.com:5349"]
    assert (turn["username"], turn["credential"]) == ice.turn_credentials("bob", "s3cret", 1_600)


def test_the_turn_secret_is_read_from_secrets_manager(
    domain: config.Settings, configure: Any
) -> None:
    arn = boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=f"turn-{domain.messages_table}", SecretString="from-the-vault"
    )["ARN"]
    configure(turn_urls=("turn:turn.example.com:3478",), turn_secret_arn=arn)
    [turn] = ice.servers("bob")
    expires = int(turn["username"].split(":")[0])
    assert turn["credential"] == ice.turn_credentials("bob", "from-the-vault", expires)[1]
