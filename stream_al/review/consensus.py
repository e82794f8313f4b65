"""When the labels of one item settle it: agreement, a majority, or a conflict.

An overlap task is labelled by two annotators. Their labels are *held back*
from training until they settle the item:

- every label so far the same, and as many as wanted: **agreed**;
- two or more labels, one answer given by more annotators than any other and
  by at least two: **majority** (a third label broke a tie);
- otherwise, with fewer labels than wanted: **wait** for the next;
- otherwise: **conflict**. The task asks for one more label (a third
  opinion) until it has `most`; then an admin decides.

Pure: labels in, a verdict out (`stream_al.api.reviews` applies it).

>>> judge(["cat"], wanted=2)
Verdict(kind='wait', label=None, wanted=2)
>>> judge(["cat", "cat"], wanted=2)
Verdict(kind='agreed', label='cat', wanted=2)
>>> judge(["cat", "dog"], wanted=2)
Verdict(kind='conflict', label=None, wanted=3)
>>> judge(["cat", "dog", "dog"], wanted=3)
Verdict(kind='majority', label='dog', wanted=3)
>>> judge(["cat", "dog", "bird"], wanted=3)
Verdict(kind='conflict', label=None, wanted=3)
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from stream_al.items import Label

__all__ = ["MOST_LABELS", "Verdict", "VerdictKind", "judge", "label_key"]

#: Labels an item may collect before its conflict goes to an admin.
MOST_LABELS = 3

VerdictKind = Literal["wait", "agreed", "majority", "conflict"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the labels of an item say.

    Attributes
    ----------
    kind
        ``wait`` (for more labels), ``agreed``, ``majority`` or ``conflict``.
    label
        The settled label (``agreed`` and ``majority`` only).
    wanted
        How many labels the item should have in all now (a conflict with
        room left asks for one more).
    """

    kind: VerdictKind
    label: Label | None
    wanted: int

    @property
    def settled(self) -> bool:
        """Whether the item has its label (it may be learned)."""
        return self.kind in ("agreed", "majority")


def label_key(label: Label) -> str:
    """What makes two labels the same answer: their JSON (``True`` is not ``1``)."""
    return json.dumps(label)


def judge(labels: Sequence[Label], wanted: int, most: int = MOST_LABELS) -> Verdict:
    """The verdict on an item with `labels` (one per annotator) that wants `wanted` labels."""
    if not labels:
        raise ValueError("an item needs at least one label to judge")
    if wanted < 1 or most < 1:
        raise ValueError(f"wanted and most must be at least 1, got {wanted} and {most}")
    counts = Counter(label_key(label) for label in labels)
    ranked = counts.most_common()
    top_key, top = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    first = {label_key(label): label for label in reversed(labels)}
    n = len(labels)
    if len(ranked) == 1:
        if n >= wanted:
            return Verdict("agreed", first[top_key], wanted)
        return Verdict("wait", None, wanted)
    if n >= 2 and top >= 2 and top > runner_up and n >= wanted:
        return Verdict("majority", first[top_key], wanted)
    if n < wanted:
        return Verdict("wait", None, wanted)
    return Verdict("conflict", None, min(n + 1, max(most, wanted)) if n < most else n)
