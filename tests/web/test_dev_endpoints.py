"""The emulator's demo routes (infra/demo.py), over HTTP: the page, its files, the
configuration and the development tokens (which the REST API and the WebSocket accept)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from infra.demo import DevTokens
from tests.wsclient import ChatClient


@pytest.fixture(scope="module")
def site(emulator: Any) -> Any:
    with httpx.Client(base_url=f"http://127.0.0.1:{emulator.port}", timeout=30) as client:
        yield client


def test_page_and_files_are_served(site: httpx.Client) -> None:
    page = site.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/web/demo.js">' in page.text
    for name in ("client/index.js", "demo.js"):
        script = site.get(f"/web/{name}")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]  # ES modules need it
    assert site.get("/web/demo.css").headers["content-type"].startswith("text/css")
    assert site.get("/web/nope.js").status_code == 404


def test_config_points_at_the_stage_and_the_rest_api(site: httpx.Client, emulator: Any) -> None:
    config = site.get("/dev/config").json()
    host = f"127.0.0.1:{emulator.port}"
    assert config == {
        "websocketUrl": f"ws://{host}/{emulator.stage}",
        "restUrl": f"http://{host}/api",
        "stage": emulator.stage,
        "devTokens": True,
    }


def test_a_dev_token_opens_the_rest_api_and_the_websocket(
    site: httpx.Client, emulator: Any, user: Any
) -> None:
    alice = user("alice")
    answer = site.post("/dev/token", json={"userId": alice})
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    token = answer.json()["token"]
    assert answer.json()["userId"] == alice
    chats = site.get("/api/chats", headers={"authorization": f"Bearer {token}"})
    assert chats.status_code == 200, chats.text
    with ChatClient(emulator.websocket_url, token) as client:
        assert client.request("hello", timeout=30)["data"]["userId"] == alice


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"userId": ""},
        {"userId": "a b"},
        {"userId": 7},
        {"userId": "x" * 129},
        ["alice"],
        "alice",
    ],
)
def test_a_dev_token_needs_a_valid_user_id(site: httpx.Client, body: Any) -> None:
    answer = site.post("/dev/token", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "bad_request"


def test_no_dev_tokens_where_tokens_are_verified_against_a_jwks_url() -> None:
    def tokens(environment: dict[str, str]) -> DevTokens:
        function = SimpleNamespace(environment=environment)
        template = SimpleNamespace(websocket_api=None, functions={"Api": function})
        return DevTokens(template, runtime=None)  # type: ignore[arg-type]

    assert tokens({"JWT_SECRET_ARN": "arn:secret", "JWT_ALGORITHMS": "HS256"}).unavailable() is None
    assert "JWKS" in (
        tokens({"JWT_JWKS_URL": "https://idp/jwks.json", "JWT_ALGORITHMS": "RS256"}).unavailable()
        or ""
    )
    assert tokens({"JWT_SECRET_ARN": "arn:secret", "JWT_ALGORITHMS": "RS256"}).unavailable()
    assert tokens({"JWT_ALGORITHMS": "HS256"}).unavailable()
