"""The Management API's botocore client for the rare calls (GET, DELETE): made once per
endpoint, counted, and light: a function that only asks about or closes connections
(the sweeper, closing a user's sessions) never imports the fan-out poster's asyncio."""

from __future__ import annotations

import os

import pytest

from shared.delivery import management_client
from tests.interpreter import ROOT, run_fresh

MAKE_CLIENT = """
import json, sys
from shared.delivery import management_client
from functions.sweeper import app  # noqa: F401  (the sweeper's own imports)
management_client.client("https://example.execute-api.us-east-1.amazonaws.com/prod")
print(json.dumps({m: m in sys.modules for m in ("asyncio", "shared.delivery.management_api")}))
"""


def test_a_client_is_made_once_per_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # Lambda sets AWS_REGION
    first = management_client.client("http://127.0.0.1:9/a")
    assert management_client.client("http://127.0.0.1:9/a") is first
    assert management_client.client("http://127.0.0.1:9/b") is not first
    assert first.meta.endpoint_url == "http://127.0.0.1:9/a"


def test_making_one_imports_neither_asyncio_nor_the_fan_out_poster() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "AWS_DEFAULT_REGION": "us-east-1"}
    loaded = run_fresh(MAKE_CLIENT, env)
    assert loaded == {"asyncio": False, "shared.delivery.management_api": False}
