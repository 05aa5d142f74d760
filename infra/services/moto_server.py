"""The emulator's moto server (DynamoDB, Secrets Manager), with Query sized to its partition.

moto's ``Table.query`` starts from ``Table.all_items()``: every item of the table, sorted
by key with Python-level ``DynamoType`` comparisons, and only then keeps the queried
partition, so each Query costs O(n log n) in the size of the whole table. With 1,000
connections the rooms table holds about 2,000 entries, and the room Query of every
``message:send`` took most of moto's CPU (moto was then the emulator's bottleneck).

``Table.query`` sorts what it keeps itself (a table Query by range key; an index Query
by the index keys then the table keys, a unique order), so the order ``all_items`` hands
it does not change its answer. Here, only while a Query runs (a thread-local flag: moto
serves requests on threads), ``all_items`` returns the queried partition alone for a
table Query (a dict lookup: items are stored by hash key, whose hash and equality agree
with the filter Query applies) and the items unsorted for an index Query. Scan and every
other caller are unchanged.

Also, moto's server finds the service of every request by listing its own package
directory (``moto.backends.list_of_moto_modules``: a listdir and a hundred-odd isdir
calls, a tenth of its CPU per request); that list cannot change while it runs, so it is
read once. If moto's internals ever change shape, a patch is skipped and moto runs as
shipped.

Writes are serialized (``serialize_writes``): moto changes an item without a lock, and
two concurrent UpdateItems of one item could lose an update, which DynamoDB never does.

And the cyclic garbage collector: moto's heap (its modules, botocore's models, every
item of every table) is long-lived, and each full collection walked all of it, 70 to
120 ms of CPU at 1,000 connections, a stall that every request in flight waited out
(the slowest deliveries of the latency benchmark lined up with them). So right after
each full collection, what survived it is frozen (``gc.freeze()``): the next one walks
only what came later, 10 to 20 ms. Nothing that is garbage is frozen (it was just
collected), and moto's items hold no reference cycles, so a deleted item is still freed
by its reference count. Once the server answers, a few DynamoDB requests to itself load
what moto loads lazily (the service model, the backend, its Flask app) and a first
full collection freezes them.

Run it as moto's own server: ``python -m infra.services.moto_server -H 127.0.0.1 -p PORT``
(``infra.services.MotoDynamoDB`` does).
"""

from __future__ import annotations

import argparse
import functools
import gc
import http.client
import inspect
import logging
import signal
import threading
import time
from typing import Any

log = logging.getLogger("switchboard.moto")
_query_scope = threading.local()


def _items_of(table: Any, hash_key: Any) -> list[Any]:
    partition = table.items.get(hash_key)  # .get: never grow the defaultdict
    if partition is None:
        return []
    return list(partition.values()) if table.range_key_attr else [partition]


def patch_query(table_class: Any) -> bool:
    """Make ``table_class.query`` read only what it needs; False if moto's shape differs."""
    all_items = getattr(table_class, "all_items", None)
    query = getattr(table_class, "query", None)
    if getattr(query, "_switchboard_patched", False):
        return True
    if not callable(all_items) or not callable(query):
        return False
    signature = inspect.signature(query)
    if list(signature.parameters)[:2] != ["self", "hash_key"] or (
        "index_name" not in signature.parameters
    ):
        return False

    @functools.wraps(all_items)
    def scoped_all_items(self: Any) -> list[Any]:
        if id(getattr(_query_scope, "table", None)) != id(self):  # not the table queried
            return all_items(self)
        hash_key = _query_scope.hash_key
        if hash_key is not None:
            return _items_of(self, hash_key)
        return [
            item
            for value in self.items.values()
            for item in (value.values() if self.range_key_attr else [value])
        ]

    @functools.wraps(query)
    def scoped_query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = signature.bind(self, hash_key, *args, **kwargs).arguments.get("index_name")
        partition = hash_key if not index_name and hash_key is not None else None
        _query_scope.table, _query_scope.hash_key = self, partition
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            _query_scope.table = _query_scope.hash_key = None

    scoped_query._switchboard_patched = True  # type: ignore[attr-defined]  # a marker on a function
    table_class.all_items = scoped_all_items
    table_class.query = scoped_query
    return True


WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")
_writes_lock = threading.RLock()  # reentrant: a transaction applies its writes through put_item &c.


def serialize_writes(backend_class: Any) -> bool:
    """DynamoDB applies each write to an item atomically (a conditional UpdateItem reads
    and writes as one); moto serves requests on threads and reads, changes and stores an
    item without a lock, so two concurrent UpdateItems of one item could each ADD 1 to
    the same old version (a lost update that DynamoDB never makes). Writes run one at a
    time here; reads still run beside them."""
    done = False
    for name in WRITES:
        write = getattr(backend_class, name, None)
        if write is None or getattr(write, "_switchboard_patched", False):
            continue

        def serialized(*args: Any, _write: Any = write, **kwargs: Any) -> Any:
            with _writes_lock:
                return _write(*args, **kwargs)

        functools.update_wrapper(serialized, write)
        serialized._switchboard_patched = True  # type: ignore[attr-defined]  # a marker on a function
        setattr(backend_class, name, serialized)
        done = True
    return done


def cache_module_list(backends: Any) -> bool:
    """Read moto's list of service packages once; False if moto's shape differs."""
    listing = getattr(backends, "list_of_moto_modules", None)
    if not callable(listing):
        return False
    if getattr(listing, "_switchboard_patched", False):
        return True
    modules = tuple(listing())

    def list_of_moto_modules() -> tuple[str, ...]:
        return modules

    list_of_moto_modules._switchboard_patched = True  # type: ignore[attr-defined]  # a marker on a function
    backends.list_of_moto_modules = list_of_moto_modules
    return True


WARM_UP = ("ListTables", "DescribeTable", "Query", "PutItem", "GetItem")


def _freeze_survivors(phase: str, info: dict[str, Any]) -> None:
    if phase == "stop" and info.get("generation") == 2:
        gc.freeze()


def freeze_after_full_collections() -> None:
    """After each full (generation 2) collection, freeze what survived it."""
    if _freeze_survivors not in gc.callbacks:
        gc.callbacks.append(_freeze_survivors)


def warm_up(host: str, port: int, timeout: float = 30.0) -> None:
    """Once the server answers: one request per DynamoDB action the functions use most
    (errors are fine: the table does not exist), then a full collection."""
    deadline = time.monotonic() + timeout
    for action in WARM_UP:
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection(host, port, timeout=5)
                connection.request(
                    "POST",
                    "/",
                    body=b'{"TableName": "warm-up"}',
                    headers={
                        "Content-Type": "application/x-amz-json-1.0",
                        "X-Amz-Target": f"DynamoDB_20120810.{action}",
                        "Authorization": "AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/"
                        "dynamodb/aws4_request, SignedHeaders=host, Signature=0",
                    },
                )
                connection.getresponse().read()
                connection.close()
                break
            except OSError:
                time.sleep(0.05)
    gc.collect()


def main(argv: list[str] | None = None) -> None:
    from moto import backends
    from moto.dynamodb.models.table import Table
    from moto.server import main as moto_main

    if not patch_query(Table):
        log.warning("moto's Table.query has changed shape; running it unpatched")
    if not cache_module_list(backends):
        log.warning("moto.backends.list_of_moto_modules is gone; not cached")
    from moto.dynamodb.models import DynamoDBBackend

    if not serialize_writes(DynamoDBBackend):
        log.warning("moto's DynamoDB writes have changed shape; running them unserialized")
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    address, _ = parser.parse_known_args(argv)
    freeze_after_full_collections()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group; the emulator stops us
    threading.Thread(
        target=warm_up, args=(address.host, address.port), name="warm-up", daemon=True
    ).start()
    moto_main(argv)


if __name__ == "__main__":
    main()
