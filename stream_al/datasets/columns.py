"""Columns of a file: what kind each one is, and which is the target.

A column's kind is inferred from a sample of its first values: numeric when
every present value parses as a float, a date when every present value parses
with one date format, text when the values are long free text, else
categorical. ``?`` and the empty string mark a missing value.

>>> infer_kind(["1", "2.5", "?", "-3e2"])
'numeric'
>>> infer_kind(["1/1/1998", "1/2/1998", "1/13/1998"])
'date'
>>> infer_kind(["red", "green", "red"])
'categorical'
>>> parse = date_parser(["1/13/1998"])
>>> parse("1/2/1998")  # 1998-01-02T00:00:00Z in epoch seconds
883699200.0
>>> resolve_column("-1", ["a", "b", "c"], "target", source="f.csv")
2
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Literal

from stream_al.exceptions import DataError

__all__ = [
    "MISSING",
    "TARGET_NAMES",
    "ColumnKind",
    "choose_roles",
    "date_parser",
    "default_target",
    "infer_kind",
    "is_number",
    "resolve_column",
]

#: What a column holds: features are numeric or categorical; text and date are set apart.
ColumnKind = Literal["numeric", "categorical", "text", "date"]

#: Values that mark a missing value.
MISSING = frozenset({"", "?"})

#: Column names taken as the target when no target is given (case-insensitive).
TARGET_NAMES = ("target", "class", "label")

_TEXT_MEAN_LENGTH = 30
_DATE_FORMATS = (
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%Y/%m/%d",
    "%Y/%m/%d %H:%M:%S",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M:%S",
    "%m/%d/%y",
    "%d-%b-%Y",
)


def is_number(value: str) -> bool:
    """Whether `value` parses as a float."""
    try:
        float(value)
    except ValueError:
        return False
    return True


def infer_kind(values: Sequence[str]) -> ColumnKind:
    """The kind of a column from a sample of its (stripped) values."""
    present = [v for v in values if v not in MISSING]
    if all(is_number(v) for v in present):
        return "numeric"
    if date_parser(present) is not None:
        return "date"
    mean_length = sum(map(len, present)) / len(present)
    with_space = sum(" " in v for v in present)
    if mean_length > _TEXT_MEAN_LENGTH and 2 * with_space >= len(present):
        return "text"
    return "categorical"


def _iso_seconds(value: str) -> float:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def strptime_parser(fmt: str) -> Callable[[str], float]:
    """A parser of dates in `fmt` (`datetime.strptime` syntax) to epoch seconds, UTC if naive."""

    def parse(value: str) -> float:
        moment = datetime.strptime(value, fmt)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()

    return parse


def _parses(parse: Callable[[str], float], values: Sequence[str]) -> bool:
    try:
        for value in values:
            parse(value)
    except ValueError:
        return False
    return True


def date_parser(values: Sequence[str]) -> Callable[[str], float] | None:
    """A parser to epoch seconds that accepts every one of `values`, or None.

    ISO 8601 is tried first, then common day/month orders; month-first wins
    when both fit (``1/2/1998`` is January 2nd unless a later value says otherwise).
    """
    present = [v for v in values if v not in MISSING]
    if not present or not any(sep in present[0] for sep in "-/.:"):
        return None
    if _parses(_iso_seconds, present):
        return _iso_seconds
    for fmt in _DATE_FORMATS:
        parse = strptime_parser(fmt)
        if _parses(parse, present):
            return parse
    return None


def resolve_column(spec: str, names: Sequence[str], role: str, *, source: str) -> int:
    """The index of the column `spec` names: a column name, else an integer index (``"-1"``).

    An exact name wins over a case-insensitive one, and a name over an index.
    """
    if spec in names:
        return list(names).index(spec)
    lowered = [name.lower() for name in names]
    if spec.lower() in lowered:
        return lowered.index(spec.lower())
    try:
        index = int(spec)
    except ValueError:
        index = None
    if index is not None and -len(names) <= index < len(names):
        return index % len(names)
    raise DataError(
        f"{source}: no column {spec!r} for the {role}; available columns are "
        f"{', '.join(names)} (or an index from 0 to {len(names) - 1}, negative from the end)"
    )


def default_target(
    names: Sequence[str], kinds: Sequence[ColumnKind], preferred: Sequence[str] = TARGET_NAMES
) -> int:
    """The target when none is given: a column named as in `preferred`, else the last non-text."""
    lowered = [name.lower() for name in names]
    for candidate in preferred:
        if candidate in lowered:
            return lowered.index(candidate)
    for index in range(len(names) - 1, -1, -1):
        if kinds[index] != "text":
            return index
    return len(names) - 1


def choose_roles(
    names: Sequence[str],
    kinds: Sequence[ColumnKind],
    target: str | None,
    text: str | None,
    *,
    source: str,
    preferred: Sequence[str] = TARGET_NAMES,
) -> tuple[int, int | None, int | None]:
    """Indexes of the target, text and time columns.

    The text column is `text` if given, else the first text-kind column; the
    time column is the first date-kind column. Neither is ever the target.
    """
    target_index = None
    if target is not None:
        target_index = resolve_column(target, names, "target", source=source)
    if text is not None:
        text_index: int | None = resolve_column(text, names, "text", source=source)
    else:
        texts = [i for i, kind in enumerate(kinds) if kind == "text" and i != target_index]
        text_index = texts[0] if texts else None
    if target_index is None:
        others = [kind if i != text_index else "text" for i, kind in enumerate(kinds)]
        target_index = default_target(names, others, preferred)
    if target_index == text_index:
        raise DataError(
            f"{source}: column {names[target_index]!r} cannot be both the target and the text; "
            "pass a different target= or text="
        )
    taken = (target_index, text_index)
    dates = [i for i, kind in enumerate(kinds) if kind == "date" and i not in taken]
    return target_index, text_index, dates[0] if dates else None
