"""What each server API command does: a validated ``Call`` to the manager operation it
names (shared/manager.py), and the result as JSON the caller gets back.

A chat named by ``broadcastToChat``, ``getChatUsers`` or ``sendMessage`` must exist
(one GetItem), so that a caller's typo is a ``not_found`` rather than a fan-out to
nobody; ``addUserToChat`` and ``removeUserFromChat`` learn it from their own
transaction. Fan-outs answer what ``FanoutResult.as_dict`` reports.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared import manager
from shared.server_api.schema import Call, Command
from shared.store import chats

Runner = Callable[[dict[str, Any], str | None], Any]


def _broadcast_to_chat(args: dict[str, Any], endpoint: str | None) -> Any:
    chats.existing(args["chatId"])
    result = manager.broadcast_to_chat(
        args["chatId"],
        args["event"],
        args["data"],
        endpoint=endpoint,
        exclude_user=args.get("excludeUserId"),
    )
    return result.as_dict()


def _send_to_user(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.send_to_user(args["userId"], args["event"], args["data"], endpoint).as_dict()


def _broadcast(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.broadcast(args["event"], args["data"], endpoint).as_dict()


def _broadcast_user_status(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.broadcast_user_status(args["userId"], endpoint=endpoint).as_dict()


def _add_user_to_chat(args: dict[str, Any], endpoint: str | None) -> Any:
    added = manager.add_user_to_chat(
        args["chatId"], args["userId"], role=args.get("role", "member"), endpoint=endpoint
    )
    return {"added": added}


def _remove_user_from_chat(args: dict[str, Any], endpoint: str | None) -> Any:
    return {
        "removed": manager.remove_user_from_chat(args["chatId"], args["userId"], None, endpoint)
    }


def _get_stats(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.get_stats()


def _get_chat_users(args: dict[str, Any], endpoint: str | None) -> Any:
    chats.existing(args["chatId"])
    return {"users": manager.get_chat_users(args["chatId"])}


def _is_user_online(args: dict[str, Any], endpoint: str | None) -> Any:
    return {"online": manager.is_user_online(args["userId"])}


def _disconnect_user(args: dict[str, Any], endpoint: str | None) -> Any:
    return {"closed": manager.disconnect_user(args["userId"], endpoint)}


def _create_chat(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.create_chat(args["createdBy"], args["members"], args.get("name"), endpoint)


def _send_message(args: dict[str, Any], endpoint: str | None) -> Any:
    return manager.send_message(
        args["chatId"], args["senderId"], args["body"], args.get("clientMessageId"), endpoint
    )


RUNNERS: dict[Command, Runner] = {
    Command.BROADCAST_TO_CHAT: _broadcast_to_chat,
    Command.SEND_TO_USER: _send_to_user,
    Command.BROADCAST: _broadcast,
    Command.BROADCAST_USER_STATUS: _broadcast_user_status,
    Command.ADD_USER_TO_CHAT: _add_user_to_chat,
    Command.REMOVE_USER_FROM_CHAT: _remove_user_from_chat,
    Command.GET_STATS: _get_stats,
    Command.GET_CHAT_USERS: _get_chat_users,
    Command.IS_USER_ONLINE: _is_user_online,
    Command.DISCONNECT_USER: _disconnect_user,
    Command.CREATE_CHAT: _create_chat,
    Command.SEND_MESSAGE: _send_message,
}


def run(call: Call, endpoint: str | None = None) -> Any:
    """Carry out one validated call; domain refusals (``shared.errors``) propagate."""
    return RUNNERS[call.command](call.args, endpoint)
