"""Old home of `infra.gateway.events`, kept so that imports from other branches still work.

tests/functions and tests/shared (being restructured elsewhere) import the event builders
from here; once they import `infra.gateway.events`, delete this module.
"""

from infra.gateway.events import (
    WebSocketConnectionInfo,
    connect_event,
    disconnect_event,
    gateway_id,
    http_api_event,
    message_event,
)

__all__ = [
    "WebSocketConnectionInfo",
    "connect_event",
    "disconnect_event",
    "gateway_id",
    "http_api_event",
    "message_event",
]
