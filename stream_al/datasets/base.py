"""The contract of a labelled stream: what it holds (`StreamInfo`) and how to read it (`Stream`).

A stream is re-iterable: every ``for`` loop starts again from the first
example, reading the file (or running the generator) afresh, so memory stays
flat however long the stream is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stream_al.items import Example

__all__ = ["FeatureKind", "Stream", "StreamInfo"]

#: How a feature is encoded in `Item.features`: a float, or a category string.
FeatureKind = Literal["numeric", "categorical"]


class StreamInfo(BaseModel):
    """What a stream holds, known before its first example is read.

    Parameters
    ----------
    name
        Short name: the file name without suffixes, or the generator name.
    source
        Where it comes from: the file path, or the ``synth:`` address.
    target
        The column (or attribute) the labels come from.
    features
        Feature names in column order, with how each one is encoded.
    text
        The column that became `Item.text`, if any.
    time
        The column parsed into `Item.event_time`, if any (else the position is used).
    classes
        Labels in declared order when the source declares them up front
        (ARFF nominal class, synthetic generators), else None.
    n_items
        Number of examples, when known without reading the whole source.
    drifts
        Positions (0-based item index) where a synthetic stream changes
        concept; empty for files and for continuously drifting generators.

    Examples
    --------
    >>> info = StreamInfo(name="toy", source="toy.csv", target="y",
    ...                   features={"x": "numeric", "colour": "categorical"})
    >>> info.classes is None, info.drifts
    (True, [])
    >>> [name for name, kind in info.features.items() if kind == "numeric"]
    ['x']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    source: str
    target: str
    features: dict[str, FeatureKind]
    text: str | None = None
    time: str | None = None
    classes: list[str] | None = None
    n_items: int | None = Field(default=None, ge=0)
    drifts: list[int] = Field(default_factory=list)


class Stream:
    """A labelled stream of examples, read in order, re-iterable.

    Parameters
    ----------
    info
        What the stream holds.
    examples
        Called once per iteration; returns a fresh iterator over every example
        from the first one.
    limit
        Stop after this many examples (None: read to the end).

    Examples
    --------
    >>> from stream_al.items import Example, Item
    >>> def examples():
    ...     for i in range(5):
    ...         yield Example(Item(id=str(i), event_time=float(i), features={"x": i / 2}), "a")
    >>> info = StreamInfo(name="toy", source="memory", target="y", features={"x": "numeric"})
    >>> stream = Stream(info, examples, limit=3)
    >>> [example.item.features["x"] for example in stream]
    [0.0, 0.5, 1.0]
    >>> len(list(stream))  # iterating again starts over
    3
    """

    def __init__(
        self,
        info: StreamInfo,
        examples: Callable[[], Iterator[Example]],
        limit: int | None = None,
    ) -> None:
        self.info = info
        self.limit = limit
        self._examples = examples

    def __iter__(self) -> Iterator[Example]:
        examples = self._examples()
        if self.limit is None:
            return examples
        return _first(examples, self.limit)

    def __repr__(self) -> str:
        limit = "" if self.limit is None else f", limit={self.limit}"
        return f"Stream({self.info.source!r}{limit})"


def _first(examples: Iterator[Example], limit: int) -> Iterator[Example]:
    """The first `limit` examples; closes the source (and its file) right after."""
    try:
        yield from islice(examples, limit)
    finally:
        close = getattr(examples, "close", None)
        if close is not None:
            close()
