"""The DynamoDB of benchmarks.sharded: the emulator's moto server
(infra/services/moto_server.py, every patch of it) with Query made proportional to the
page it returns, so that rooms of 10,000 to 100,000 entries can be read at all.

Why. moto 5.2 answers a Query of N items in about N x 0.5-0.9 ms of its one process,
nearly all of it in its model-driven response serializer (``moto.core.serialize``), and
sorts the whole partition with Python-level ``DynamoType`` comparisons on every Query. A
delivery job's 1 MB page of a 10,000-entry room (~9,800 items) then takes 5-10 s, past
the functions' 2 s DynamoDB read timeout (shared/retries.py): the job fails three times
and is dead-lettered, and its recipients get nothing. DynamoDB serves such a page in
milliseconds. Two patches, both for Query only:

- the answer is written with ``json.dumps`` of the dict moto built (``DynamoResult``
  has already turned every ``DynamoType`` into plain JSON), not by the serializer;
- a table Query by partition (no index, no filter, no projection, forward, at most a
  ``BETWEEN`` on the sort key: every Query rooms.py makes) sorts the partition by the
  keys' native values, finds ``ExclusiveStartKey`` and the ``BETWEEN`` bounds by
  bisection and stops where moto's own loop would (``Limit``, its 1,000,000-byte page),
  without the deep copy (the items are only read, then serialized). Any other Query
  runs moto's code. ``same_answers`` checks both paths agree (tests/test_sharded_bench.py).

Run: ``python -m benchmarks.fast_moto -H 127.0.0.1 -p PORT`` (``FastMoto`` does).
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.services.aws import MotoDynamoDB

MAX_ITEM_BYTES = 400 * 1024  # DynamoDB's largest item: bounds what one more item can add


def patch_table_query(table_class: Any) -> None:
    from moto.dynamodb.comparisons import OpDefault
    from moto.dynamodb.models.table import RESULT_SIZE_LIMIT

    query = table_class.query
    if getattr(query, "_sharded_fast", False):
        return

    @functools.wraps(query)
    def fast_query(
        self: Any,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int | None,
        exclusive_start_key: dict[str, Any] | None,
        scan_index_forward: bool,
        projection_expressions: Any,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: Any = None,
        range_key_conditions: Any = None,
        **filter_kwargs: Any,
    ) -> Any:
        simple = (
            hash_key is not None
            and self.range_key_attr
            and index_name is None
            and not filter_kwargs
            and not projection_expressions
            and scan_index_forward is not False
            and (filter_expression is None or isinstance(filter_expression, OpDefault))
            and range_comparison in (None, "BETWEEN")
            and len(range_key_conditions or []) <= 1
        )
        partition = self.items.get(hash_key) if simple else None
        if not simple or not all(k.type == "S" for k in (partition or {})):
            return query(
                self,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                consistent_read,
                filter_expression,
                hash_key_conditions=hash_key_conditions,
                range_key_conditions=range_key_conditions,
                **filter_kwargs,
            )
        items = sorted((partition or {}).values(), key=lambda item: item.range_key.value)
        keys = [item.range_key.value for item in items]
        begin = 0
        if exclusive_start_key is not None:
            begin = bisect.bisect_right(keys, exclusive_start_key[self.range_key_attr]["S"])
        low, high = (range_objs[0].value, range_objs[1].value) if range_comparison else ("", "")
        if range_comparison:  # before any match nothing can close the page (Limit >= 1)
            begin = max(begin, bisect.bisect_left(keys, low))
        results: list[Any] = []
        size, last = 0, None
        for i in range(begin, len(items)):  # moto's own loop, with native comparisons
            item = items[i]
            beyond = bool(range_comparison) and keys[i] > high
            if beyond and len(results) != limit and size + MAX_ITEM_BYTES <= RESULT_SIZE_LIMIT:
                break  # nothing after this can match, nor close the page
            item_size = item.size()
            if len(results) == limit or size + item_size > RESULT_SIZE_LIMIT:
                last = self._get_last_evaluated_key(results[-1], None)
                break
            if not range_comparison or low <= keys[i] <= high:
                results.append(item)
                size += item_size
        return results, len(results), last

    fast_query._sharded_fast = True  # type: ignore[attr-defined]
    table_class.query = fast_query


def patch_query_answer(handler_class: Any) -> None:
    """Query's answer as ``json.dumps`` of the result moto built (falls back to moto's
    serializer for anything JSON cannot hold as is)."""
    query = handler_class.query
    if getattr(query, "_sharded_fast", False):
        return

    @functools.wraps(query)
    def fast_answer(self: Any) -> Any:
        result = query(self)
        try:
            return json.dumps(result.result, separators=(",", ":"))
        except (TypeError, ValueError):
            return result

    fast_answer._sharded_fast = True  # type: ignore[attr-defined]
    handler_class.query = fast_answer


def same_answers(client: Any, table: str, partition: str, keys: list[str]) -> bool:
    """Whether the patched Query answers every Query shape rooms.py makes as moto does,
    serializer included (in-process, under ``moto.mock_aws``, both patches applied;
    ``keys`` are the partition's sort keys)."""
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    handler: Any = DynamoHandler
    table_: Any = Table
    patched = table_.query, handler.query
    original = tuple(getattr(f, "__wrapped__", f) for f in patched)
    base: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#r = :r",
        "ExpressionAttributeNames": {"#r": "room"},
        "ExpressionAttributeValues": {":r": {"S": partition}},
        "ConsistentRead": True,
    }
    mid, low, high = keys[len(keys) // 3], keys[len(keys) // 4], keys[len(keys) // 2]
    start = {"room": {"S": partition}, "connectionId": {"S": mid}}
    between = {
        **base,
        "KeyConditionExpression": "#r = :r AND #c BETWEEN :lo AND :hi",
        "ExpressionAttributeNames": {"#r": "room", "#c": "connectionId"},
        "ExpressionAttributeValues": {
            ":r": {"S": partition},
            ":lo": {"S": low},
            ":hi": {"S": high},
        },
    }
    shapes = [
        base,
        {**base, "Limit": 7},
        {**base, "Limit": len(keys)},
        {**base, "ExclusiveStartKey": start},
        between,
        {**between, "Limit": 5},
        {**between, "ExclusiveStartKey": {**start, "connectionId": {"S": low}}},
    ]
    answers = []
    for use in (original, patched):
        table_.query, handler.query = use
        try:
            answers.append([_strip(client.query(**shape)) for shape in shapes])
        finally:
            table_.query, handler.query = patched
    return answers[0] == answers[1]


def _strip(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def main(argv: list[str] | None = None) -> None:
    from moto.dynamodb.models.table import Table
    from moto.dynamodb.responses import DynamoHandler

    from infra.services import moto_server

    patch_table_query(Table)
    patch_query_answer(DynamoHandler)
    moto_server.main(argv)


@contextlib.contextmanager
def FastMoto(host: str = "127.0.0.1") -> Iterator[MotoDynamoDB]:  # noqa: N802 (reads as the server it starts)
    """This module's server in its own process: infra.services.aws.MotoDynamoDB running
    ``benchmarks.fast_moto`` instead of ``infra.services.moto_server``."""
    from infra.services.aws import MotoDynamoDB

    server = MotoDynamoDB(host, module="benchmarks.fast_moto")
    server.start()
    try:
        yield server
    finally:
        server.stop()


if __name__ == "__main__":
    main()
