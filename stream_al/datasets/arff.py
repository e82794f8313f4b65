"""Reading ARFF streams (Weka's format, used by MOA), in file order, without loading the file.

Supported: ``@relation``, ``@attribute`` of type numeric / real / integer,
nominal ``{a, 'b c'}``, string (the first one becomes `Item.text`) and date
(the first one becomes `Item.event_time`), ``@data`` with dense or sparse
``{index value, ...}`` rows, ``%`` comments, keywords in any case, quoted
names and values, ``?`` for a missing value, and a stray trailing comma.
Values of nominal attributes are checked against their declaration. A
nominal feature declared ``{0, 1}`` is an indicator (a word present or not,
in a bag of words) and is read as the number 0 or 1: one-hot encoded, every
absent word would light a feature of its own (on Usenet, 99 active features
per message instead of a few).

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.arff"
>>> _ = path.write_text('''
... % a comment
... @RELATION toy
... @attribute price NUMERIC
... @attribute 'day of week' {mon, 'tue', "wed"}
... @attribute class {UP, DOWN}
... @data
... 0.5, mon, UP
... ?, 'tue', DOWN,
... {0 2.5, 2 DOWN}
... ''')
>>> stream = read_arff(path)
>>> stream.info.classes, stream.info.features
(['UP', 'DOWN'], {'price': 'numeric', 'day of week': 'categorical'})
>>> [(e.item.features, e.label) for e in stream]
[({'price': 0.5, 'day of week': 'mon'}, 'UP'), ({'day of week': 'tue'}, 'DOWN'), ({'price': 2.5, 'day of week': 'mon'}, 'DOWN')]
"""  # noqa: E501

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

from stream_al.datasets.base import Stream
from stream_al.datasets.columns import ColumnKind, choose_roles, strptime_parser
from stream_al.datasets.decode import RowDecoder, Schema
from stream_al.datasets.source import open_text, stream_name
from stream_al.exceptions import DataError, MalformedRowError
from stream_al.items import Example

__all__ = ["read_arff", "split_values"]

logger = logging.getLogger(__name__)

_NUMERIC_TYPES = {"numeric", "real", "integer"}
_DEFAULT_DATE = "yyyy-MM-dd'T'HH:mm:ss"
_JAVA_DATE = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M"}
_JAVA_DATE |= {"ss": "%S", "SSS": "%f", "Z": "%z", "z": "%Z"}
_JAVA_TOKEN = re.compile(r"'[^']*'|yyyy|yy|MM|dd|HH|mm|ss|SSS|Z|z")


@dataclass
class _Header:
    """The attributes declared before ``@data``."""

    names: list[str] = field(default_factory=list)
    kinds: list[ColumnKind] = field(default_factory=list)
    nominal: dict[int, list[str]] = field(default_factory=dict)
    dates: dict[int, Callable[[str], float]] = field(default_factory=dict)
    data_line: int = 0  # 1-based line number of the @data line


def split_values(text: str, source: str = "", line: int = 0) -> list[str]:
    """Split comma-separated ARFF values, honouring single and double quotes and escapes.

    >>> split_values("a, 'b, c', \\"d\\" ,?")
    ['a', 'b, c', 'd', '?']
    """
    values: list[str] = []
    current: list[str] = []
    quote: str | None = None
    chars = iter(text)
    for char in chars:
        if quote is not None:
            if char == "\\":
                current.append(next(chars, ""))
            elif char == quote:
                quote = None
            else:
                current.append(char)
        elif char in "'\"" and not "".join(current).strip():
            quote, current = char, []
        elif char == ",":
            values.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    if quote is not None:
        raise MalformedRowError(source, line, f"unclosed {quote} quote in {text.strip()!r}")
    values.append("".join(current).strip())
    return values


def _java_date_parser(pattern: str) -> Callable[[str], float]:
    """A parser for dates written in a Java ``SimpleDateFormat`` pattern."""

    def token(match: re.Match[str]) -> str:
        text = match.group(0)
        return text[1:-1] if text.startswith("'") else _JAVA_DATE[text]

    if pattern == _DEFAULT_DATE:
        return _iso_seconds
    return strptime_parser(_JAVA_TOKEN.sub(token, pattern))


def _iso_seconds(value: str) -> float:
    moment = datetime.fromisoformat(value)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def _split_name(rest: str, source: str, line: int) -> tuple[str, str]:
    """The attribute name (unquoted) and the type text after it."""
    rest = rest.strip()
    if rest[:1] in ("'", '"'):
        end = rest.find(rest[0], 1)
        if end < 0:
            raise MalformedRowError(source, line, f"unclosed quote in attribute name {rest!r}")
        return rest[1:end], rest[end + 1 :].strip()
    match = re.match(r"([^\s{]+)\s*(.*)", rest)
    if match is None:
        raise MalformedRowError(source, line, "@attribute needs a name and a type")
    return match.group(1), match.group(2).strip()


