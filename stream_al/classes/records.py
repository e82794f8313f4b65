"""What the class set holds and answers: classes, proposals, rejections, and a label's match.

>>> is_label("UP"), is_label(1), is_label(True), is_label(2.5), is_label("")
(True, True, True, False, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal, get_args

from stream_al.items import Label

__all__ = [
    "MAX_TEXT",
    "SOURCES",
    "KnownClass",
    "Match",
    "Proposal",
    "Rejection",
    "Source",
    "Status",
    "is_label",
]

#: Where a known class came from: ``[model] classes``, a file's header (or a
#: synthetic generator), the label field of events, an admin (declared or
#: accepted), or the classes a model was built with.
Source = Literal["config", "file", "events", "admin", "model"]
SOURCES: tuple[str, ...] = get_args(Source)

#: Longest label text (as the annotation API takes it).
MAX_TEXT = 200


class Status(StrEnum):
    """What the set says of a label."""

    KNOWN = "known"
    PENDING = "pending"
    REJECTED = "rejected"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class Match:
    """A label checked against the set: its status, and the class as the set spells it
    (the label as given when it is unknown)."""

    status: Status
    label: Label


@dataclass(frozen=True, slots=True)
class KnownClass:
    """A class of the stream; `by` and `at` say which admin added it, and when.

    An accepted class keeps `first_row`: the label log's row of its first label
    held while it waited (where to look for them again).
    """

    label: Label
    source: Source
    by: str | None = None
    at: float | None = None
    first_row: int | None = None


@dataclass(frozen=True, slots=True)
class Proposal:
    """A class that labels used and that waits for an admin.

    Attributes
    ----------
    proposed_by
        The first annotators who used it (at most 20 names).
    labels
        Labels of this class waiting: held, never learned before it is accepted.
    since
        When it was first used.
    first_row
        The label log's row of its first held label (where to look for them again).
    """

    label: Label
    proposed_by: tuple[str, ...]
    labels: int
    since: float
    first_row: int | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """A class an admin rejected: its `labels` are never learned, new ones are refused."""

    label: Label
    by: str
    at: float
    labels: int


def is_label(value: object) -> bool:
    """Whether `value` can be a class: a non-empty string of at most 200 characters, an
    integer, or a boolean."""
    if isinstance(value, str):
        return 0 < len(value) <= MAX_TEXT
    return isinstance(value, int)  # bool is an int
