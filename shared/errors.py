"""Domain exceptions: what the domain refuses, named by kind, never by wire code.

The store, state, lifecycle and action layers raise these; the edges map each
kind once: the event function to an ``error`` frame's code
(``shared/actions/dispatch.py``: ``ERROR_CODES``), the REST app to an HTTP
status and code (``shared/rest/app.py``: ``STATUSES``). A request that fails
to parse raises ``shared.protocol.ProtocolError``, an ``Invalid`` that carries
its wire code itself.
"""

from __future__ import annotations


class DomainError(Exception):
    """A request the domain refuses; ``message`` is safe to show its sender."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    """The request is malformed or breaks a documented limit."""


class TooLarge(Invalid):
    """The request body is over its size limit."""


class Unauthorized(DomainError):
    """No authenticated user stands behind the request."""


class Forbidden(DomainError):
    """The user may not do this (not a member, not the author, not an admin)."""


class NotFound(DomainError):
    """No such chat, message, member or user, as far as this caller may know."""


class Conflict(DomainError):
    """The request contradicts the current state (e.g. a message's emoji cap)."""


class Internal(DomainError):
    """A fault of ours the caller cannot fix (a route deployed without its authorizer)."""
