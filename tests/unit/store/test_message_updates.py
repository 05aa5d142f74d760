"""Changing a stored message: edit by its author, delete by its author or an admin, reactions.

Each change is one conditional UpdateItem after the lookup; a condition that fails
because of a concurrent change is answered from the item as it stands.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shared import config, errors
from shared.observability import calls
from shared.store import dynamodb, message_updates, messages
from shared.store.message_updates import MAX_REACTION_EMOJIS
from shared.store.models import REACTION_PREFIX, Member, Message
from tests.unit.store.conftest import FakeClock, Reader

Post = Callable[..., Message]
CHAT = "c1"


@pytest.fixture(autouse=True)
def members(domain: config.Settings, join: Callable[..., Member]) -> None:
    """alice and bob are members of the chat, carol its admin; mallory is no member."""
    join(CHAT, "alice")
    join(CHAT, "bob")
    join(CHAT, "carol", role="admin")


@pytest.fixture
def message(post: Post) -> Message:
    """alice's message in the chat."""
    return post(CHAT, "alice", "hello")


@pytest.fixture
def raw(domain: config.Settings, stored: Reader, message: Message) -> Callable[[], dict[str, Any]]:
    """The stored item of alice's message, as it is now."""

    def read() -> dict[str, Any]:
        item = stored.item(domain.messages_table, chatId=CHAT, dedupKey=message.dedup_key)
        assert item is not None
        return item

    return read


@pytest.fixture
def stale(monkeypatch: pytest.MonkeyPatch, message: Message) -> Iterator[Callable[[], None]]:
    """``stale()``: from now on the lookup answers the message as it is at this moment,
    as if whatever happens next happened concurrently, after the lookup."""

    def freeze() -> None:
        seen = messages.find(CHAT, message.id)
        monkeypatch.setattr(messages, "find", lambda chat_id, message_id: seen)

    yield freeze


def with_emojis(domain: config.Settings, dynamodb_client: Any, message: Message, n: int) -> None:
    """Give the stored message ``n`` distinct emojis, bob's reaction each (written directly)."""
    emojis = [f"e{i}" for i in range(n)]
    dynamodb_client.update_item(
        TableName=domain.messages_table,
        Key={"chatId": {"S": CHAT}, "dedupKey": {"S": message.dedup_key}},
        UpdateExpression="SET reactionEmojis = :all, "
        + ", ".join(f"#r{i} = :bob" for i in range(n)),
        ExpressionAttributeNames={f"#r{i}": REACTION_PREFIX + e for i, e in enumerate(emojis)},
        ExpressionAttributeValues={":all": {"SS": emojis}, ":bob": {"SS": ["bob"]}},
    )


def reaction_attributes(item: dict[str, Any]) -> dict[str, set[str]]:
    return {
        name[len(REACTION_PREFIX) :]: set(value["SS"])
        for name, value in item.items()
        if name.startswith(REACTION_PREFIX)
    }


# ---------------------------------------------------------------- find_live


def test_find_live_returns_a_live_message(message: Message) -> None:
    assert message_updates.find_live(CHAT, message.id).body == "hello"


def test_find_live_refuses_an_unknown_or_deleted_message_alike(message: Message) -> None:
    with pytest.raises(errors.NotFound) as unknown:
        message_updates.find_live(CHAT, "01NOSUCHMESSAGE00000000000")
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound) as deleted:
        message_updates.find_live(CHAT, message.id)
    assert unknown.value.message == deleted.value.message == "no such message in this chat"


def test_find_live_does_not_find_a_message_through_another_chat(message: Message) -> None:
    with pytest.raises(errors.NotFound):
        message_updates.find_live("c2", message.id)


# ---------------------------------------------------------------- edit


