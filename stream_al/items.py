"""Items: one event of the stream, as the rest of stream-al sees it.

An item has a stable `id` (the dedupe key), an event time, and either
features (numeric or categorical values by name), a text, or both.

`Item` is a plain slotted class, not a pydantic model: every event of the
stream becomes one, so it must cost next to nothing to build. Values are
checked where they enter (`stream_al.transport.codec` for events and label
messages, the dataset readers for files); the constructor checks only the id.

>>> item = Item(id="42", event_time=3.0, features={"price": 0.1, "day": "mon"})
>>> item.features["day"]
'mon'
>>> item.to_json()["features"]
{'price': 0.1, 'day': 'mon'}
>>> Item(id="", event_time=0.0)
Traceback (most recent call last):
...
stream_al.exceptions.DataError: an item id must be a non-empty string, got ''
"""

from __future__ import annotations

from typing import Any, NamedTuple

from stream_al.exceptions import DataError

__all__ = ["Example", "FeatureValue", "Features", "Item", "Label"]

#: A class label. Files give strings; synthetic generators may give ints or bools.
Label = str | int | bool
#: One feature value: a number, or a category.
FeatureValue = float | int | str
#: Features of one item by name. A missing value is an absent key.
Features = dict[str, FeatureValue]


class Item:
    """One event of the stream.

    Parameters
    ----------
    id
        Stable identifier, unique in the stream; used to deduplicate.
    event_time
        When the event happened, in seconds (epoch seconds, or the position in
        the stream for files without a time column).
    features
        Numeric and categorical values by name; a missing value is left out.
    text
        Free text, turned into features by the model's text featurizer.
    metadata
        Anything else the user wants carried along; never used for learning.
    """

    __slots__ = ("event_time", "features", "id", "metadata", "text")

    def __init__(
        self,
        id: str,
        event_time: float,
        features: Features | None = None,
        text: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        if not isinstance(id, str) or not id:
            raise DataError(f"an item id must be a non-empty string, got {id!r}")
        self.id = id
        self.event_time = float(event_time)
        self.features: Features = {} if features is None else features
        self.text = text
        self.metadata: dict[str, Any] = {} if metadata is None else metadata

    def to_json(self) -> dict[str, Any]:
        """The item as JSON-ready values (read back by `stream_al.transport.codec.decode_item`)."""
        return {
            "id": self.id,
            "event_time": self.event_time,
            "features": self.features,
            "text": self.text,
            "metadata": self.metadata,
        }

    def replace(self, **changes: Any) -> Item:
        """A copy with some fields changed."""
        return Item(**(self.to_json() | changes))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Item):
            return NotImplemented
        return (self.id, self.event_time, self.features, self.text, self.metadata) == (
            other.id,
            other.event_time,
            other.features,
            other.text,
            other.metadata,
        )

    __hash__ = None  # type: ignore[assignment]  # features are a dict: not hashable

    def __repr__(self) -> str:
        return (
            f"Item(id={self.id!r}, event_time={self.event_time!r}, features={self.features!r}, "
            f"text={self.text!r}, metadata={self.metadata!r})"
        )


class Example(NamedTuple):
    """An item with its true label, as read from a labelled file or generator.

    In a simulation the label stays hidden until the strategy pays for it.
    """

    item: Item
    label: Label
