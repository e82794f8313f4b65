"""Opening a data file as text, whatever its compression.

Compression is recognised by its magic bytes (gzip, bz2, xz), so a ``.gz``
file renamed without its suffix still reads. Text is decoded as UTF-8 (a
byte-order mark is dropped); undecodable bytes become U+FFFD rather than
stopping a long stream half-way.

>>> import gzip, tempfile, pathlib
>>> path = pathlib.Path(tempfile.mkdtemp()) / "data"
>>> _ = path.write_bytes(gzip.compress(b"a,b\\n1,2\\n"))
>>> with open_text(path) as f:
...     f.read()
'a,b\\n1,2\\n'
>>> stream_name(pathlib.Path("kddcup99_10pct.csv.gz"))
'kddcup99_10pct'
"""

from __future__ import annotations

import bz2
import gzip
import lzma
from pathlib import Path
from typing import TextIO

from stream_al.exceptions import DataError

__all__ = ["base_suffix", "compression", "open_text", "stream_name"]

_ENCODING = "utf-8-sig"
_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bz2", b"\xfd7zXZ\x00": "xz"}
_COMPRESSED_SUFFIXES = {".gz", ".gzip", ".bz2", ".xz"}
_DATA_SUFFIXES = {".csv", ".tsv", ".txt", ".data", ".arff", ".dat"}


def compression(path: Path) -> str | None:
    """The compression of `path` by its first bytes: ``"gzip"``, ``"bz2"``, ``"xz"`` or None."""
    try:
        with path.open("rb") as f:
            head = f.read(6)
    except FileNotFoundError:
        where = f"relative to {Path.cwd()}"
        raise DataError(f"no such file: {path}; check the path ({where})") from None
    except IsADirectoryError:
        raise DataError(f"{path} is a folder; give the path of one data file in it") from None
    except OSError as error:
        raise DataError(f"cannot open {path}: {error.strerror}") from None
    for magic, kind in _MAGIC.items():
        if head.startswith(magic):
            return kind
    return None


def open_text(path: Path, newline: str | None = None) -> TextIO:
    """Open `path` for reading as UTF-8 text, decompressing on the fly.

    Parameters
    ----------
    path
        The file.
    newline
        As for `open`: ``""`` hands line ends to the caller (what `csv` wants),
        None translates CRLF and CR to ``"\\n"``.
    """
    kind = compression(path)
    if kind == "gzip":
        return gzip.open(path, "rt", encoding=_ENCODING, errors="replace", newline=newline)
    if kind == "bz2":
        return bz2.open(path, "rt", encoding=_ENCODING, errors="replace", newline=newline)
    if kind == "xz":
        return lzma.open(path, "rt", encoding=_ENCODING, errors="replace", newline=newline)
    return path.open(encoding=_ENCODING, errors="replace", newline=newline)


def base_suffix(path: Path) -> str:
    """The data suffix of `path` (``.csv`` for ``x.csv.gz``), lower-cased."""
    suffixes = [s.lower() for s in path.suffixes]
    while suffixes and suffixes[-1] in _COMPRESSED_SUFFIXES:
        suffixes.pop()
    return suffixes[-1] if suffixes else ""


def stream_name(path: Path) -> str:
    """The file name without its data and compression suffixes."""
    name = path.name
    lowered = name.lower()
    for suffix in sorted(_COMPRESSED_SUFFIXES, key=len, reverse=True):
        if lowered.endswith(suffix):
            name, lowered = name[: -len(suffix)], lowered[: -len(suffix)]
            break
    for suffix in _DATA_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    return name
