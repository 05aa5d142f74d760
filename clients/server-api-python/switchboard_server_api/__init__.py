"""A typed helper for Switchboard's server API (docs/server-api.md).

``ServerApi.over_lambda(function)`` invokes ``ServerApiFunction`` with botocore's Lambda
client; ``ServerApi.over_https(url)`` posts to ``{url}/server/{command}`` signed with
SigV4 (service ``execute-api``). Both use the process's AWS credentials (or the botocore
session given) and give the same answers: each method returns the command's result, or
raises ``ServerApiError`` with the server's code. One method per command, named as the
command in snake case; ``call`` sends any command by name.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Literal, NotRequired, TypedDict

import botocore.session
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.exceptions import ClientError

__all__ = [
    "Chat",
    "ChatUser",
    "Fanout",
    "Message",
    "ServerApi",
    "ServerApiError",
    "Stats",
]

Role = Literal["member", "admin"]
Transport = Callable[[str, dict[str, Any]], Any]


class Fanout(TypedDict):
    """How a push went: posts delivered, connections found gone, posts failed; for a large
    audience, how many connections and delivery jobs were handed over."""

    delivered: int
    gone: int
    failed: int
    handedOver: NotRequired[int]
    jobs: NotRequired[int]


class Stats(TypedDict):
    connections: int
    onlineUsers: int | None
    stages: dict[str, int]
    source: str


class ChatUser(TypedDict):
    userId: str
    status: str


class Chat(TypedDict):
    id: str
    name: str | None
    createdBy: str
    createdAt: str
    members: list[str]


class Message(TypedDict):
    id: str
    chatId: str
    senderId: str
    body: str | None
    createdAt: str
    clientMessageId: str
    version: int
    editedAt: str | None
    deleted: bool
    reactions: dict[str, Any]


class ServerApiError(Exception):
    """A refused call: the server's ``code`` and ``message``; ``status`` is the HTTP
    status over HTTPS (None over Lambda). API Gateway's own refusals (IAM) are
    ``forbidden``/``unauthorized``; a Lambda service refusal keeps its error type
    (``AccessDeniedException``...) as the code."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _answer(answer: Any, status: int | None) -> Any:
    if isinstance(answer, dict) and answer.get("ok") is True:
        return answer.get("result")
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        error = answer["error"]
        raise ServerApiError(str(error.get("code")), str(error.get("message")), status)
    said = (
        next((answer[k] for k in ("message", "Message") if k in answer), None)
        if isinstance(answer, dict)
        else None
    )
    if said is not None:  # API Gateway's own answer (it spells the key both ways)
        code = {401: "unauthorized", 403: "forbidden"}.get(status or 0, "gateway_error")
        raise ServerApiError(code, str(said), status)
    raise ServerApiError("internal_error", f"unexpected answer {answer!r}", status)


def _lambda_transport(function: str, client: Any) -> Transport:
    def send(command: str, args: dict[str, Any]) -> Any:
        payload = json.dumps({"command": command, "args": args})
        try:
            response = client.invoke(FunctionName=function, Payload=payload.encode())
        except ClientError as refused:
            error = refused.response.get("Error", {})
            raise ServerApiError(
                str(error.get("Code")),
                str(error.get("Message")),
                refused.response.get("ResponseMetadata", {}).get("HTTPStatusCode"),
            ) from refused
        body = response["Payload"].read()
        if response.get("FunctionError"):
            raise ServerApiError("internal_error", body.decode("utf-8", "replace"))
        return _answer(json.loads(body), None)

    return send


def _https_transport(url: str, region: str, session: Any, timeout: float) -> Transport:
    base = url.rstrip("/")

    def send(command: str, args: dict[str, Any]) -> Any:
        credentials = session.get_credentials()
        if credentials is None:
            raise ServerApiError("unauthorized", "no AWS credentials to sign with")
        body = json.dumps(args).encode()
        url = f"{base}/server/{command}"
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"content-type": "application/json"},
        )
        SigV4Auth(credentials.get_frozen_credentials(), "execute-api", region).add_auth(request)
        outgoing = urllib.request.Request(
            url, data=body, headers=dict(request.headers.items()), method="POST"
        )
        try:
            with urllib.request.urlopen(outgoing, timeout=timeout) as response:  # noqa: S310
                return _answer(json.loads(response.read()), response.status)
        except urllib.error.HTTPError as refused:
            raw = refused.read()
            try:
                answer = json.loads(raw)
            except ValueError:
                answer = {"message": raw.decode("utf-8", "replace")}
            return _answer(answer, refused.code)

    return send


