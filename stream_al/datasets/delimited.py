"""Reading CSV and TSV streams, in file order, without loading the file.

The layout is found from the first rows: the delimiter (comma, tab or
semicolon: the one that splits the sample into a steady number of fields),
whether the first row is a header, and the kind of each column. Tab-separated
files are read without quote handling, as free text often holds stray quotes.
A row with one field too many, the extra one empty (a trailing comma), is
read as if the comma were not there.

>>> import tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "toy.csv"
>>> _ = path.write_text("x,colour,y\\n0.5,red,yes\\n?,blue,no,\\n")
>>> stream = read_delimited(path)
>>> stream.info.target, stream.info.features
('y', {'x': 'numeric', 'colour': 'categorical'})
>>> [(e.item.features, e.label) for e in stream]
[({'x': 0.5, 'colour': 'red'}, 'yes'), ({'colour': 'blue'}, 'no')]
"""

from __future__ import annotations

import csv
import logging
from collections import Counter
from collections.abc import Generator, Iterable, Iterator
from contextlib import closing
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NamedTuple

from stream_al.datasets.base import Stream
from stream_al.datasets.columns import MISSING, ColumnKind, choose_roles, date_parser, infer_kind
from stream_al.datasets.decode import RowDecoder, Schema
from stream_al.datasets.source import open_text, stream_name
from stream_al.exceptions import DataError, MalformedRowError
from stream_al.items import Example

if TYPE_CHECKING:
    import _csv

__all__ = ["read_delimited", "sniff_delimiter"]

logger = logging.getLogger(__name__)

_DELIMITERS = ("\t", ";", ",")  # on a tie, the rarer in free text wins
_SNIFF_LINES = 50
_SAMPLE_ROWS = 200
_MAX_SAMPLE_ROWS = 5000
_MAX_NAME_LENGTH = 50


class _Row(NamedTuple):
    fields: list[str]
    line: int


def _reader(lines: Iterable[str], delimiter: str) -> _csv.Reader:
    quoting: Literal[0, 3] = csv.QUOTE_NONE if delimiter == "\t" else csv.QUOTE_MINIMAL
    return csv.reader(lines, delimiter=delimiter, quoting=quoting)


def _is_blank(row: list[str]) -> bool:
    return not row or (len(row) == 1 and not row[0].strip())


def sniff_delimiter(lines: list[str]) -> str:
    """The delimiter that splits `lines` into the steadiest number (> 1) of fields; else comma.

    >>> sniff_delimiter(["ham\\tOk, see you", "spam\\tWin, win, win"])
    '\\t'
    """
    best, best_score = ",", (0.0, 0)
    for delimiter in _DELIMITERS:
        try:
            counts = [len(row) for row in _reader(iter(lines), delimiter) if not _is_blank(row)]
        except csv.Error:
            continue
        if not counts:
            continue
        fields, times = Counter(counts).most_common(1)[0]
        score = (times / len(counts), fields)
        if fields > 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _rows(path: Path, delimiter: str) -> Generator[_Row, None, None]:
    """The non-blank rows of the file with their 1-based physical line numbers."""
    with open_text(path, newline="") as f:
        reader = _reader(f, delimiter)
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                reason = f"{error}; fix the row or remove it"
                raise MalformedRowError(str(path), reader.line_num, reason) from None
            if not _is_blank(fields):
                yield _Row(fields, reader.line_num)


def _fit(row: _Row, n_columns: int, source: str) -> list[str]:
    """The fields of `row`, its stray trailing empty field dropped; an error if the count is off."""
    fields = row.fields
    if len(fields) == n_columns + 1 and not fields[-1].strip():
        return fields[:-1]
    raise MalformedRowError(
        source,
        row.line,
        f"expected {n_columns} fields, found {len(fields)}; fix the row or remove it "
        "(a field holding the delimiter must be quoted)",
    )


def _sample(rows: Iterator[_Row], n_columns: int) -> list[_Row]:
    """The first data rows: at least 200, more (up to 5000) while a column has no value yet."""
    sample = list(islice(rows, _SAMPLE_ROWS))
    empty = {i for i in range(n_columns) if all(_missing(r.fields, i) for r in sample)}
    while empty and len(sample) < _MAX_SAMPLE_ROWS:
        more = list(islice(rows, _SAMPLE_ROWS))
        if not more:
            break
        sample += more
        empty = {i for i in empty if all(_missing(r.fields, i) for r in more)}
    return sample


