"""What the store keeps, as values: labels, decisions, drift events, model versions.

>>> row = DecisionRow(item_id="7", time=3.0, score=0.4, threshold=0.3, query=True,
...                   reason="uncertain", components={"margin": 0.4}, model_version="v1")
>>> row.query, row.components["margin"]
(True, 0.4)
>>> check_label("7", "cat", "ana", 1.0, "human")
>>> check_label("7", 0.5, "ana", 1.0, "human")
Traceback (most recent call last):
...
stream_al.store.errors.StoreError: label of item '7' must be a str, int or bool, got 0.5
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

from stream_al.drift.alerts import DriftAlert
from stream_al.items import Label
from stream_al.store.errors import LabelConflictError, StoreError

if TYPE_CHECKING:
    from stream_al.rules.base import Decision

__all__ = [
    "DECISION_COLUMNS",
    "LABEL_SOURCES",
    "PSEUDO_ANNOTATOR",
    "REVIEW_PREFIX",
    "DecisionRow",
    "DriftEvent",
    "LabelRecord",
    "LabelSource",
    "ModelVersion",
    "check_item_id",
    "check_label",
    "check_model",
    "dumps",
    "label_conflict",
]

#: Who gave a label: a person, the model itself (self-training), or the review of an
#: item several people labelled (their consensus, or an admin's decision).
LabelSource = Literal["human", "pseudo", "review"]
LABEL_SOURCES: tuple[str, ...] = get_args(LabelSource)

#: How a review's label is attributed: ``review:auto`` for the annotators'
#: consensus, ``review:<admin>`` for an admin's decision (a name cannot hold ":").
REVIEW_PREFIX = "review:"
#: The annotator name of pseudo-labels (source ``"pseudo"``): the model's own confident guesses.
PSEUDO_ANNOTATOR = "pseudo:self-training"


def dumps(value: Any, what: str) -> str:
    """Canonical JSON of `value` (sorted keys); `StoreError` naming `what` if it is not JSON."""
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        raise StoreError(
            f"{what} is not JSON-serialisable ({error}); use dicts, lists, str, numbers, bools"
        ) from error


def check_item_id(item_id: Any, what: str) -> None:
    """Raise `StoreError` unless `item_id` is a non-empty string."""
    if not isinstance(item_id, str) or not item_id:
        raise StoreError(f"{what} needs a non-empty string item id, got {item_id!r}")


def check_label(
    item_id: str,
    label: Any,
    annotator: str,
    time: float,
    source: str,
    seconds: float | None = None,
) -> None:
    """Raise `StoreError` naming the item unless the label submission is well formed."""
    check_item_id(item_id, "a label")
    if not isinstance(label, str | int | bool):
        raise StoreError(f"label of item {item_id!r} must be a str, int or bool, got {label!r}")
    if not isinstance(annotator, str) or not annotator:
        raise StoreError(f"label of item {item_id!r} needs a non-empty annotator name")
    if source not in LABEL_SOURCES:
        raise StoreError(
            f"label of item {item_id!r}: source must be one of {LABEL_SOURCES}, got {source!r}"
        )
    if not isinstance(time, int | float) or not math.isfinite(time):
        raise StoreError(f"label of item {item_id!r}: time must be a finite number, got {time!r}")
    if seconds is not None and not (
        isinstance(seconds, int | float) and math.isfinite(seconds) and seconds >= 0
    ):
        raise StoreError(
            f"label of item {item_id!r}: seconds must be a finite number >= 0, got {seconds!r}"
        )


def label_conflict(item_id: str, annotator: str, old: Label, new: Label) -> LabelConflictError:
    """The error for a second, different label from the same annotator."""
    return LabelConflictError(
        f"item {item_id!r} already has label {old!r} from annotator {annotator!r}; "
        f"refusing {new!r}: a label is final per item and annotator"
    )


def check_model(name: str, version: str, created: float | None) -> None:
    """Raise `StoreError` unless a model version's name, version and time are usable."""
    if not name or not version:
        raise StoreError(f"a model needs a non-empty name and version, got {name!r}, {version!r}")
    if created is not None and not math.isfinite(created):
        raise StoreError(
            f"model {name!r} version {version!r}: created must be finite, got {created}"
        )