_REGION_IN_HOST = re.compile(r"\.execute-api\.([a-z0-9-]+)\.amazonaws\.com")


class ServerApi:
    """Switchboard's server API, one method per command."""

    def __init__(self, transport: Transport) -> None:
        self._send = transport

    @classmethod
    def over_lambda(
        cls,
        function: str,
        *,
        session: botocore.session.Session | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        timeout: float = 30.0,
    ) -> ServerApi:
        """Invoke ``function`` (the ServerApiFunction's name or ARN; the stack's
        ``ServerApiFunctionArn`` output). ``endpoint_url``: a local emulator's."""
        session = session or botocore.session.get_session()
        client = session.create_client(
            "lambda",
            region_name=region,
            endpoint_url=endpoint_url,
            # No automatic retry: an invocation whose answer was lost may have run, and
            # only some commands are safe to repeat (docs/server-api.md says which).
            config=Config(read_timeout=timeout, retries={"total_max_attempts": 1}),
        )
        return cls(_lambda_transport(function, client))

    @classmethod
    def over_https(
        cls,
        url: str,
        *,
        session: botocore.session.Session | None = None,
        region: str | None = None,
        timeout: float = 30.0,
    ) -> ServerApi:
        """POST to the HTTP API at ``url`` (the stack's ``HttpApiUrl``), signed with the
        session's credentials; the region defaults to the URL's, else the session's."""
        session = session or botocore.session.get_session()
        found = _REGION_IN_HOST.search(url)
        region = (
            region or (found.group(1) if found else None) or session.get_config_variable("region")
        )
        if not region:
            raise ValueError("no region: pass region= or use the API's execute-api URL")
        return cls(_https_transport(url, str(region), session, timeout))

    def call(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """Any command by name; its result, or ServerApiError."""
        return self._send(command, args or {})

    # ---------------------------------------------------------------- pushing

    def broadcast_to_chat(
        self, chat_id: str, event: str, data: Any, *, exclude_user_id: str | None = None
    ) -> Fanout:
        args: dict[str, Any] = {"chatId": chat_id, "event": event, "data": data}
        if exclude_user_id is not None:
            args["excludeUserId"] = exclude_user_id
        result: Fanout = self.call("broadcastToChat", args)
        return result

    def send_to_user(self, user_id: str, event: str, data: Any) -> Fanout:
        result: Fanout = self.call("sendToUser", {"userId": user_id, "event": event, "data": data})
        return result

    def broadcast(self, event: str, data: Any) -> Fanout:
        result: Fanout = self.call("broadcast", {"event": event, "data": data})
        return result

    def broadcast_user_status(self, user_id: str) -> Fanout:
        result: Fanout = self.call("broadcastUserStatus", {"userId": user_id})
        return result

    # ---------------------------------------------------------------- chats

    def create_chat(self, created_by: str, members: list[str], name: str | None = None) -> Chat:
        args: dict[str, Any] = {"createdBy": created_by, "members": members}
        if name is not None:
            args["name"] = name
        result: Chat = self.call("createChat", args)
        return result

    def send_message(
        self, chat_id: str, *, sender_id: str, body: str, client_message_id: str | None = None
    ) -> Message:
        """A message from ``sender_id`` (a bot or system user); pass ``client_message_id``
        to make a retry safe (the same id stores and delivers once)."""
        args: dict[str, Any] = {"chatId": chat_id, "senderId": sender_id, "body": body}
        if client_message_id is not None:
            args["clientMessageId"] = client_message_id
        result: Message = self.call("sendMessage", args)
        return result

    def add_user_to_chat(self, chat_id: str, user_id: str, role: Role = "member") -> bool:
        args = {"chatId": chat_id, "userId": user_id, "role": role}
        return bool(self.call("addUserToChat", args)["added"])

    def remove_user_from_chat(self, chat_id: str, user_id: str) -> bool:
        args = {"chatId": chat_id, "userId": user_id}
        return bool(self.call("removeUserFromChat", args)["removed"])

    # ---------------------------------------------------------------- presence

    def get_stats(self) -> Stats:
        result: Stats = self.call("getStats")
        return result

    def get_chat_users(self, chat_id: str) -> list[ChatUser]:
        users: list[ChatUser] = self.call("getChatUsers", {"chatId": chat_id})["users"]
        return users

    def is_user_online(self, user_id: str) -> bool:
        return bool(self.call("isUserOnline", {"userId": user_id})["online"])

    def disconnect_user(self, user_id: str) -> int:
        return int(self.call("disconnectUser", {"userId": user_id})["closed"])
