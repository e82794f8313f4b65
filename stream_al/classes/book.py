"""`ClassBook`: the class set of a deployment, kept in the store so every process sees one.

The scorer, the queue (with the annotation API) and the learner may run in
separate processes over one store file. Each holds a `ClassBook`: a copy of
the `ClassSet` saved under the store's state key ``"classes"``. Every change
reads the saved set, changes it and saves it in one store transaction; a
label the copy does not know is looked up in the store again before it is
called unknown (another process may have accepted its class), and `known`
trusts its copy for `refresh_s` seconds.

>>> from stream_al.store import MemoryStore
>>> store = MemoryStore()
>>> queue_side, learner_side = ClassBook(store), ClassBook(store)
>>> queue_side.seed(["UP", "DOWN"], "config")
['UP', 'DOWN']
>>> _ = queue_side.propose("FLAT", by="ana", at=1.0)
>>> learner_side.check("FLAT").status.value
'pending'
>>> _ = queue_side.accept("FLAT", by="root", at=2.0)
>>> learner_side.check("FLAT").status.value  # read again from the store
'known'
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, TypeVar

from stream_al.classes.class_set import MAX_CLASSES, MAX_PENDING, ClassSet
from stream_al.classes.records import Match, Proposal, Rejection, Source, Status, is_label
from stream_al.items import Label

if TYPE_CHECKING:
    from stream_al.store.base import Store

__all__ = ["STATE_KEY", "ClassBook"]

logger = logging.getLogger(__name__)

#: The store's state key of the class set.
STATE_KEY = "classes"

T = TypeVar("T")


class ClassBook:
    """The store's class set, with a copy for quick checks.

    Parameters
    ----------
    store
        Where the set is kept (shared by every process of the deployment).
    refresh_s
        Seconds `known` trusts its copy before reading the store again.
    clock
        A monotonic clock, in seconds.
    limit, max_pending
        Most known classes, and most classes waiting for an admin (`ClassSet`).
    """

    def __init__(
        self,
        store: Store,
        refresh_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        *,
        limit: int = MAX_CLASSES,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.store = store
        self.refresh_s = refresh_s
        self.clock = clock
        self.limit = limit
        self.max_pending = max_pending
        self._set = self._read()
        self._read_at = clock()
        self._said_full = False

    # -- reading -------------------------------------------------------------------------

    @property
    def known(self) -> list[Label]:
        """The known classes, in order (read again when the copy is older than `refresh_s`)."""
        if self.clock() - self._read_at >= self.refresh_s:
            self.reload()
        return self._set.known

    @property
    def closed(self) -> bool:
        """Whether the classes were declared in full (events add none)."""
        return self._set.closed

    def snapshot(self) -> ClassSet:
        """The set as the store has it now (a copy: changing it changes nothing)."""
        self.reload()
        return ClassSet.from_state(self._set.state(), self.limit, self.max_pending)

    def reload(self) -> None:
        """Read the set from the store again."""
        self._set = self._read()
        self._read_at = self.clock()

    def waiting_full(self) -> bool:
        """Whether no other class may wait for an admin now (`ClassSet.waiting_full`)."""
        return self._set.waiting_full()

    def check(self, label: Label) -> Match:
        """`ClassSet.check`, reading the store again when the copy does not know `label`."""
        match = self._set.check(label)
        if match.status is Status.KNOWN:
            return match
        self.reload()
        return self._set.check(label)

    # -- changes (each in one store transaction) ---------------------------------------

    def seed(self, classes: Iterable[Label], source: Source) -> list[Label]:
        """`ClassSet.seed`: classes from configuration, a file's header or a model."""
        wanted = list(classes)
        if all(self._set.check(c).status is Status.KNOWN for c in wanted) and self._set.closed:
            return []
        added = self._change(lambda s: s.seed(wanted, source))
        if added:
            logger.info("classes.added source=%s classes=%s", source, added)
        return added

    def detect(self, labels: Iterable[object]) -> list[Label]:
        """`ClassSet.detect` with the label values of a batch of events; returns the new classes.

        Cheap when nothing is new (no store access): call it with every batch.
        """
        values = list(labels)
        if self._set.closed or not any(
            self._set.check(v).status is Status.UNKNOWN  # type: ignore[arg-type]
            for v in values
            if is_label(v)
        ):
            return []
        if self._set.full():
            if not self._said_full:
                logger.warning(
                    "classes.full limit=%d: events carry more label values than a stream has "
                    "classes; check [fields] label, or set [model] classes",
                    self._set.limit,
                )
                self._said_full = True
            return []
        added = self._change(lambda s: s.detect(values))
        if added:
            logger.info("classes.added source=events classes=%s", added)
        return added

    def declare(self, classes: Sequence[Label], by: str, at: float) -> list[Label]:
        """`ClassSet.declare`: an admin names the classes of a set that knows none."""
        added = self._change(lambda s: s.declare(classes, by, at))
        logger.info("classes.declared by=%s classes=%s", by, added)
        return added

    def propose(self, label: Label, by: str, at: float, row: int | None = None) -> Proposal:
        """`ClassSet.propose`: one more label waits for its class to be accepted."""
        proposal = self._change(lambda s: s.propose(label, by, at, row))
        if proposal.labels == 1:
            logger.info("classes.proposed label=%r by=%s", proposal.label, by)
        return proposal

    def accept(self, label: Label, by: str, at: float) -> Proposal:
        """`ClassSet.accept`: the waiting class becomes known."""
        proposal = self._change(lambda s: s.accept(label, by, at))
        logger.info("classes.accepted label=%r by=%s held=%d", proposal.label, by, proposal.labels)
        return proposal

    def reject(self, label: Label, by: str, at: float) -> Rejection:
        """`ClassSet.reject`: the waiting class's labels are never learned."""
        rejection = self._change(lambda s: s.reject(label, by, at))
        logger.info(
            "classes.rejected label=%r by=%s held=%d", rejection.label, by, rejection.labels
        )
        return rejection

    def _change(self, change: Callable[[ClassSet], T]) -> T:
        """Read, change and save the set in one store transaction (the copy follows)."""
        try:
            with self.store.transaction():
                current = self._read()
                result = change(current)
                self.store.save_state(STATE_KEY, current.state())
        except BaseException:
            self.reload()
            raise
        self._set = current
        self._read_at = self.clock()
        return result

    def _read(self) -> ClassSet:
        saved = self.store.load_state(STATE_KEY)
        if saved is None:
            return ClassSet(self.limit, self.max_pending)
        return ClassSet.from_state(saved, self.limit, self.max_pending)
