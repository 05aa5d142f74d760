"""DynamoDB read and write units of every request the functions make, metered as DynamoDB
bills them (benchmarks.capacity's rules), through the emulator's DynamoDB proxy.

moto answers ``ReturnConsumedCapacity`` with constants (benchmarks.capacity), so the
units are computed from the items each request touched. ``DynamoDBMeter`` is an
``infra.runtime.faults.DynamoDBObserver`` (``Emulator(dynamodb_observer=meter)``): it
sees every request and its answer, and reads what the request alone does not say
straight from moto (not through the proxy, so it is not metered itself):

- writes (PutItem, UpdateItem, DeleteItem, BatchWriteItem, TransactWriteItems): the item
  before (read just before the request goes on) and after (the Put's item; read back
  after an update); the table write costs one unit per started 1 KB of the larger of
  the two (a delete: of the deleted item, 1 if there was none), and each index the item
  is in (before or after) one write of its index entry (KEYS_ONLY: the keys; ALL: the
  item; INCLUDE: the keys and the named attributes), two when the index key changed
  (a delete and a put), none when the entry is unchanged; a transaction twice that;
- reads: GetItem and BatchGetItem per item (the whole item, whatever the projection:
  read first when the request projects; a missing item costs the minimum), Query and
  Scan per response from the items it returned (4 KB rounding, half for eventually
  consistent). A Query or Scan with a filter or a projection would read more than it
  returns: none of the idle path's does (benchmarks.idle_cost), and such requests are
  counted apart (``approximate_reads``) to say so;
- a refused conditional write costs the units of the item it would have written.

Thread-safe: the proxy calls it from its request threads.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from benchmarks import capacity
from infra.emulator import REGION
from infra.services.aws import dynamodb_client

Item = dict[str, Any]
WRITES = ("PutItem", "UpdateItem", "DeleteItem")


@dataclass(frozen=True)
class _Index:
    keys: tuple[str, ...]
    projection: str  # ALL | KEYS_ONLY | INCLUDE
    include: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Table:
    keys: tuple[str, ...]
    indexes: dict[str, _Index]


@dataclass(frozen=True)
class Units:
    """Units metered so far, by operation and table (``"PutItem rooms"``)."""

    read_units: float = 0.0
    write_units: float = 0.0
    reads: dict[str, float] = field(default_factory=dict)
    writes: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    approximate_reads: int = 0  # Queries/Scans with a filter or projection

    def __sub__(self, other: Units) -> Units:
        def minus(a: Mapping[str, float], b: Mapping[str, float]) -> dict[str, Any]:
            return {k: a[k] - b.get(k, 0) for k in a if a[k] - b.get(k, 0)}

        return Units(
            self.read_units - other.read_units,
            self.write_units - other.write_units,
            minus(self.reads, other.reads),
            minus(self.writes, other.writes),
            minus(self.requests, other.requests),
            self.approximate_reads - other.approximate_reads,
        )


def _table_of(create_kwargs: Mapping[str, Any]) -> _Table:
    keys = tuple(k["AttributeName"] for k in create_kwargs["KeySchema"])
    indexes = {}
    for kind in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
        for index in create_kwargs.get(kind) or []:
            projection = index.get("Projection") or {}
            indexes[index["IndexName"]] = _Index(
                tuple(k["AttributeName"] for k in index["KeySchema"]),
                projection.get("ProjectionType", "ALL"),
                tuple(projection.get("NonKeyAttributes") or ()),
            )
    return _Table(keys, indexes)


class DynamoDBMeter:
    """Read and write units of the requests it is shown (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables: dict[str, _Table] = {}
        self._client: Any = None
        self._reads: defaultdict[str, float] = defaultdict(float)
        self._writes: defaultdict[str, float] = defaultdict(float)
        self._requests: Counter[str] = Counter()
        self._approximate = 0

    def bind(self, endpoint: str, tables: Iterable[Any]) -> None:
        """Where to read items directly, and the tables (the template's: ``.name`` and
        ``.create_kwargs``)."""
        self._client = dynamodb_client(endpoint, REGION)
        self._tables = {t.name: _table_of(t.create_kwargs) for t in tables}

    def units(self) -> Units:
        with self._lock:
            return Units(
                sum(self._reads.values()),
                sum(self._writes.values()),
                dict(self._reads),
                dict(self._writes),
                dict(self._requests),
                self._approximate,
            )

    # ---------------------------------------------------------------- reading items
    def _key(self, table: str, item: Mapping[str, Any]) -> Item:
        return {k: item[k] for k in self._tables[table].keys if k in item}

    def _get(self, table: str, key: Mapping[str, Any]) -> Item | None:
        if self._client is None or table not in self._tables:
            return None
        item = self._client.get_item(TableName=table, Key=dict(key), ConsistentRead=True)
        return item.get("Item")

    # ---------------------------------------------------------------- observer
    def before(self, operation: str, request: dict[str, Any]) -> Any:
        """The items as they are before the request: what writes replace or delete, and
        the whole items a projecting GetItem/BatchGetItem reads."""
        table = request.get("TableName", "")
        if operation in ("PutItem",):
            return self._get(table, self._key(table, request.get("Item") or {}))
        if operation in ("UpdateItem", "DeleteItem"):
            return self._get(table, request.get("Key") or {})
        if operation == "GetItem" and request.get("ProjectionExpression"):
            return self._get(table, request.get("Key") or {})
        if operation == "BatchWriteItem":
            old = []
            for name, requests in (request.get("RequestItems") or {}).items():
                for r in requests:
                    if "PutRequest" in r:
                        key = self._key(name, r["PutRequest"]["Item"])
                    else:
                        key = r.get("DeleteRequest", {}).get("Key") or {}
                    old.append(self._get(name, key))
            return old
        if operation == "BatchGetItem":
            return [
                self._get(name, key)
                for name, spec in (request.get("RequestItems") or {}).items()
                for key in spec.get("Keys") or []
            ]
        if operation == "TransactWriteItems":
            old = []
            for entry in request.get("TransactItems") or []:
                (kind, spec), *_ = entry.items()
                name = spec.get("TableName", "")
                key = spec.get("Key") or self._key(name, spec.get("Item") or {})
                old.append(self._get(name, key) if kind != "ConditionCheck" else None)
            return old
        return None

    def after(
        self,
        operation: str,
        request: dict[str, Any],
        context: Any,
        status: int,
        response: dict[str, Any],
    ) -> None:
        table = request.get("TableName", "")
        reads: defaultdict[str, float] = defaultdict(float)
        writes: defaultdict[str, float] = defaultdict(float)
        approximate = 0
        refused = status == 400 and "ConditionalCheckFailed" in str(response.get("__type"))
        if status != 200 and not refused:
            return
        label = f"{operation} {table}".strip()
        if operation in WRITES:
            new = self._new_image(operation, request, table, context, refused)
            writes[label] += self._write(table, context, new, refused)
        elif operation == "BatchWriteItem":
            olds = iter(context or [])
            for name, requests in (request.get("RequestItems") or {}).items():
                for r in requests:
                    old = next(olds, None)
                    new = r["PutRequest"]["Item"] if "PutRequest" in r else None
                    kind = "Put" if new is not None else "Delete"
                    writes[f"BatchWriteItem {kind} {name}"] += self._write(name, old, new, False)
        elif operation == "TransactWriteItems":
            olds = iter(context or [])
            for entry in request.get("TransactItems") or []:
                (kind, spec), *_ = entry.items()
                old = next(olds, None)
                name = spec.get("TableName", "")
                if kind == "ConditionCheck":
                    reads[f"Transact ConditionCheck {name}"] += 2 * capacity.read_units(
                        0, consistent=True
                    )
                    continue
                op = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem"}[kind]
                new = self._new_image(op, spec, name, old, refused)
                writes[f"TransactWriteItems {name}"] += 2 * self._write(name, old, new, refused)
        elif operation == "GetItem":
            item = context if request.get("ProjectionExpression") else response.get("Item")
            size = capacity.item_size(item) if item else 0
            reads[label] += capacity.read_units(
                size, consistent=bool(request.get("ConsistentRead"))
            )
        elif operation == "BatchGetItem":
            olds = iter(context or [])
            for name, spec in (request.get("RequestItems") or {}).items():
                consistent = bool(spec.get("ConsistentRead"))
                for _ in spec.get("Keys") or []:
                    item = next(olds, None)
                    size = capacity.item_size(item) if item else 0
                    reads[f"BatchGetItem {name}"] += capacity.read_units(
                        size, consistent=consistent
                    )
        elif operation in ("Query", "Scan"):
            if request.get("FilterExpression") or request.get("ProjectionExpression"):
                approximate = 1
            size = sum(capacity.item_size(item) for item in response.get("Items") or [])
            index = request.get("IndexName")
            name = f"{label}.{index}" if index else label
            reads[name] += capacity.read_units(size, consistent=bool(request.get("ConsistentRead")))
        with self._lock:
            self._requests[label] += 1
            for name, units in reads.items():
                self._reads[name] += units
            for name, units in writes.items():
                self._writes[name] += units
            self._approximate += approximate

    def _new_image(
        self,
        operation: str,
        request: Mapping[str, Any],
        table: str,
        old: Item | None,
        refused: bool,
    ) -> Item | None:
        if operation == "PutItem":
            return dict(request.get("Item") or {})
        if operation == "DeleteItem":
            return None
        if refused:  # an update refused: it would have written at least the old item
            return old
        return self._get(table, request.get("Key") or {})

    def _write(self, table: str, old: Item | None, new: Item | None, refused: bool) -> float:
        """Write units of replacing ``old`` by ``new`` (None: absent), indexes included."""
        old_size = capacity.item_size(old) if old else 0
        new_size = capacity.item_size(new) if new else 0
        units = capacity.write_units(max(old_size, new_size))
        if refused:
            return float(units)
        spec = self._tables.get(table)
        for index in spec.indexes.values() if spec else ():
            before = self._entry(spec, index, old) if spec else None
            after = self._entry(spec, index, new) if spec else None
            if before is None and after is None or before == after:
                continue
            if before is not None and after is not None:
                same_key = all(before[k] == after[k] for k in index.keys)
                if same_key:
                    units += capacity.write_units(
                        max(capacity.item_size(before), capacity.item_size(after))
                    )
                    continue
                units += capacity.write_units(capacity.item_size(before))
                units += capacity.write_units(capacity.item_size(after))
                continue
            entry = before if before is not None else after
            assert entry is not None
            units += capacity.write_units(capacity.item_size(entry))
        return float(units)

    @staticmethod
    def _entry(table: _Table, index: _Index, item: Item | None) -> Item | None:
        """The index entry of ``item``, None when the item is not in the index."""
        if item is None or not all(k in item for k in index.keys):
            return None
        if index.projection == "ALL":
            return item
        names = set(table.keys) | set(index.keys)
        if index.projection == "INCLUDE":
            names |= set(index.include)
        return {k: v for k, v in item.items() if k in names}