def test_the_author_edits_the_body_which_sets_edited_at_and_bumps_the_version(
    message: Message, clock: FakeClock, raw: Callable[[], dict[str, Any]]
) -> None:
    clock.step_ms = 0
    calls.reset()
    edited = message_updates.edit(CHAT, message.id, "alice", "hello, world")
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (edited.id, edited.body, edited.version, edited.edited_at) == (
        message.id,
        "hello, world",
        2,
        clock.ms,
    )
    item = raw()
    assert (item["body"], item["version"], item["editedAt"]) == (
        {"S": "hello, world"},
        {"N": "2"},
        {"N": str(clock.ms)},
    )
    assert message_updates.edit(CHAT, message.id, "alice", "again").version == 3


def test_only_the_author_may_edit_not_a_member_an_admin_or_a_stranger(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    before = raw()
    for editor in ("bob", "carol", "mallory"):
        with pytest.raises(errors.Forbidden, match="only the author"):
            message_updates.edit(CHAT, message.id, editor, "hijacked")
    assert raw() == before


def test_a_deleted_or_unknown_message_cannot_be_edited(message: Message) -> None:
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound):
        message_updates.edit(CHAT, message.id, "alice", "too late")
    with pytest.raises(errors.NotFound):
        message_updates.edit(CHAT, "01NOSUCHMESSAGE00000000000", "alice", "nothing")


def test_an_edit_racing_a_delete_is_not_found_and_does_not_revive_the_body(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    stale()
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound):
        message_updates.edit(CHAT, message.id, "alice", "resurrected")
    assert "body" not in raw()


# ---------------------------------------------------------------- delete


