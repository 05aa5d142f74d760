"""The template's S3 buckets, kept in moto (the emulator's moto server plays S3 too).

Owns a path-style S3 client of moto (`s3_client`) and creating each bucket of the template
that moto does not hold yet (`create_buckets`). moto verifies no signature and no POST
policy: infra/gateway/s3_api.py, in front of it, does.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from infra.services.aws import LOCAL_CREDENTIALS
from infra.template.reader import Bucket

log = logging.getLogger("switchboard.services")


def s3_client(endpoint: str, region: str) -> Any:  # boto3's methods are made at run time
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=region,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            retries={"max_attempts": 2},
        ),
        **LOCAL_CREDENTIALS,
    )


def create_buckets(endpoint: str, region: str, buckets: Iterable[Bucket]) -> None:
    """Create each missing bucket (in `region`, as CloudFormation would)."""
    client = s3_client(endpoint, region)
    existing = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    for bucket in buckets:
        if bucket.name in existing:
            continue
        kwargs: dict[str, Any] = {"Bucket": bucket.name}
        if region != "us-east-1":
            kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
        # Created concurrently by another emulator sharing the endpoint: fine.
        with contextlib.suppress(client.exceptions.BucketAlreadyOwnedByYou):
            client.create_bucket(**kwargs)
        log.info("bucket %s ready", bucket.name)
