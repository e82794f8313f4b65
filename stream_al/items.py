"""Items: one event of the stream, as the rest of stream-al sees it.

An item has a stable `id` (the dedupe key), an event time, and either
features (numeric or categorical values by name), a text, or both.

>>> item = Item(id="42", event_time=3.0, features={"price": 0.1, "day": "mon"})
>>> item.features["day"]
'mon'
>>> Item(id="", event_time=0.0)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for Item
...
"""

from __future__ import annotations

from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Example", "FeatureValue", "Features", "Item", "Label"]

#: A class label. Files give strings; synthetic generators may give ints or bools.
Label = str | int | bool
#: One feature value: a number, or a category.
FeatureValue = float | int | str
#: Features of one item by name. A missing value is an absent key.
Features = dict[str, FeatureValue]


class Item(BaseModel):
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

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    event_time: float
    features: dict[str, float | int | str] = Field(default_factory=dict)
    text: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)


class Example(NamedTuple):
    """An item with its true label, as read from a labelled file or generator.

    In a simulation the label stays hidden until the strategy pays for it.
    """

    item: Item
    label: Label