def test_the_author_deletes_leaving_a_tombstone_without_body_or_reactions(
    message: Message, clock: FakeClock, raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    message_updates.react(CHAT, message.id, "carol", "🎉")
    clock.step_ms = 0
    calls.reset()
    deleted, _ = message_updates.delete(CHAT, message.id, "alice")
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (deleted.deleted_at, deleted.deleted_by, deleted.version) == (clock.ms, "alice", 4)
    assert deleted.body is None
    assert deleted.reactions == {}
    item = raw()
    assert "body" not in item and "reactionEmojis" not in item
    assert reaction_attributes(item) == {}
    assert (item["deletedAt"], item["deletedBy"]) == ({"N": str(clock.ms)}, {"S": "alice"})
    wire = messages.to_wire(deleted)
    assert (wire["deleted"], wire["body"], wire["reactions"]) == (True, None, {})


def test_a_chat_admin_may_delete_anothers_message_at_the_cost_of_a_membership_read(
    message: Message,
) -> None:
    calls.reset()
    deleted, _ = message_updates.delete(CHAT, message.id, "carol")
    assert deleted.deleted_by == "carol"
    assert calls.counted() == {
        "dynamodb.Query": 1,
        "dynamodb.GetItem": 1,
        "dynamodb.UpdateItem": 1,
    }


def test_a_member_or_stranger_may_not_delete_anothers_message(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    before = raw()
    for user in ("bob", "mallory"):
        with pytest.raises(errors.Forbidden, match="only the author or a chat admin"):
            message_updates.delete(CHAT, message.id, user)
    assert raw() == before


def test_an_admin_of_another_chat_may_not_delete(
    message: Message, join: Callable[..., Member]
) -> None:
    join("c2", "bob", role="admin")
    with pytest.raises(errors.Forbidden):
        message_updates.delete(CHAT, message.id, "bob")


def test_a_message_is_deleted_once(message: Message, raw: Callable[[], dict[str, Any]]) -> None:
    message_updates.delete(CHAT, message.id, "alice")
    first = raw()
    with pytest.raises(errors.NotFound):
        message_updates.delete(CHAT, message.id, "carol")
    assert raw() == first  # still deleted by alice, version not bumped again


def test_a_delete_racing_another_delete_is_not_found(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    stale()
    message_updates.delete(CHAT, message.id, "carol")
    with pytest.raises(errors.NotFound):
        message_updates.delete(CHAT, message.id, "alice")
    assert raw()["deletedBy"] == {"S": "carol"}


# ---------------------------------------------------------------- react


def test_a_reaction_adds_the_user_to_the_emojis_set(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    calls.reset()
    reacted, changed = message_updates.react(CHAT, message.id, "bob", "👍")
    assert changed is True
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (reacted.reactions, reacted.version) == ({"👍": {"bob"}}, 2)
    message_updates.react(CHAT, message.id, "carol", "👍")
    item = raw()
    assert reaction_attributes(item) == {"👍": {"bob", "carol"}}
    assert item["reactionEmojis"] == {"SS": ["👍"]}
    assert item["version"] == {"N": "3"}


def test_reacting_again_with_the_same_emoji_changes_nothing_and_writes_nothing(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    before = raw()
    calls.reset()
    again, changed = message_updates.react(CHAT, message.id, "bob", "👍")
    assert changed is False
    assert again.reactions == {"👍": {"bob"}}
    assert calls.counted() == {"dynamodb.Query": 1}
    assert raw() == before


def test_the_same_reaction_found_by_the_write_changes_nothing_but_is_announced_again(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    """Another device's identical reaction, or our own write whose answer was lost and
    whose retry finds it done: no second write, and changed=True so the chat hears it
    (at least once)."""
    stale()
    message_updates.react(CHAT, message.id, "bob", "👍")
    version = raw()["version"]
    current, changed = message_updates.react(CHAT, message.id, "bob", "👍")
    assert changed is True
    assert current.reactions == {"👍": {"bob"}}
    assert raw()["version"] == version


def test_a_reaction_to_a_deleted_message_is_not_found(message: Message) -> None:
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound):
        message_updates.react(CHAT, message.id, "bob", "👍")


def test_a_reaction_racing_a_delete_is_not_found_and_not_stored(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    stale()
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound):
        message_updates.react(CHAT, message.id, "bob", "👍")
    assert reaction_attributes(raw()) == {}


def test_the_50th_emoji_is_accepted(
    domain: config.Settings, dynamodb: Any, message: Message
) -> None:
    with_emojis(domain, dynamodb, message, MAX_REACTION_EMOJIS - 1)
    reacted, changed = message_updates.react(CHAT, message.id, "alice", "new")
    assert changed is True
    assert len(reacted.reactions) == MAX_REACTION_EMOJIS == 50


def test_a_51st_emoji_is_a_conflict_and_changes_nothing(
    domain: config.Settings, dynamodb: Any, message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    with_emojis(domain, dynamodb, message, MAX_REACTION_EMOJIS)
    before = raw()
    with pytest.raises(errors.Conflict, match="at most 50 emojis"):
        message_updates.react(CHAT, message.id, "alice", "one-too-many")
    assert raw() == before


def test_at_the_cap_an_emoji_in_use_still_takes_more_users(
    domain: config.Settings, dynamodb: Any, message: Message
) -> None:
    with_emojis(domain, dynamodb, message, MAX_REACTION_EMOJIS)
    reacted, changed = message_updates.react(CHAT, message.id, "alice", "e7")
    assert changed is True
    assert reacted.reactions["e7"] == {"alice", "bob"}


# ---------------------------------------------------------------- unreact


def test_unreacting_removes_the_user_and_keeps_the_emoji_for_the_others(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    message_updates.react(CHAT, message.id, "carol", "👍")
    calls.reset()
    updated, changed = message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert changed is True
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 1}
    assert (updated.reactions, updated.version) == ({"👍": {"carol"}}, 4)
    item = raw()
    assert reaction_attributes(item) == {"👍": {"carol"}}
    assert item["reactionEmojis"] == {"SS": ["👍"]}


def test_the_last_user_to_unreact_takes_the_emoji_off_the_message(
    message: Message, raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    message_updates.react(CHAT, message.id, "bob", "🎉")
    calls.reset()
    updated, changed = message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert changed is True
    assert updated.reactions == {"🎉": {"bob"}}
    assert calls.counted() == {"dynamodb.Query": 1, "dynamodb.UpdateItem": 2}
    item = raw()
    assert reaction_attributes(item) == {"🎉": {"bob"}}
    assert item["reactionEmojis"] == {"SS": ["🎉"]}


def test_unreacting_what_was_never_reacted_changes_nothing_and_writes_nothing(
    message: Message,
) -> None:
    message_updates.react(CHAT, message.id, "carol", "👍")
    calls.reset()
    current, changed = message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert changed is False
    assert current.reactions == {"👍": {"carol"}}
    assert calls.counted() == {"dynamodb.Query": 1}


def test_a_reaction_removal_found_done_by_the_write_changes_nothing_but_is_announced_again(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    message_updates.react(CHAT, message.id, "carol", "👍")
    stale()
    message_updates.unreact(CHAT, message.id, "bob", "👍")
    version = raw()["version"]
    current, changed = message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert changed is True
    assert current.reactions == {"👍": {"carol"}}
    assert raw()["version"] == version


def test_unreacting_on_a_deleted_message_is_not_found(message: Message) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    message_updates.delete(CHAT, message.id, "alice")
    with pytest.raises(errors.NotFound):
        message_updates.unreact(CHAT, message.id, "bob", "👍")


def test_an_unreact_racing_a_delete_is_not_found_and_changes_nothing(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    stale()  # the lookup still shows bob's reaction on a live message
    message_updates.delete(CHAT, message.id, "alice")
    tombstone = raw()
    with pytest.raises(errors.NotFound):
        message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert raw() == tombstone


def test_an_emoji_freed_at_the_cap_makes_room_for_another(
    domain: config.Settings, dynamodb: Any, message: Message
) -> None:
    with_emojis(domain, dynamodb, message, MAX_REACTION_EMOJIS)
    message_updates.unreact(CHAT, message.id, "bob", "e0")
    reacted, changed = message_updates.react(CHAT, message.id, "alice", "fresh")
    assert changed is True
    assert "e0" not in reacted.reactions and reacted.reactions["fresh"] == {"alice"}


def test_an_emoji_reacted_again_before_it_is_taken_off_stays(
    message: Message, monkeypatch: pytest.MonkeyPatch, raw: Callable[[], dict[str, Any]]
) -> None:
    message_updates.react(CHAT, message.id, "bob", "👍")
    real = dynamodb.conditional

    def carol_reacts_in_between(operation: str, **request: Any) -> dict[str, Any]:
        if request["UpdateExpression"].startswith("DELETE reactionEmojis"):
            real(
                "update_item",
                TableName=request["TableName"],
                Key=request["Key"],
                UpdateExpression="ADD #r :users",
                ConditionExpression="attribute_exists(dedupKey)",
                ExpressionAttributeNames={"#r": REACTION_PREFIX + "👍"},
                ExpressionAttributeValues={":users": {"SS": ["carol"]}},
            )
        return real(operation, **request)

    monkeypatch.setattr(dynamodb, "conditional", carol_reacts_in_between)
    _, changed = message_updates.unreact(CHAT, message.id, "bob", "👍")
    assert changed is True
    item = raw()
    assert reaction_attributes(item) == {"👍": {"carol"}}
    assert item["reactionEmojis"] == {"SS": ["👍"]}  # still listed: it is in use


def test_the_last_reaction_removal_found_done_still_takes_the_emoji_off(
    message: Message, stale: Callable[[], None], raw: Callable[[], dict[str, Any]]
) -> None:
    """Our own removal landed but its answer was lost: the retry must still take the
    emptied emoji out of reactionEmojis, or it would count toward the cap forever."""
    message_updates.react(CHAT, message.id, "bob", "🎉")
    stale()
    message_updates.unreact(CHAT, message.id, "bob", "🎉")
    # The first removal dropped the set; put the emoji back in the list as if the
    # cleanup of that first attempt never ran.
    from shared.store import dynamodb
    from shared.store.models import Message as Model

    dynamodb.client().update_item(
        TableName=Model.Meta.table_name,
        Key={"chatId": {"S": CHAT}, "dedupKey": {"S": message.dedup_key}},
        UpdateExpression="ADD reactionEmojis :e",
        ExpressionAttributeValues={":e": {"SS": ["🎉"]}},
    )
    current, changed = message_updates.unreact(CHAT, message.id, "bob", "🎉")
    assert changed is True
    assert "🎉" not in raw().get("reactionEmojis", {}).get("SS", [])
