"""The AWS services the functions call, played by moto: DynamoDB and Secrets Manager.

Owns the moto process (`MotoDynamoDB`, running infra/services/moto_server.py), creating
the template's tables (with TTL) in whichever DynamoDB endpoint is used, and keeping the
local JWT signing secret in Secrets Manager.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from infra.services.processes import die_with_parent, free_port, wait_for_port
from infra.template.reader import Table

log = logging.getLogger("switchboard.services")
LOCAL_CREDENTIALS = {"aws_access_key_id": "local", "aws_secret_access_key": "local"}


class MotoDynamoDB:
    """A moto server playing DynamoDB and Secrets Manager, in its own process.

    Its own process: under load the gateway, the Management API and moto would
    otherwise share one interpreter (the emulator's CPU was the bottleneck at
    1,000 connections), and moto's state is then private to this emulator. It runs
    through infra/services/moto_server.py: moto's own server, with Query reading only the
    queried partition and the long-lived heap frozen after each full collection.
    """

    def __init__(self, host: str = "127.0.0.1", module: str = "infra.services.moto_server") -> None:
        self.host = host
        self.port = free_port(host)
        self.module = module  # a module whose main() serves moto (a benchmark's variant)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                self.module,
                "-H",
                self.host,
                "-p",
                str(self.port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=die_with_parent,
        )
        wait_for_port(self.host, self.port, timeout=30)

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


def local_jwt_secret(endpoint: str, region: str, stack_name: str, secret: str) -> str:
    """Keep the development JWT secret in moto's Secrets Manager, as a deployment keeps
    the real one in AWS's; returns its ARN (for the JwtSecretArn parameter)."""
    client = boto3.client(
        "secretsmanager", endpoint_url=endpoint, region_name=region, **LOCAL_CREDENTIALS
    )
    name = f"{stack_name}-local-jwt-secret"
    try:
        arn = client.create_secret(Name=name, SecretString=secret)["ARN"]
    except client.exceptions.ResourceExistsException:
        arn = client.describe_secret(SecretId=name)["ARN"]
        current = client.get_secret_value(SecretId=name)["SecretString"]
        if current != secret:
            client.put_secret_value(SecretId=name, SecretString=secret)
    return str(arn)


def dynamodb_client(endpoint: str, region: str) -> Any:  # boto3's methods are made at run time
    return boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(retries={"max_attempts": 2}),
        **LOCAL_CREDENTIALS,
    )


def create_tables(endpoint: str, region: str, tables: Iterable[Table]) -> None:
    """Create each missing table and enable its TTL."""
    client = dynamodb_client(endpoint, region)
    existing = set(client.list_tables()["TableNames"])
    for table in tables:
        if table.name not in existing:
            # ResourceInUse: created concurrently by another emulator sharing the endpoint.
            with contextlib.suppress(client.exceptions.ResourceInUseException):
                client.create_table(**table.create_kwargs)
            client.get_waiter("table_exists").wait(
                TableName=table.name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
            )
        if table.ttl_attribute:
            with contextlib.suppress(Exception):
                client.update_time_to_live(
                    TableName=table.name,
                    TimeToLiveSpecification={"Enabled": True, "AttributeName": table.ttl_attribute},
                )
        log.info("table %s ready", table.name)