def _missing(fields: list[str], index: int) -> bool:
    return index >= len(fields) or fields[index].strip() in MISSING


def _columns(rows: list[list[str]], n_columns: int) -> list[list[str]]:
    return [[row[i].strip() for row in rows] for i in range(n_columns)]


def _has_header(first: list[str], body: list[list[str]]) -> bool:
    """Whether `first` names the columns rather than holding data.

    In a file with numeric or date columns, it does when one of them would
    lose its kind with the first value in it (``target`` over numbers). In a
    file without any, when every first value is short and found nowhere else
    in its column (``label`` over ``ham``, ``spam``).
    """
    columns = _columns(body, len(first))
    kinds = [infer_kind(column) if column else "categorical" for column in columns]
    heads = [value.strip() for value in first]
    typed = [i for i, kind in enumerate(kinds) if kind in ("numeric", "date") and columns[i]]
    if typed:
        return any(
            heads[i] not in MISSING and infer_kind([*columns[i], heads[i]]) != kinds[i]
            for i in typed
        )
    return bool(body) and all(
        head not in MISSING and len(head) <= _MAX_NAME_LENGTH and head not in column
        for head, column in zip(heads, columns, strict=True)
    )


def _names(first: list[str], has_header: bool) -> list[str]:
    if not has_header:
        return [f"c{i}" for i in range(len(first))]
    names: list[str] = []
    for i, value in enumerate(first):
        name = value.strip() or f"c{i}"
        while name in names:
            name += "_"
        names.append(name)
    return names


class _Layout(NamedTuple):
    delimiter: str
    has_header: bool
    names: list[str]
    data: list[list[str]]  # the sampled data rows, stripped to the column count


def _layout(path: Path) -> _Layout:
    """Delimiter, header and column names of the file, with a sample of its data rows."""
    source = str(path)
    with open_text(path) as f:
        delimiter = sniff_delimiter([line for line in islice(f, _SNIFF_LINES) if line.strip()])
    rows = _rows(path, delimiter)
    try:
        first = next(rows, None)
        if first is None:
            raise DataError(f"{source} holds no rows; give a file with at least one labelled row")
        sample = _sample(rows, len(first.fields))
    finally:
        rows.close()
    n_columns = len(first.fields)
    if n_columns > 1 and all(not row.fields[-1].strip() for row in [first, *sample]):
        n_columns -= 1  # every row ends with a delimiter: a trailing comma, not a column
    head = first.fields[:n_columns]
    body = [r.fields if len(r.fields) == n_columns else _fit(r, n_columns, source) for r in sample]
    has_header = _has_header(head, body)
    data = body if has_header else [head, *body]
    return _Layout(delimiter, has_header, _names(head, has_header), data)


def read_delimited(
    path: Path, target: str | None = None, text: str | None = None, limit: int | None = None
) -> Stream:
    """Open a CSV/TSV file as a `Stream`; see the module docstring for the rules."""
    source = str(path)
    layout = _layout(path)
    columns = _columns(layout.data, len(layout.names))
    kinds: list[ColumnKind] = [infer_kind(column) for column in columns]
    target_index, text_index, time_index = choose_roles(
        layout.names, kinds, target, text, source=source
    )
    schema = Schema(
        source=source,
        names=layout.names,
        kinds=kinds,
        target=target_index,
        text=text_index,
        time=time_index,
        time_parser=None if time_index is None else date_parser(columns[time_index]),
    )
    info = schema.info(stream_name(path))
    logger.info(
        "opened delimited stream path=%s delimiter=%r header=%s columns=%d "
        "target=%s text=%s time=%s",
        source,
        layout.delimiter,
        layout.has_header,
        len(layout.names),
        info.target,
        info.text,
        info.time,
    )

    def examples() -> Iterator[Example]:
        return _examples(path, layout.delimiter, layout.has_header, schema)

    return Stream(info, examples, limit)


def _examples(path: Path, delimiter: str, has_header: bool, schema: Schema) -> Iterator[Example]:
    decode = RowDecoder(schema)
    n_columns = len(schema.names)
    rows = _rows(path, delimiter)
    with closing(rows):
        if has_header:
            next(rows, None)
        for position, (fields, line) in enumerate(rows):
            if len(fields) != n_columns:
                fields = _fit(_Row(fields, line), n_columns, schema.source)
            yield decode(fields, position, line)
