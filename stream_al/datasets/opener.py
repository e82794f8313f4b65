"""`open_stream`: one entry point for files and synthetic generators.

>>> stream = open_stream("synth:stagger?n=100&position=40", seed=1)
>>> stream.info.name, stream.info.drifts, stream.info.n_items
('stagger', [40], 100)
>>> labels = [example.label for example in stream]
>>> len(labels), set(labels) <= set(stream.info.classes)
(100, True)
>>> open_stream("no/such/file.csv")
Traceback (most recent call last):
...
stream_al.exceptions.DataError: no such file: no/such/file.csv; check the path (...)
"""

from __future__ import annotations

from pathlib import Path

from stream_al.datasets.arff import read_arff
from stream_al.datasets.base import Stream
from stream_al.datasets.delimited import read_delimited
from stream_al.datasets.source import base_suffix, compression, open_text
from stream_al.datasets.synthetic import PREFIX, open_synthetic
from stream_al.exceptions import DataError

__all__ = ["open_stream"]

_HEADER_LINES = 200


def open_stream(
    source: str | Path,
    target: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    seed: int = 0,
) -> Stream:
    """Open a labelled stream: a data file, or ``synth:NAME[?key=value&...]``.

    Parameters
    ----------
    source
        An ARFF, CSV or TSV file (gzip, bz2 or xz compressed or not), or the
        address of a synthetic stream (see `SYNTHETIC`).
    target
        The label column, by name or by index (``"-1"`` is the last column).
        Defaults: ARFF, the attribute ``class`` else the last one; CSV/TSV, a
        column named target, class or label, else the last non-text column.
    text
        The column to put in `Item.text`; by default the first column of long
        free text, if any.
    limit
        Read at most this many examples.
    seed
        Seed of a synthetic stream; ignored for files.

    Returns
    -------
    Stream
        Re-iterable; ``stream.info`` describes it before anything is read.
    """
    if limit is not None and limit < 0:
        raise DataError(f"limit must be a count of examples (0 or more), got {limit}")
    if isinstance(source, str) and source.lower().startswith(PREFIX):
        if target is not None or text is not None:
            raise DataError(f"{source}: target= and text= apply to files, not synthetic streams")
        return open_synthetic(source, seed=seed, limit=limit)
    path = Path(source)
    compression(path)  # a clear DataError for a missing file or a folder
    if _is_arff(path):
        return read_arff(path, target=target, text=text, limit=limit)
    return read_delimited(path, target=target, text=text, limit=limit)


def _is_arff(path: Path) -> bool:
    """ARFF by suffix, or by an ``@relation`` line before the first data-looking line."""
    if base_suffix(path) == ".arff":
        return True
    with open_text(path) as f:
        for number, line in enumerate(f):
            stripped = line.strip()
            if number >= _HEADER_LINES:
                return False
            if stripped and not stripped.startswith("%"):
                return stripped.lower().startswith("@relation")
    return False
