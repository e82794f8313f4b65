"""`ClassSet`: the labels a stream has, where each came from, and new ones awaiting an admin.

Classes come from configuration (``[model] classes``), a file's header (an
ARFF nominal class, a synthetic generator), the label field of events that
carry one, or an admin; never from whatever the first annotators type. A label
outside the set is refused or, where new classes are allowed, *proposed*: its
class waits until an admin accepts it (it becomes known) or rejects it.

Labels are strings, integers or booleans. A label matches a class of the same
type and value first, then one with the same text: ``"1"`` is class ``1``,
but ``True`` is not ``1``.

>>> classes = ClassSet()
>>> classes.check("banana").status.value
'unknown'
>>> classes.seed(["UP", "DOWN"], "config")
['UP', 'DOWN']
>>> classes.check("DOWN").status.value, classes.check("banana").status.value
('known', 'unknown')
>>> classes.propose("banana", by="ana", at=10.0).labels
1
>>> classes.check("banana").status.value
'pending'
>>> classes.accept("banana", by="root", at=20.0).proposed_by
('ana',)
>>> classes.known
['UP', 'DOWN', 'banana']
>>> ClassSet.from_state(classes.state()).known == classes.known
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from stream_al.classes.records import (
    MAX_TEXT,
    SOURCES,
    KnownClass,
    Match,
    Proposal,
    Rejection,
    Source,
    Status,
    is_label,
)
from stream_al.exceptions import ClassError, ClassStateError, UnknownClassError
from stream_al.items import Label

__all__ = ["MAX_CLASSES", "MAX_PENDING", "ClassSet"]

#: Most known classes: events whose label field holds ids or free text stop adding here.
MAX_CLASSES = 1000
#: Most classes waiting for an admin at once.
MAX_PENDING = 100
#: Proposers named per waiting class (the count of labels goes on).
_MAX_PROPOSERS = 20
_STATE_VERSION = 1


def _key(label: Label) -> tuple[str, str]:
    """A dictionary key that keeps ``True``, ``1`` and ``"1"`` apart (they hash alike)."""
    return type(label).__name__, str(label)


class ClassSet:
    """Known classes in order, proposals waiting for an admin, and rejected classes.

    A set is *closed* once its classes were declared in full (configuration,
    a file's header, an admin's declaration): the label values of events then
    add nothing. An open set grows with `detect`.

    Parameters
    ----------
    limit
        Most known classes (`detect` adds none beyond).
    max_pending
        Most classes waiting for an admin at once.
    """

    def __init__(self, limit: int = MAX_CLASSES, max_pending: int = MAX_PENDING) -> None:
        self.limit = limit
        self.max_pending = max_pending
        self.closed = False
        self._known: dict[tuple[str, str], KnownClass] = {}
        self._pending: dict[tuple[str, str], Proposal] = {}
        self._rejected: dict[tuple[str, str], Rejection] = {}

    # -- reading -------------------------------------------------------------------------

    @property
    def known(self) -> list[Label]:
        """The known classes, in the order they became known."""
        return [c.label for c in self._known.values()]

    @property
    def classes(self) -> list[KnownClass]:
        """The known classes with where each came from."""
        return list(self._known.values())

    @property
    def pending(self) -> list[Proposal]:
        """Classes waiting for an admin, oldest first."""
        return list(self._pending.values())

    @property
    def rejected(self) -> list[Rejection]:
        """Classes an admin rejected."""
        return list(self._rejected.values())

    def check(self, label: Label) -> Match:
        """Whether `label` is a known class, one waiting for an admin, a rejected one, or none.

        >>> s = ClassSet()
        >>> _ = s.seed([0, 1], "config")
        >>> s.check("1"), s.check(True).status.value
        (Match(status=<Status.KNOWN: 'known'>, label=1), 'unknown')
        """
        for status, table in (
            (Status.KNOWN, self._known),
            (Status.PENDING, self._pending),
            (Status.REJECTED, self._rejected),
        ):
            found = table.get(_key(label))
            if found is not None:
                return Match(status, found.label)
        text = str(label)
        for status, table in (
            (Status.KNOWN, self._known),
            (Status.PENDING, self._pending),
            (Status.REJECTED, self._rejected),
        ):
            for key, entry in table.items():
                if key[1] == text:
                    return Match(status, entry.label)
        return Match(Status.UNKNOWN, label)

    # -- classes from configuration, files and events ---------------------------------

    def seed(
        self,
        classes: Iterable[Label],
        source: Source,
        by: str | None = None,
        at: float | None = None,
    ) -> list[Label]:
        """Make `classes` known, in order, and close the set; returns those that were not.

        A class waiting for an admin, or rejected, that `classes` names becomes
        known: configuration and files are the authority. (Labels held for it
        stay in the label log unlearned.)
        """
        added: list[Label] = []
        for label in classes:
            _check_label(label)
            match = self.check(label)
            if match.status is Status.KNOWN:
                continue
            key = _key(match.label)
            self._pending.pop(key, None)
            self._rejected.pop(key, None)
            self._known[key] = KnownClass(match.label, source, by, at)
            added.append(match.label)
        self.closed = True
        return added

    def declare(self, classes: Sequence[Label], by: str, at: float) -> list[Label]:
        """An admin declares the classes of a set that knows none yet (at least two)."""
        if self._known:
            raise ClassStateError(
                f"the classes are known already ({_listed(self.known)}); new ones come as "
                "proposals for an admin to accept"
            )
        keys = {_key(label) for label in classes if is_label(label)}
        if len(classes) < 2 or len(keys) < len(classes):
            raise ClassError(
                f"declare at least two distinct classes (strings, integers or booleans), "
                f"got {list(classes)!r}"
            )
        return self.seed(classes, "admin", by, at)

    def detect(self, labels: Iterable[object]) -> list[Label]:
        """Add the label values of events as classes (an open set only); returns the new ones.

        Values that cannot be labels (None, floats, objects) are passed over, as are
        classes waiting for an admin (an admin still decides), rejected ones, and
        new ones once the set holds `limit` classes.

        >>> s = ClassSet()
        >>> s.detect(["UP", None, "DOWN", "UP", 2.5])
        ['UP', 'DOWN']
        >>> _ = s.seed(["UP", "DOWN"], "config")
        >>> s.detect(["FLAT"])
        []
        """
        if self.closed:
            return []
        added: list[Label] = []
        for value in labels:
            if not is_label(value) or len(self._known) >= self.limit:
                continue
            label: Label = value  # type: ignore[assignment]
            if self.check(label).status is not Status.UNKNOWN:
                continue
            self._known[_key(label)] = KnownClass(label, "events")
            added.append(label)
        return added

    def known_class(self, label: Label) -> KnownClass | None:
        """The known class `label` matches, with its source; None if it matches none."""
        match = self.check(label)
        return self._known[_key(match.label)] if match.status is Status.KNOWN else None

    def waiting_full(self) -> bool:
        """Whether `max_pending` classes wait for an admin (no other may be proposed)."""
        return len(self._pending) >= self.max_pending

    def full(self) -> bool:
        """Whether the set holds `limit` classes (`detect` adds no more)."""
        return len(self._known) >= self.limit

    # -- new classes and an admin's decisions ------------------------------------------

    def propose(self, label: Label, by: str, at: float, row: int | None = None) -> Proposal:
        """One more label of a class outside the set: the class waits for an admin.

        `row` is the label's row in the label log (kept for the first one).
        """
        _check_label(label)
        match = self.check(label)
        key = _key(match.label)
        if match.status is Status.KNOWN:
            raise ClassStateError(f"{match.label!r} is a known class; it needs no proposal")
        if match.status is Status.REJECTED:
            rejection = self._rejected[key]
            raise ClassStateError(
                f"class {match.label!r} was rejected by {rejection.by!r}; use one of the "
                f"classes ({_listed(self.known)})"
            )
        before = self._pending.get(key)
        if before is None:
            if self.waiting_full():
                raise ClassError(
                    f"{len(self._pending)} new classes already wait for an admin; an admin "
                    f"accepts or rejects them (GET /v1/classes) before {label!r} can wait too"
                )
            proposal = Proposal(label, (by,), 1, at, row)
        else:
            names = before.proposed_by
            if by not in names and len(names) < _MAX_PROPOSERS:
                names = (*names, by)
            first = before.first_row if before.first_row is not None else row
            proposal = replace(before, proposed_by=names, labels=before.labels + 1, first_row=first)
        self._pending[key] = proposal
        return proposal

    def accept(self, label: Label, by: str, at: float) -> Proposal:
        """Admin `by` accepts the waiting class `label`: it becomes known; returns its proposal."""
        key, proposal = self._waiting(label)
        del self._pending[key]
        self._known[key] = KnownClass(proposal.label, "admin", by, at, proposal.first_row)
        return proposal

    def reject(self, label: Label, by: str, at: float) -> Rejection:
        """Admin `by` rejects the waiting class `label`: its labels are never learned."""
        key, proposal = self._waiting(label)
        del self._pending[key]
        rejection = Rejection(proposal.label, by, at, proposal.labels)
        self._rejected[key] = rejection
        return rejection

    def _waiting(self, label: Label) -> tuple[tuple[str, str], Proposal]:
        match = self.check(label)
        if match.status is Status.PENDING:
            key = _key(match.label)
            return key, self._pending[key]
        if match.status is Status.KNOWN:
            raise ClassStateError(f"{match.label!r} is a known class already")
        if match.status is Status.REJECTED:
            raise ClassStateError(f"class {match.label!r} was rejected already; that is final")
        waiting = _listed([p.label for p in self._pending.values()]) or "none"
        raise UnknownClassError(
            f"no label proposed a class {label!r}; the classes waiting for an admin: {waiting}"
        )

    # -- state -------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """The set as JSON, for the store."""
        return {
            "version": _STATE_VERSION,
            "closed": self.closed,
            "known": [
                {
                    "label": c.label,
                    "source": c.source,
                    "by": c.by,
                    "at": c.at,
                    "first_row": c.first_row,
                }
                for c in self._known.values()
            ],
            "pending": [
                {
                    "label": p.label,
                    "proposed_by": list(p.proposed_by),
                    "labels": p.labels,
                    "since": p.since,
                    "first_row": p.first_row,
                }
                for p in self._pending.values()
            ],
            "rejected": [
                {"label": r.label, "by": r.by, "at": r.at, "labels": r.labels}
                for r in self._rejected.values()
            ],
        }

    @classmethod
    def from_state(
        cls, state: Mapping[str, Any], limit: int = MAX_CLASSES, max_pending: int = MAX_PENDING
    ) -> ClassSet:
        """The set saved by `state`."""
        if state.get("version") != _STATE_VERSION:
            raise ClassError(
                f"the stored class set has version {state.get('version')!r}, this stream-al "
                f"reads version {_STATE_VERSION}; upgrade stream-al"
            )
        out = cls(limit, max_pending)
        out.closed = bool(state.get("closed", False))
        for doc in state.get("known", ()):
            source: Source = doc["source"] if doc.get("source") in SOURCES else "admin"
            out._known[_key(doc["label"])] = KnownClass(
                doc["label"], source, doc.get("by"), doc.get("at"), doc.get("first_row")
            )
        for doc in state.get("pending", ()):
            out._pending[_key(doc["label"])] = Proposal(
                doc["label"],
                tuple(doc.get("proposed_by", ())),
                int(doc.get("labels", 0)),
                float(doc.get("since", 0.0)),
                doc.get("first_row"),
            )
        for doc in state.get("rejected", ()):
            out._rejected[_key(doc["label"])] = Rejection(
                doc["label"],
                str(doc.get("by", "")),
                float(doc.get("at", 0.0)),
                doc.get("labels", 0),
            )
        return out


def _check_label(label: object) -> None:
    if not is_label(label):
        raise ClassError(
            f"a class is a non-empty string of at most {MAX_TEXT} characters, an integer or "
            f"a boolean, got {label!r}"
        )


def _listed(labels: Iterable[Label]) -> str:
    return ", ".join(repr(label) for label in labels)
