"""The PynamoDB models: tables, region and endpoint read from settings lazily, raw reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pynamodb.models import Model

from shared import config
from shared.observability import calls
from shared.store import models
from shared.store.models import (
    REACTION_PREFIX,
    Chat,
    Connection,
    Member,
    Message,
    RoomEntry,
    User,
    dedup_key,
)
from tests.unit.store.conftest import Reader

MODELS_AND_SETTINGS: list[tuple[type[Model], str]] = [
    (Connection, "connections_table"),
    (RoomEntry, "rooms_table"),
    (Chat, "chats_table"),
    (Member, "members_table"),
    (Message, "messages_table"),
    (User, "users_table"),
]

RAW_MESSAGE: dict[str, Any] = {
    "chatId": {"S": "c1"},
    "dedupKey": {"S": "alice#m1"},
    "id": {"S": "01JDQ8Y7C3W2ZK3T0M4V9N6B2E"},
    "senderId": {"S": "alice"},
    "body": {"S": "hi"},
    "createdAt": {"N": "1795687200123"},
    "clientMessageId": {"S": "m1"},
    "version": {"N": "3"},
}


def a_message(chat_id: str = "c1", client_message_id: str = "m1") -> Message:
    return Message(
        chat_id,
        dedup_key("alice", client_message_id),
        id="01JDQ8Y7C3W2ZK3T0M4V9N6B2E",
        sender_id="alice",
        body="hi",
        created_at=1_795_687_200_123,
        client_message_id=client_message_id,
    )


# ---------------------------------------------------------------- settings, lazily


@pytest.mark.parametrize(("model", "setting"), MODELS_AND_SETTINGS)
def test_each_model_names_the_table_its_setting_names_when_asked(
    model: type[Model], setting: str, configure: Callable[..., config.Settings]
) -> None:
    configure(**{setting: f"renamed-{setting}"})
    assert model.Meta.table_name == f"renamed-{setting}"
    configure(**{setting: f"again-{setting}"})
    assert model.Meta.table_name == f"again-{setting}"


def test_region_and_endpoint_come_from_settings_and_an_empty_endpoint_means_aws(
    configure: Callable[..., config.Settings],
) -> None:
    configure(region="eu-west-3", dynamodb_endpoint="http://localhost:4566")
    Chat._get_connection()  # read when the model connects, never at import
    assert (Chat.Meta.region, Chat.Meta.host) == ("eu-west-3", "http://localhost:4566")
    configure(dynamodb_endpoint="")
    Chat._get_connection()
    assert Chat.Meta.host is None


def test_a_model_connects_again_with_the_new_region_and_endpoint_after_a_change(
    domain: config.Settings, configure: Callable[..., config.Settings]
) -> None:
    before = models.client_of(Connection)
    assert before.meta.region_name == "us-east-1"
    configure(region="eu-west-3", dynamodb_endpoint="http://localhost:4566")
    after = models.client_of(Connection)
    assert after is not before
    assert after.meta.region_name == "eu-west-3"
    assert after.meta.endpoint_url == "http://localhost:4566"


def test_a_model_writes_to_the_table_the_settings_name_at_the_time(
    domain: config.Settings,
    configure: Callable[..., config.Settings],
    table_definitions: dict[str, Any],
    dynamodb: Any,
    stored: Reader,
) -> None:
    other = dict(table_definitions["MessagesTable"].create_kwargs, TableName="other-messages")
    dynamodb.create_table(**other)
    a_message(client_message_id="first").save()
    configure(messages_table="other-messages")
    a_message(client_message_id="second").save()
    assert [i["dedupKey"]["S"] for i in stored.items(domain.messages_table)] == ["alice#first"]
    assert [i["dedupKey"]["S"] for i in stored.items("other-messages")] == ["alice#second"]


def test_every_model_client_counts_its_calls(domain: config.Settings) -> None:
    calls.reset()
    Chat("c1", created_by="alice", created_at=1).save()
    Chat.get("c1", consistent_read=True)
    for model, _ in MODELS_AND_SETTINGS:
        model.count("nothing-here")
    assert calls.counted() == {"dynamodb.PutItem": 1, "dynamodb.GetItem": 1, "dynamodb.Query": 6}


# ---------------------------------------------------------------- keys and attribute names


def test_the_dedup_key_is_the_sender_and_the_client_message_id() -> None:
    assert dedup_key("alice", "m-1") == "alice#m-1"
    assert dedup_key("bob", "m-1") != dedup_key("alice", "m-1")


def test_models_store_the_attribute_names_of_the_template(
    domain: config.Settings, stored: Reader
) -> None:
    Connection("k1=", user_id="alice", connected_at=5, source_ip=None, expires_at=7).save()
    Member("c1", "alice", joined_at=9).save()
    assert stored.item(domain.connections_table, connectionId="k1=") == {
        "connectionId": {"S": "k1="},
        "userId": {"S": "alice"},
        "connectedAt": {"N": "5"},
        "expiresAt": {"N": "7"},
    }
    assert stored.item(domain.members_table, chatId="c1", userId="alice") == {
        "chatId": {"S": "c1"},
        "userId": {"S": "alice"},
        "role": {"S": "member"},  # the default role
        "joinedAt": {"N": "9"},
    }


def test_a_new_message_is_version_one_with_no_reactions() -> None:
    message = a_message()
    assert message.version == 1
    assert message.reactions == {}
    assert message.reaction_emojis is None


# ---------------------------------------------------------------- reactions from raw data


def test_from_raw_data_keeps_each_reaction_set_by_emoji() -> None:
    raw = RAW_MESSAGE | {
        "reactionEmojis": {"SS": ["👍", "🎉"]},
        REACTION_PREFIX + "👍": {"SS": ["bob", "alice"]},
        REACTION_PREFIX + "🎉": {"SS": ["carol"]},
    }
    message = Message.from_raw_data(raw)
    assert message.reactions == {"👍": {"alice", "bob"}, "🎉": {"carol"}}
    assert message.reaction_emojis == {"👍", "🎉"}
    assert (message.id, message.sender_id, message.body, message.version) == (
        "01JDQ8Y7C3W2ZK3T0M4V9N6B2E",
        "alice",
        "hi",
        3,
    )


def test_from_raw_data_ignores_reaction_attributes_that_are_not_string_sets() -> None:
    raw = RAW_MESSAGE | {REACTION_PREFIX + "x": {"S": "bob"}, "reactionEmojis": {"SS": ["x"]}}
    assert Message.from_raw_data(raw).reactions == {}


def test_an_emoji_may_contain_the_prefix_separator() -> None:
    raw = RAW_MESSAGE | {REACTION_PREFIX + ":a:b:": {"SS": ["bob"]}}
    assert Message.from_raw_data(raw).reactions == {":a:b:": {"bob"}}


def test_every_read_keeps_the_reactions_get_query_and_scan(
    domain: config.Settings, dynamodb: Any
) -> None:
    dynamodb.put_item(
        TableName=domain.messages_table,
        Item=RAW_MESSAGE | {REACTION_PREFIX + "👍": {"SS": ["bob"]}},
    )
    expected = {"👍": {"bob"}}
    assert Message.get("c1", "alice#m1", consistent_read=True).reactions == expected
    assert [m.reactions for m in Message.query("c1")] == [expected]
    assert [m.reactions for m in Message.by_time.query("c1")] == [expected]
    assert [m.reactions for m in Message.scan()] == [expected]
