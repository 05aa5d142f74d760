"""The demo chat page the emulator serves at `/` (DEVELOPMENT ONLY).

Routes, next to the stage and `/api` on the emulator's port:

- `GET /`             the page (web/index.html)
- `GET /web/...`      its static files (web/: demo.js and its modules in demo/, demo.css)
- `GET /web/client/...`  the JS client package's modules (clients/js/src), which the page
                      imports as `@switchboard/client` (an import map in index.html)
- `GET /dev/config`   `{"websocketUrl", "restUrl", "stage"}` as seen from the browser
- `POST /dev/token`   `{"userId": "alice"}` -> `{"userId", "token", "expiresIn"}`

`/dev/token` mints a JWT for ANY user id with the emulator's local HS256 secret (the
one it keeps in its local Secrets Manager, read through the same function
environment the authorizer verifies with, issuer and audience included). It is
what lets the page offer a user picker instead of a login: anybody who can reach
the port can be anybody. It exists only in the local emulator (infra/), never in
a deployment, and refuses to work when tokens are verified against a JWKS URL.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import boto3
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from infra.runtime.pools import LambdaRuntime
from infra.services.aws import LOCAL_CREDENTIALS
from infra.template.reader import Template

WEB_DIR = Path(__file__).resolve().parents[1] / "web"
CLIENT_DIR = Path(__file__).resolve().parents[1] / "clients" / "js" / "src"
TOKEN_SECONDS = 12 * 3600
SECRET_CACHE_SECONDS = 30
NO_STORE = {"cache-control": "no-store"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code, "message": message}}, status_code=status, headers=NO_STORE
    )


def _jwt_environment(template: Template) -> dict[str, str]:
    """The JWT settings of the function that verifies tokens at `$connect` (else of any
    function that verifies tokens): what a minted token has to satisfy."""
    api = template.websocket_api
    if api is not None:
        for route in api.routes.values():
            if route.authorizer is not None:
                function = template.functions.get(route.authorizer.function_id)
                if function is not None:
                    return dict(function.environment)
    for function in template.functions.values():
        if "JWT_SECRET_ARN" in function.environment or "JWT_JWKS_URL" in function.environment:
            return dict(function.environment)
    return {}


class DevTokens:
    """Mints development tokens with the secret the emulator's functions verify against."""

    def __init__(self, template: Template, runtime: LambdaRuntime) -> None:
        self.env = _jwt_environment(template)
        self.runtime = runtime
        self._lock = threading.Lock()
        self._cached: tuple[float, str] | None = None

    def unavailable(self) -> str | None:
        """Why no token can be minted here, or None."""
        algorithms = [a.strip() for a in self.env.get("JWT_ALGORITHMS", "HS256").split(",")]
        if self.env.get("JWT_JWKS_URL") or "HS256" not in algorithms:
            return "tokens are verified against a JWKS URL here, not the local HS256 secret"
        if not self.env.get("JWT_SECRET_ARN"):
            return "the template declares no JWT secret"
        return None

    def _secret(self) -> str:
        with self._lock:
            if self._cached and time.monotonic() - self._cached[0] < SECRET_CACHE_SECONDS:
                return self._cached[1]
        extra = self.runtime.settings.extra_environment or {}
        client: Any = boto3.client(
            "secretsmanager",
            region_name=self.runtime.settings.region,
            endpoint_url=extra.get("AWS_ENDPOINT_URL_SECRETS_MANAGER") or None,
            **LOCAL_CREDENTIALS,
        )
        secret = str(client.get_secret_value(SecretId=self.env["JWT_SECRET_ARN"])["SecretString"])
        with self._lock:
            self._cached = (time.monotonic(), secret)
        return secret

    def mint(self, user_id: str) -> str:
        from shared.auth import issue_token

        return issue_token(
            user_id,
            self._secret(),
            expires_in=TOKEN_SECONDS,
            issuer=self.env.get("JWT_ISSUER") or None,
            audience=self.env.get("JWT_AUDIENCE") or None,
        )


def demo_routes(template: Template, runtime: LambdaRuntime, stage: str) -> list[BaseRoute]:
    """The page, its files and the development endpoints (see the module docstring)."""
    tokens = DevTokens(template, runtime)

    async def index(request: Request) -> Response:
        page = WEB_DIR / "index.html"
        if not page.is_file():
            return _error(404, "not_found", f"no demo page at {page}")
        return FileResponse(page, headers=NO_STORE)

    async def config(request: Request) -> JSONResponse:
        host = request.headers.get("host") or f"{request.url.hostname}:{request.url.port}"
        secure = request.url.scheme in ("https", "wss")
        return JSONResponse(
            {
                "websocketUrl": f"{'wss' if secure else 'ws'}://{host}/{stage}",
                "restUrl": f"{'https' if secure else 'http'}://{host}/api",
                "stage": stage,
                "devTokens": tokens.unavailable() is None,
            },
            headers=NO_STORE,
        )

    async def token(request: Request) -> JSONResponse:
        from shared.protocol import is_id

        why = tokens.unavailable()
        if why is not None:
            return _error(501, "not_available", why)
        try:
            body = await request.json()
        except ValueError:
            body = None
        user_id = body.get("userId") if isinstance(body, dict) else None
        if not isinstance(user_id, str) or not is_id(user_id):
            return _error(
                400, "bad_request", "userId: 1-128 characters of A-Z a-z 0-9 _ . : @ | + = -"
            )
        minted = await run_in_threadpool(tokens.mint, user_id)
        return JSONResponse(
            {"userId": user_id, "token": minted, "expiresIn": TOKEN_SECONDS}, headers=NO_STORE
        )

    return [
        Route("/", index, methods=["GET", "HEAD"]),
        Route("/dev/config", config, methods=["GET"]),
        Route("/dev/token", token, methods=["POST"]),
        Mount("/web/client", app=StaticFiles(directory=CLIENT_DIR, check_dir=False), name="client"),
        Mount("/web", app=StaticFiles(directory=WEB_DIR, check_dir=False), name="web"),
    ]
