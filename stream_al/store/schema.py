"""The tables of the SQLite store, created with sqlite-utils.

=============  ===============================  =====================================
table          key                              holds
=============  ===============================  =====================================
queue_tasks    item_id                          latest state of each queue task
labels         rowid; unique (item, annotator)  every label, in arrival order
seen           item_id                          ids whose effects are durable
decisions      item_id                          the decision log
drift_events   rowid; unique (kind, detector,   drift and lag alerts
               source, position)
models         (name, version)                  checkpoints: blob, digest, HMAC, metadata
state          name                             small JSON states (the budget's)
=============  ===============================  =====================================

The version is kept in ``PRAGMA user_version``; a newer file is refused.
"""

from __future__ import annotations

from sqlite_utils import Database

__all__ = ["SCHEMA_VERSION", "create_schema"]

#: Version of the tables this code writes. Version 2 added ``labels.seconds`` and
#: ``queue_tasks.wanted`` and ``labelled_by`` (a version 1 file gains them on open).
SCHEMA_VERSION = 2

#: Columns added after version 1: (table, column, type).
_ADDED = (
    ("labels", "seconds", float),
    ("queue_tasks", "wanted", int),
    ("queue_tasks", "labelled_by", str),
)


def create_schema(db: Database) -> None:
    """Create every table and index that does not exist yet (inside a transaction)."""
    db.table("queue_tasks").create(
        {
            "item_id": str,
            "seq": int,
            "live": int,
            "state": str,
            "at": float,
            "score": float,
            "arrival": float,
            "payload": str,
            "classes": str,
            "lease": str,
            "skips": int,
            "skipped_by": str,
            "wanted": int,
            "labelled_by": str,
        },
        pk="item_id",
        not_null={"seq", "live", "state", "at", "score", "arrival", "skips"},
        if_not_exists=True,
    )
    db.table("queue_tasks").create_index(["live", "seq"], if_not_exists=True)
    db.table("labels").create(
        {
            "item_id": str,
            "annotator": str,
            "label": str,
            "source": str,
            "time": float,
            "seconds": float,
        },
        not_null={"item_id", "annotator", "label", "source", "time"},
        if_not_exists=True,
    )
    db.table("labels").create_index(["item_id", "annotator"], unique=True, if_not_exists=True)
    db.table("seen").create({"item_id": str, "at": float}, pk="item_id", if_not_exists=True)
    db.table("seen").create_index(["at"], if_not_exists=True)
    db.table("decisions").create(
        {
            "item_id": str,
            "time": float,
            "score": float,
            "threshold": float,
            "queried": int,
            "reason": str,
            "random_draw": int,
            "components": str,
            "model_version": str,
        },
        pk="item_id",
        not_null={"time", "queried", "reason", "random_draw", "components"},
        if_not_exists=True,
    )
    db.table("decisions").create_index(["time"], if_not_exists=True)
    db.table("drift_events").create(
        {
            "kind": str,
            "severity": str,
            "detector": str,
            "source": str,
            "statistic": float,
            "position": int,
            "time": float,
            "message": str,
        },
        not_null={"kind", "severity", "detector", "source", "position", "time", "message"},
        if_not_exists=True,
    )
    db.table("drift_events").create_index(
        ["kind", "detector", "source", "position"], unique=True, if_not_exists=True
    )
    db.table("models").create(
        {
            "name": str,
            "version": str,
            "created": float,
            "digest": str,
            "mac": str,
            "size": int,
            "metadata": str,
            "blob": bytes,
        },
        pk=("name", "version"),
        not_null={"created", "digest", "mac", "size", "metadata", "blob"},
        if_not_exists=True,
    )
    db.table("state").create(
        {"name": str, "value": str, "updated": float},
        pk="name",
        not_null={"value", "updated"},
        if_not_exists=True,
    )
    for table, column, kind in _ADDED:  # an older file: add what it lacks (NULL in old rows)
        if column not in db.table(table).columns_dict:
            db.table(table).add_column(column, kind)
