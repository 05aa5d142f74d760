"""A delivery job: what one invocation of the delivery function is asked to post.

A fan-out larger than the inline limit is cut into jobs and handed to the
delivery function (shared/delivery/handover.py), which runs each one
(shared/delivery/worker.py). A job carries the frame and the stage endpoint, and
its recipients in one of three forms:

- ``connections``: a batch of connection ids to post to (at most the batch size);
- ``room`` (with ``after``/``between``): the rest of a room, read page by page from
  the key ``after``, connection ids within ``between``;
- ``segment``: one of the parallel Scan segments of the connections table (a
  broadcast to everyone).

``exclude`` (connection ids) and ``excludeUser`` leave recipients out of a room or
segment, as the producer would have. The payload is versioned (``v``) so that a
deployment that changes it can tell old jobs still in flight from new ones.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from shared import errors

VERSION = 1


@dataclass(frozen=True)
class Job:
    frame: str
    endpoint: str
    connections: tuple[str, ...] = ()
    room: str | None = None
    after: dict[str, Any] | None = None
    between: tuple[str, str] | None = None
    segment: tuple[int, int] | None = None  # (segment, total segments)
    exclude: tuple[str, ...] = ()
    exclude_user: str | None = None

    def wants(self, connection_id: str, user_id: str | None = None) -> bool:
        """Whether a connection read from a room or segment is a recipient."""
        if connection_id in self.exclude:
            return False
        return self.exclude_user is None or user_id != self.exclude_user

    def to_payload(self) -> bytes:
        body: dict[str, Any] = {"v": VERSION, "frame": self.frame, "endpoint": self.endpoint}
        if self.connections:
            body["connections"] = list(self.connections)
        if self.room is not None:
            body["room"] = self.room
        if self.after is not None:
            body["after"] = self.after
        if self.between is not None:
            body["between"] = list(self.between)
        if self.segment is not None:
            body["segment"] = list(self.segment)
        if self.exclude:
            body["exclude"] = list(self.exclude)
        if self.exclude_user is not None:
            body["excludeUser"] = self.exclude_user
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def from_payload(cls, body: Any) -> Job:
        """The job an invocation carries; errors.Invalid when it is not one."""
        if not isinstance(body, dict) or body.get("v") != VERSION:
            raise errors.Invalid("not a delivery job of this version")
        frame, endpoint = body.get("frame"), body.get("endpoint")
        if not isinstance(frame, str) or not isinstance(endpoint, str) or not endpoint:
            raise errors.Invalid("a delivery job needs a frame and an endpoint")
        connections = _strings(body.get("connections", []), "connections")
        exclude = _strings(body.get("exclude", []), "exclude")
        room = body.get("room")
        segment = body.get("segment")
        between = body.get("between")
        after = body.get("after")
        exclude_user = body.get("excludeUser")
        if room is not None and not isinstance(room, str):
            raise errors.Invalid("room must be a string")
        if after is not None and not isinstance(after, dict):
            raise errors.Invalid("after must be a key")
        if between is not None:
            between = _strings(between, "between")
            if len(between) != 2:
                raise errors.Invalid("between must be two bounds")
        if segment is not None:
            if not (
                isinstance(segment, list)
                and len(segment) == 2
                and all(type(n) is int for n in segment)
                and 0 <= segment[0] < segment[1]
            ):
                raise errors.Invalid("segment must be [segment, total]")
            segment = (segment[0], segment[1])
        if exclude_user is not None and not isinstance(exclude_user, str):
            raise errors.Invalid("excludeUser must be a string")
        if not connections and room is None and segment is None:
            raise errors.Invalid("a delivery job needs recipients")
        return cls(
            frame,
            endpoint,
            connections,
            room,
            after,
            (between[0], between[1]) if between is not None else None,
            segment,
            exclude,
            exclude_user,
        )


def _strings(value: Any, name: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise errors.Invalid(f"{name} must be a list of strings")
    return tuple(value)
