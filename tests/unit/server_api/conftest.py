"""The server API's tests share the manager's: a local Management API (``gateway``) and a
chat of alice (two devices) and bob (one) beside carol (in no chat), all live."""

from __future__ import annotations

from tests.unit.test_manager import chat_id, gateway, live

__all__ = ["chat_id", "gateway", "live"]
