"""Where annotators are kept: a table in the store's SQLite file, or memory.

The SQLite table ``annotators`` lives in the store's file (WAL mode), so
`stream-al annotators add` in one process and the API in another see the
same annotators at once. A ``":memory:"`` store has a memory table: its
annotators come from the ``[api] token`` admin and the admin routes.

>>> import tempfile
>>> from pathlib import Path
>>> with tempfile.TemporaryDirectory() as tmp:
...     table = SqliteAnnotatorTable(Path(tmp) / "s.db")
...     table.insert(Annotator("ana", Role.ANNOTATOR, 1.0), "ab12")
...     found = table.find_by_hash("ab12")
...     table.close()
>>> found
(Annotator(name='ana', role=<Role.ANNOTATOR: 'annotator'>, created=1.0, revoked=None), 'ab12')
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlite_utils import Database

from stream_al.api.auth import Annotator, AnnotatorRegistry, AnnotatorTable, Role
from stream_al.api.errors import AnnotatorExistsError
from stream_al.store.errors import StoreError

__all__ = ["MemoryAnnotatorTable", "SqliteAnnotatorTable", "open_registry"]

#: Names per ``IN (...)`` query.
_IN_CHUNK = 500


def _exists(name: str) -> AnnotatorExistsError:
    return AnnotatorExistsError(
        "annotator_exists",
        f"annotator {name!r} already exists (revoked names stay taken); choose another name",
    )


class MemoryAnnotatorTable:
    """Annotators in a dictionary; gone when the process ends."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_name: dict[str, tuple[Annotator, str]] = {}
        self._by_hash: dict[str, str] = {}

    def insert(self, annotator: Annotator, token_hash: str) -> None:
        with self._lock:
            if annotator.name in self._by_name:
                raise _exists(annotator.name)
            self._by_name[annotator.name] = (annotator, token_hash)
            self._by_hash[token_hash] = annotator.name

    def find_by_hash(self, token_hash: str) -> tuple[Annotator, str] | None:
        with self._lock:
            name = self._by_hash.get(token_hash)
            return None if name is None else self._by_name[name]

    def find(self, name: str) -> Annotator | None:
        with self._lock:
            found = self._by_name.get(name)
            return None if found is None else found[0]

    def all(self) -> list[Annotator]:
        with self._lock:
            return [annotator for annotator, _ in self._by_name.values()]

    def revoke(self, name: str, at: float) -> None:
        with self._lock:
            annotator, digest = self._by_name[name]
            if annotator.revoked is None:
                revoked = Annotator(annotator.name, annotator.role, annotator.created, at)
                self._by_name[name] = (revoked, digest)

    def revoked_among(self, names: Collection[str]) -> list[str]:
        with self._lock:
            found = (self._by_name.get(name) for name in names)
            return [entry[0].name for entry in found if entry and entry[0].revoked is not None]

    def close(self) -> None:
        """Nothing to release."""


class SqliteAnnotatorTable:
    """The ``annotators`` table of a SQLite file (created if missing), shared by processes.

    Parameters
    ----------
    path
        The store's database file (its folder must exist).
    busy_timeout
        Seconds a write waits for another process's write lock.
    """

    def __init__(self, path: Path | str, busy_timeout: float = 30.0) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            conn = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
            self._db = Database(conn, execute_plugins=False)
            self._db.enable_wal()
            self._db.table("annotators").create(
                {"name": str, "role": str, "token_hash": str, "created": float, "revoked": float},
                pk="name",
                not_null={"role", "token_hash", "created"},
                if_not_exists=True,
            )
            self._db.table("annotators").create_index(
                ["token_hash"], unique=True, if_not_exists=True
            )
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open the annotators table in {self.path}: {error}; "
                "check the folder exists and the file is a stream-al store"
            ) from None

    def insert(self, annotator: Annotator, token_hash: str) -> None:
        row = [annotator.name, annotator.role.value, token_hash, annotator.created]
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO annotators (name, role, token_hash, created) VALUES (?, ?, ?, ?)",
                    row,
                )
            except sqlite3.IntegrityError:
                raise _exists(annotator.name) from None

    def find_by_hash(self, token_hash: str) -> tuple[Annotator, str] | None:
        rows = self._rows("SELECT * FROM annotators WHERE token_hash = ?", [token_hash])
        return (_annotator(rows[0]), rows[0]["token_hash"]) if rows else None

    def find(self, name: str) -> Annotator | None:
        rows = self._rows("SELECT * FROM annotators WHERE name = ?", [name])
        return _annotator(rows[0]) if rows else None

    def all(self) -> list[Annotator]:
        return [_annotator(row) for row in self._rows("SELECT * FROM annotators ORDER BY rowid")]

    def revoke(self, name: str, at: float) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE annotators SET revoked = ? WHERE name = ? AND revoked IS NULL", [at, name]
            )

    def revoked_among(self, names: Collection[str]) -> list[str]:
        wanted = list(dict.fromkeys(names))
        found: list[str] = []
        for start in range(0, len(wanted), _IN_CHUNK):  # SQLite bounds the parameters
            chunk = wanted[start : start + _IN_CHUNK]
            marks = ", ".join("?" * len(chunk))
            sql = f"SELECT name FROM annotators WHERE revoked IS NOT NULL AND name IN ({marks})"
            try:
                found += [row["name"] for row in self._rows(sql, chunk)]
            except sqlite3.Error as error:
                raise StoreError(
                    f"cannot read the annotators table in {self.path}: {error}"
                ) from None
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._db.query(sql, params or []))


def _annotator(row: dict[str, Any]) -> Annotator:
    return Annotator(row["name"], Role(row["role"]), row["created"], row["revoked"])


def open_registry(
    store_path: Path | str,
    bootstrap: SecretStr | None = None,
    bootstrap_name: str = "admin",
    busy_timeout: float = 30.0,
) -> AnnotatorRegistry:
    """The registry of the store at `store_path`: in its SQLite file, or in memory."""
    table: AnnotatorTable = (
        MemoryAnnotatorTable()
        if str(store_path) == ":memory:"
        else SqliteAnnotatorTable(store_path, busy_timeout)
    )
    return AnnotatorRegistry(table, bootstrap, bootstrap_name)