def _add_attribute(header: _Header, rest: str, source: str, line: int) -> None:
    name, kind = _split_name(rest, source, line)
    index = len(header.names)
    header.names.append(name)
    word = kind.split(maxsplit=1)[0].lower() if kind else ""
    if kind.startswith("{") and kind.endswith("}"):
        header.nominal[index] = [v for v in split_values(kind[1:-1], source, line) if v]
        header.kinds.append("categorical")
    elif word in _NUMERIC_TYPES:
        header.kinds.append("numeric")
    elif word == "string":
        header.kinds.append("text")
    elif word == "date":
        pattern = kind[4:].strip().strip("'\"") or _DEFAULT_DATE
        header.dates[index] = _java_date_parser(pattern)
        header.kinds.append("date")
    else:
        raise MalformedRowError(
            source,
            line,
            f"attribute {name!r} has type {kind!r}; supported: numeric, real, "
            "integer, {nominal values}, string, date (relational attributes are not)",
        )


def _read_header(lines: Iterator[str], source: str) -> _Header:
    header = _Header()
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        keyword = line.split(maxsplit=1)[0].lower()
        rest = line[len(keyword) :]
        if keyword == "@attribute":
            _add_attribute(header, rest, source, number)
        elif keyword == "@data":
            header.data_line = number
            return header
        elif keyword != "@relation":
            raise MalformedRowError(
                source, number, f"expected @relation, @attribute or @data, found {line[:40]!r}"
            )
    raise DataError(f"{source}: no @data line; is this an ARFF file?")


def read_arff(
    path: Path, target: str | None = None, text: str | None = None, limit: int | None = None
) -> Stream:
    """Open an ARFF file as a `Stream`; see the module docstring for what is supported."""
    source = str(path)
    with open_text(path) as f:
        header = _read_header(f, source)
    if not header.names:
        raise DataError(f"{source}: no @attribute lines; declare the attributes before @data")
    target_index, text_index, time_index = choose_roles(
        header.names, header.kinds, target, text, source=source, preferred=("class",)
    )
    kinds = [
        "numeric" if i != target_index and _is_indicator(header.nominal.get(i)) else kind
        for i, kind in enumerate(header.kinds)
    ]
    schema = Schema(
        source=source,
        names=header.names,
        kinds=kinds,
        target=target_index,
        text=text_index,
        time=time_index,
        time_parser=None if time_index is None else header.dates[time_index],
        allowed={i: frozenset(values) for i, values in header.nominal.items()},
    )
    info = schema.info(stream_name(path), classes=header.nominal.get(target_index))
    logger.info(
        "opened arff stream path=%s attributes=%d target=%s classes=%s",
        source,
        len(header.names),
        info.target,
        info.classes,
    )

    def examples() -> Iterator[Example]:
        return _examples(path, header, schema)

    return Stream(info, examples, limit)


def _is_indicator(values: list[str] | None) -> bool:
    """Whether a nominal declaration is a 0/1 indicator."""
    return values is not None and sorted(values) == ["0", "1"]


def _examples(path: Path, header: _Header, schema: Schema) -> Iterator[Example]:
    decode = RowDecoder(schema)
    n_columns = len(header.names)
    defaults = _sparse_defaults(header)
    position = 0
    with open_text(path) as f:
        for number, raw in enumerate(islice(f, header.data_line, None), start=header.data_line + 1):
            line = raw.strip()
            if not line or line[0] == "%":
                continue
            if line[0] == "{":
                fields = _sparse(line, defaults, schema.source, number)
            elif "'" in line or '"' in line:
                fields = split_values(line, schema.source, number)
            else:
                fields = line.split(",")
            if len(fields) != n_columns:
                fields = _fit(fields, n_columns, schema.source, number)
            yield decode(fields, position, number)
            position += 1


def _fit(fields: list[str], n_columns: int, source: str, line: int) -> list[str]:
    if len(fields) == n_columns + 1 and not fields[-1].strip():
        return fields[:-1]  # a stray trailing comma
    raise MalformedRowError(
        source,
        line,
        f"expected {n_columns} values (one per @attribute), found {len(fields)}; "
        "fix the row or remove it",
    )


def _sparse_defaults(header: _Header) -> list[str]:
    """The value of each attribute a sparse row leaves out: 0, or the first nominal value."""
    return [
        header.nominal[i][0] if header.nominal.get(i) else "0" for i in range(len(header.names))
    ]


def _sparse(line: str, defaults: list[str], source: str, number: int) -> list[str]:
    if not line.endswith("}"):
        raise MalformedRowError(source, number, "a sparse row must end with '}'")
    fields = list(defaults)
    for pair in split_values(line[1:-1], source, number):
        if not pair:
            continue
        index_text, _, value = pair.partition(" ")
        index = int(index_text) if index_text.isdigit() else -1
        if not 0 <= index < len(fields):
            raise MalformedRowError(
                source,
                number,
                f"sparse entry {pair!r} is not 'index value' with an index "
                f"from 0 to {len(fields) - 1}",
            )
        fields[index] = value.strip().strip("'\"")
    return fields
