"""The API Gateway Management API: POST/GET/DELETE `/{stage}/@connections/{connectionId}`.

SigV4 signatures are accepted unchecked. Errors use API Gateway's rest-json shape
(`x-amzn-ErrorType` header) so that boto3 raises its modelled exceptions.
"""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from infra.gateway.connections import Registry
from infra.gateway.events import iso8601
from infra.gateway.traffic import Traffic
from infra.gateway.websocket_api import MAX_MESSAGE_BYTES
from infra.runtime.faults import FaultPlan


def _error(status: int, error_type: str, message: str | None) -> Response:
    return Response(
        json.dumps({"message": message}),
        status_code=status,
        media_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


def gone() -> Response:
    return _error(410, "GoneException", None)


class ManagementApi:
    def __init__(
        self, registry: Registry, faults: FaultPlan | None = None, traffic: Traffic | None = None
    ) -> None:
        self.registry = registry
        self.faults = faults
        self.traffic = traffic or Traffic()  # posts delivered, GETs and DELETEs (traffic.py)

    async def _fault(self, connection_id: str) -> Response | None:
        """A planned fault for this POST: hang first, then its error (None: answer normally)."""
        fault = self.faults.take_management(connection_id) if self.faults else None
        if fault is None:
            return None
        if fault.delay > 0:
            await asyncio.sleep(fault.delay)
        if fault.status is None or fault.error_type is None:
            return None
        message = None if fault.status == 410 else f"injected fault ({fault.status})"
        return _error(fault.status, fault.error_type, message)

    async def handle(self, request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        method = request.method
        if method == "POST":
            body = await request.body()
            injected = await self._fault(connection_id)
            if injected is not None:
                return injected
            if len(body) > MAX_MESSAGE_BYTES:
                return _error(
                    413,
                    "PayloadTooLargeException",
                    f"Request entity too large: max {MAX_MESSAGE_BYTES} bytes",
                )
            connection = self.registry.live(connection_id)
            if connection is None:
                return gone()
            text = body.decode("utf-8", errors="replace")
            if not await connection.send_text(text):
                return gone()
            self.traffic.posted(text)
            connection.touch()
            return Response(status_code=200)
        self.traffic.asked(method)
        connection = self.registry.live(connection_id)
        if connection is None:
            return gone()
        if method == "GET":
            info = connection.info
            return JSONResponse(
                {
                    "connectedAt": iso8601(info.connected_at),
                    "identity": {"sourceIp": info.source_ip, "userAgent": info.user_agent},
                    "lastActiveAt": iso8601(connection.last_active_at),
                }
            )
        if method == "DELETE":
            await connection.close(1000, "")
            return Response(status_code=204)
        return _error(405, "MethodNotAllowedException", "Method not allowed")