#: Columns of the decision log, in the order of `DecisionRow.to_values`.
DECISION_COLUMNS = (
    "item_id",
    "time",
    "score",
    "threshold",
    "queried",
    "reason",
    "random_draw",
    "components",
    "model_version",
)


@dataclass(frozen=True, slots=True)
class LabelRecord:
    """One stored label.

    Attributes
    ----------
    rowid
        Position in the label log (increasing); resume `iter_labels` after it.
    item_id, label, annotator, time
        Which item, which label, who, and when (seconds).
    source
        ``"human"``, ``"pseudo"`` or ``"review"``.
    seconds
        How long the annotator took, when known.
    """

    rowid: int
    item_id: str
    label: Label
    annotator: str
    time: float
    source: LabelSource
    seconds: float | None = None


@dataclass(frozen=True, slots=True)
class DecisionRow:
    """One line of the decision log: why an item was (not) sent to annotators.

    Attributes
    ----------
    item_id, time
        The item and when it was decided (seconds).
    score, threshold
        The informativeness score and the threshold it met (nan: none; stored as NULL).
    query
        Whether it was sent to annotators.
    reason
        The rule's reason (``"uncertain"``, ``"random"``, ``"below_threshold"``...).
    random
        Drawn by chance alone (an unbiased sample).
    components
        The parts of a hybrid score.
    model_version
        The model that scored it.
    """

    item_id: str
    time: float
    score: float
    threshold: float
    query: bool
    reason: str
    random: bool = False
    components: Mapping[str, float] = field(default_factory=dict)
    model_version: str | None = None

    @classmethod
    def from_decision(
        cls, item_id: str, time: float, decision: Decision, model_version: str | None = None
    ) -> DecisionRow:
        """The log line of a rule's `Decision` about `item_id`."""
        return cls(
            item_id=item_id,
            time=time,
            score=decision.score,
            threshold=decision.threshold,
            query=decision.query,
            reason=decision.reason,
            random=decision.random,
            components=dict(decision.components),
            model_version=model_version,
        )

    def to_row(self) -> dict[str, Any]:
        """The row stored (nan threshold as NULL, components as JSON)."""
        return dict(zip(DECISION_COLUMNS, self.to_values(), strict=True))

    def to_values(self) -> tuple[Any, ...]:
        """`to_row`'s values in `DECISION_COLUMNS` order (for batch inserts)."""
        check_item_id(self.item_id, "a decision")
        if not math.isfinite(self.time):
            raise StoreError(f"decision on {self.item_id!r}: time must be finite, got {self.time}")
        score, threshold = self.score, self.threshold
        return (
            self.item_id,
            float(self.time),
            None if math.isnan(score) else float(score),
            None if math.isnan(threshold) else float(threshold),
            int(bool(self.query)),
            self.reason,
            int(bool(self.random)),
            dumps(dict(self.components), f"components of item {self.item_id!r}")
            if self.components
            else "{}",
            self.model_version,
        )

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> DecisionRow:
        """Rebuild a decision from a stored row."""
        threshold = row["threshold"]
        return cls(
            item_id=row["item_id"],
            time=row["time"],
            score=math.nan if row["score"] is None else row["score"],
            threshold=math.nan if threshold is None else threshold,
            query=bool(row["queried"]),
            reason=row["reason"],
            random=bool(row["random_draw"]),
            components=json.loads(row["components"]),
            model_version=row["model_version"],
        )


@dataclass(frozen=True, slots=True)
class DriftEvent:
    """A stored drift alert and its position in the event log."""

    rowid: int
    alert: DriftAlert


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """What the store knows of one saved model version (without the blob).

    Attributes
    ----------
    name, version
        The model and its version (versions are immutable).
    created
        When it was saved (seconds).
    digest
        SHA-256 of the blob, hex.
    size
        Bytes in the blob.
    metadata
        What the saver attached (metrics, format, classes...).
    """

    name: str
    version: str
    created: float
    digest: str
    size: int
    metadata: Mapping[str, Any]
