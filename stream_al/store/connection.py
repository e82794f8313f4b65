"""One SQLite connection in WAL mode, with atomic, nestable write transactions.

Durability
----------
- ``journal_mode=wal``: readers never block the writer nor the writer them;
  several processes may open the same file (not on a network file system:
  WAL needs shared memory between the processes of one machine).
- ``synchronous=FULL`` by default: the WAL is fsynced at every commit, so a
  committed transaction survives a power cut or an OS crash. This is what
  lets Kafka offsets be committed right after it. ``NORMAL`` fsyncs only
  at checkpoints: faster, and still safe if the *process* crashes, but the
  last commits may be lost on power loss, after their offsets were committed
  (items would then be missing, not duplicated).
- Write transactions start with ``BEGIN IMMEDIATE``: the write lock is taken
  up front, so two processes never deadlock upgrading a read to a write; a
  waiting writer retries for ``busy_timeout`` seconds before giving up.
- Nested `transaction` blocks are savepoints: an inner failure that is caught
  rolls back the inner block only.

Threads share the connection (``check_same_thread=False``) under a lock held
for a whole transaction. A connection must not cross a ``fork``: open the
store in each process (this is checked).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from sqlite_utils import Database

from stream_al.store.errors import StoreError
from stream_al.store.schema import SCHEMA_VERSION, create_schema

__all__ = ["Connection", "Synchronous"]

logger = logging.getLogger(__name__)

#: How hard commits are pushed to disk (see the module docstring).
Synchronous = Literal["full", "normal"]


class Connection:
    """A WAL-mode SQLite database, its schema created or checked.

    Parameters
    ----------
    path
        The database file (its folder must exist).
    synchronous
        ``"full"`` (durable against power loss) or ``"normal"``.
    busy_timeout
        Seconds a writer waits for another process's write lock.
    """

    def __init__(
        self, path: Path, synchronous: Synchronous = "full", busy_timeout: float = 30.0
    ) -> None:
        if synchronous not in ("full", "normal"):
            raise StoreError(f"synchronous must be 'full' or 'normal', got {synchronous!r}")
        self.path = path
        self._lock = threading.RLock()
        self._pid = os.getpid()
        self._depth = 0
        try:
            conn = sqlite3.connect(
                path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as error:
            raise StoreError(
                f"cannot open store {path}: {error}; check the folder exists"
            ) from None
        self.db = Database(conn, execute_plugins=False)
        self._closed = False
        try:
            self._configure(synchronous, busy_timeout)
        except BaseException:
            conn.close()
            raise

    def _configure(self, synchronous: Synchronous, busy_timeout: float) -> None:
        db = self.db
        try:
            db.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
            db.enable_wal()
            mode = db.journal_mode
            if mode != "wal":
                raise StoreError(
                    f"store {self.path} cannot use WAL mode (journal_mode={mode}); "
                    "put it on a local file system"
                )
            db.execute(f"PRAGMA synchronous = {synchronous.upper()}")
            with self.transaction():
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"store {self.path} has schema version {version}, newer than this "
                        f"stream-al's {SCHEMA_VERSION}; upgrade stream-al or use another file"
                    )
                create_schema(db)
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot use {self.path} as a store: {error}") from None
        logger.info(
            "store.open path=%s journal_mode=wal synchronous=%s busy_timeout_s=%s",
            self.path,
            synchronous,
            busy_timeout,
        )

    # -- transactions --------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block atomically; nested blocks are savepoints."""
        with self._lock:
            self._check_usable()
            conn = self.db.conn
            if self._depth > 0:
                name = f"stream_al_{self._depth}"
                conn.execute(f"SAVEPOINT {name}")
                self._depth += 1
                try:
                    yield
                except BaseException:
                    if conn.in_transaction:
                        conn.execute(f"ROLLBACK TO {name}")
                        conn.execute(f"RELEASE {name}")
                    raise
                else:
                    conn.execute(f"RELEASE {name}")
                finally:
                    self._depth -= 1
                return
            self._begin()
            self._depth = 1
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._depth = 0

    def _begin(self) -> None:
        try:
            self.db.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"store {self.path} stayed locked by another writer past the busy timeout "
                f"({error}); retry, or raise store.busy_timeout_s"
            ) from error

    @property
    def in_transaction(self) -> bool:
        """Whether a `transaction` block is open."""
        return self._depth > 0

    # -- statements ----------------------------------------------------------------

    def write(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        """Run one write statement; it must be inside `transaction`."""
        if not self.in_transaction:
            raise StoreError("internal: store writes must run inside a transaction")
        return self.db.execute(sql, list(params))

    def write_many(self, sql: str, rows: Iterable[Sequence[Any]]) -> int:
        """Run one write statement for each parameter row; returns the rows changed."""
        if not self.in_transaction:
            raise StoreError("internal: store writes must run inside a transaction")
        return self.db.conn.executemany(sql, rows).rowcount

    def read(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows of one query, as dicts (read in full, under the lock)."""
        with self._lock:
            self._check_usable()
            return list(self.db.query(sql, list(params)))

    def pragma(self, name: str) -> Any:
        """The value of ``PRAGMA name`` (e.g. ``journal_mode``, ``synchronous``)."""
        with self._lock:
            self._check_usable()
            return self.db.execute(f"PRAGMA {name}").fetchone()[0]

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self.db.close()
                logger.info("store.close path=%s", self.path)

    def _check_usable(self) -> None:
        if self._closed:
            raise StoreError(f"store {self.path} is closed; open it again")
        if os.getpid() != self._pid:
            raise StoreError(
                f"store {self.path} was opened in process {self._pid} and used in "
                f"{os.getpid()} (after fork); open the store in each process"
            )
