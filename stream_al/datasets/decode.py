"""Turning the string fields of one row into an `Example`, the hot loop of every file reader.

>>> from stream_al.datasets.columns import date_parser
>>> schema = Schema(
...     source="toy.csv",
...     names=["when", "x", "colour", "y"],
...     kinds=["date", "numeric", "categorical", "categorical"],
...     target=3,
...     time=0,
...     time_parser=date_parser(["1/2/1998"]),
... )
>>> decode = RowDecoder(schema)
>>> example = decode(["1/2/1998", " 0.5", "?", "yes"], position=0, line=2)
>>> example.item.features, example.item.event_time, example.label
({'x': 0.5}, 883699200.0, 'yes')
>>> decode(["1/2/1998", "oops", "red", "no"], position=1, line=3)
Traceback (most recent call last):
...
stream_al.exceptions.MalformedRowError: toy.csv, line 3: column 'x' is numeric but holds 'oops'; ...
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from operator import itemgetter
from typing import NoReturn

from stream_al.datasets.base import FeatureKind, StreamInfo
from stream_al.datasets.columns import MISSING, ColumnKind
from stream_al.exceptions import MalformedRowError
from stream_al.items import Example, Features, Item

__all__ = ["RowDecoder", "Schema"]

_FIX = "fix or remove the row, or write '?' for a missing value"


@dataclass(frozen=True)
class Schema:
    """The columns of a file and the role of each.

    Parameters
    ----------
    source
        The file, for error messages.
    names
        Column names, in file order.
    kinds
        Kind of each column; the target's and text's kinds only matter for the info.
    target
        Index of the label column.
    text
        Index of the column that becomes `Item.text`, if any.
    time
        Index of the column parsed into `Item.event_time`, if any.
    time_parser
        Parses a value of the time column to epoch seconds.
    allowed
        Declared values of nominal columns by index (ARFF); others are not checked.
    """

    source: str
    names: list[str]
    kinds: list[ColumnKind]
    target: int
    text: int | None = None
    time: int | None = None
    time_parser: Callable[[str], float] | None = None
    allowed: Mapping[int, frozenset[str]] = field(default_factory=dict)

    def features(self) -> dict[str, FeatureKind]:
        """Feature names and kinds: every column but the target, text and time ones."""
        roles = {self.target, self.text, self.time}
        return {
            name: "numeric" if kind == "numeric" else "categorical"
            for index, (name, kind) in enumerate(zip(self.names, self.kinds, strict=True))
            if index not in roles
        }

    def info(self, name: str, classes: list[str] | None = None) -> StreamInfo:
        """The `StreamInfo` of a file with this schema."""
        return StreamInfo(
            name=name,
            source=self.source,
            target=self.names[self.target],
            features=self.features(),
            text=None if self.text is None else self.names[self.text],
            time=None if self.time is None else self.names[self.time],
            classes=classes,
        )


class RowDecoder:
    """Decodes the fields of one row (already split, of the right count) into an `Example`."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        self.target = schema.target
        self.text = -1 if schema.text is None else schema.text  # -1: none
        self.time = -1 if schema.time is None or schema.time_parser is None else schema.time
        self.parse_time = schema.time_parser or float
        roles = {schema.target, schema.text, schema.time}
        columns = [(i, n) for i, n in enumerate(schema.names) if i not in roles]
        numeric = [(i, n) for i, n in columns if schema.kinds[i] == "numeric"]
        categorical = [(i, n) for i, n in columns if schema.kinds[i] != "numeric"]
        self.numeric_names = [n for _, n in numeric]
        self.numeric_values = _getter([i for i, _ in numeric])
        self.categorical_names = [n for _, n in categorical]
        self.categorical_values = _getter([i for i, _ in categorical])
        self.categorical_allowed = [schema.allowed.get(i) for i, _ in categorical]
        self.target_allowed = schema.allowed.get(schema.target)

    def __call__(self, fields: list[str], position: int, line: int) -> Example:
        features = self._numeric(fields, line)
        if self.categorical_names:
            self._categorical(fields, features, line)
        label = fields[self.target].strip()
        if label in MISSING or (
            self.target_allowed is not None and label not in self.target_allowed
        ):
            self._bad_label(label, line)
        item = Item(
            id=str(position),
            event_time=float(position) if self.time < 0 else self._event_time(fields, line),
            features=features,
            text=None if self.text < 0 else self._text(fields),
        )
        return Example(item, label)

    def _numeric(self, fields: list[str], line: int) -> Features:
        values = self.numeric_values(fields)
        try:  # fast path: every value present and numeric
            return dict(zip(self.numeric_names, map(float, values), strict=True))
        except ValueError:
            pass
        features: Features = {}
        for name, value in zip(self.numeric_names, values, strict=True):
            try:
                features[name] = float(value)
            except ValueError:
                if value.strip() not in MISSING:
                    self._fail(line, f"column {name!r} is numeric but holds {value!r}; {_FIX}")
        return features

    def _categorical(self, fields: list[str], features: Features, line: int) -> None:
        categorical = zip(
            self.categorical_names,
            self.categorical_values(fields),
            self.categorical_allowed,
            strict=True,
        )
        for name, raw, allowed in categorical:
            value = raw.strip()
            if value in MISSING:
                continue
            if allowed is not None and value not in allowed:
                self._fail(line, f"column {name!r} holds {value!r}, not one of {_listed(allowed)}")
            features[name] = value

    def _bad_label(self, label: str, line: int) -> NoReturn:
        name = self.schema.names[self.target]
        if label in MISSING:
            self._fail(line, f"the label (column {name!r}) is missing; label the row or remove it")
        allowed = _listed(self.target_allowed or frozenset())
        self._fail(line, f"the label (column {name!r}) is {label!r}, not one of {allowed}")

    def _text(self, fields: list[str]) -> str | None:
        text = fields[self.text].strip()
        return None if text in MISSING else text

    def _event_time(self, fields: list[str], line: int) -> float:
        value = fields[self.time].strip()
        try:
            return self.parse_time(value)
        except ValueError:
            name = self.schema.names[self.time]
            reason = f"the time column {name!r} holds {value!r}, not a date like the rows before"
            self._fail(line, f"{reason}; fix or remove the row")

    def _fail(self, line: int, reason: str) -> NoReturn:
        raise MalformedRowError(self.schema.source, line, reason)


def _getter(indexes: list[int]) -> Callable[[list[str]], tuple[str, ...]]:
    """A function picking the fields at `indexes`, as a tuple (even of one or none)."""
    if len(indexes) > 1:
        return itemgetter(*indexes)
    return lambda fields: tuple(fields[i] for i in indexes)


def _listed(values: frozenset[str]) -> str:
    shown = sorted(values)[:10]
    more = ", ..." if len(values) > len(shown) else ""
    return "{" + ", ".join(shown) + more + "}"
