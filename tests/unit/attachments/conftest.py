"""Helpers of the attachment tests: reading the domain's bucket (the ``upload`` fixture,
which puts files where a grant would have let S3 put them, is in tests/unit/conftest.py)."""

from __future__ import annotations

from typing import Any

import boto3

from shared.attachments import bucket


def s3() -> Any:
    return boto3.client("s3", region_name="us-east-1")


def exists(key: str) -> bool:
    return bucket.head(key) is not None
