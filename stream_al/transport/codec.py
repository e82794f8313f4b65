"""Events as JSON bytes: the edge where the user's records become `Item` objects.

A `FieldMap` names the fields of the user's events: the id, the event time, the
text, the label (never a feature) and metadata; features are the listed fields,
or every other top-level field with a number or string value. `decode_event` is
what the scorer uses to validate an event: anything it rejects raises
`MalformedEventError` naming the field and what is wrong with it, and goes to the
dead-letter topic.

>>> from stream_al.items import Example, Item
>>> example = Example(Item(id="7", event_time=12.5, features={"x": 0.5, "colour": "red"}), "yes")
>>> data = encode_event(example, include_label=True)
>>> data
b'{"id":"7","time":12.5,"x":0.5,"colour":"red","label":"yes"}'
>>> item = decode_event(data)
>>> item.id, item.event_time, item.features
('7', 12.5, {'x': 0.5, 'colour': 'red'})
>>> decode_event(b'{"time": 3}', where="events[0]@41")
Traceback (most recent call last):
...
stream_al.transport.errors.MalformedEventError: events[0]@41: malformed event: missing id field 'id'
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

import orjson
from pydantic import BaseModel, ConfigDict, Field, model_validator

from stream_al.exceptions import ConfigError, DataError
from stream_al.items import Example, FeatureValue, Item, Label
from stream_al.transport.base import Record
from stream_al.transport.errors import MalformedEventError

__all__ = [
    "FieldMap",
    "LabelEvent",
    "decode_event",
    "decode_label",
    "decode_record",
    "encode_event",
    "encode_label",
]


class FieldMap(BaseModel):
    """Which field of an event is what.

    Parameters
    ----------
    id
        The stable item id (a string or an integer).
    time
        The event time: epoch seconds, or an ISO-8601 string (UTC if no zone).
        None: events carry no time; the record's timestamp is used.
    features
        Feature fields; None: every top-level field not named here whose value
        is a number or a string (null and NaN mean missing).
    text
        The free-text field, if events have one.
    label
        The field that holds a ground-truth label, if any: never read as a feature.
    metadata
        Fields carried along in `Item.metadata`, never learned from.

    Examples
    --------
    >>> sorted(FieldMap(id="event_id", features=("amount", "country")).reserved())
    ['event_id', 'label', 'text', 'time']
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default="id", min_length=1)
    time: str | None = "time"
    features: tuple[str, ...] | None = None
    text: str | None = "text"
    label: str | None = "label"
    metadata: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _distinct(self) -> FieldMap:
        roles = [self.id, self.time, self.text, self.label, *self.metadata]
        names = [name for name in roles if name is not None]
        if len(names) != len(set(names)):
            raise ValueError(f"field map names a field twice: {names}")
        overlap = set(self.features or ()) & set(names)
        if overlap:
            raise ValueError(f"fields {sorted(overlap)} cannot be features and something else")
        return self

    @cached_property
    def _reserved(self) -> frozenset[str]:
        roles = (self.id, self.time, self.text, self.label, *self.metadata)
        return frozenset(name for name in roles if name is not None)

    def reserved(self) -> frozenset[str]:
        """Fields that are never features."""
        return self._reserved


DEFAULT_FIELDS = FieldMap()


def encode_event(
    example: Example | Item,
    field_map: FieldMap = DEFAULT_FIELDS,
    include_label: bool = False,
    event_time: float | None = None,
) -> bytes:
    """One item as compact JSON: id, time, features, text, metadata, and optionally the label.

    Parameters
    ----------
    example
        The item, with its label when `include_label` is set.
    field_map
        The field names to write under.
    include_label
        Write the label under ``field_map.label`` (for ground-truth replays).
    event_time
        Time to write instead of the item's own event time.
    """
    item = example.item if isinstance(example, Example) else example
    clash = field_map.reserved() & item.features.keys()
    if clash:
        raise DataError(
            f"item {item.id}: feature(s) {sorted(clash)} have the name of another field of the "
            "field map; rename the feature or map id/time/text/label to other names"
        )
    event: dict[str, Any] = {field_map.id: item.id}
    if field_map.time is not None:
        event[field_map.time] = item.event_time if event_time is None else event_time
    event.update(item.features)
    if item.text is not None:
        if field_map.text is None:
            raise ConfigError(f"item {item.id} has a text but the field map has no text field")
        event[field_map.text] = item.text
    event.update(item.metadata)
    if include_label:
        if not isinstance(example, Example) or field_map.label is None:
            raise ConfigError("include_label needs an Example and a label field in the field map")
        event[field_map.label] = example.label
    try:
        return json.dumps(
            event, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except ValueError as exc:  # NaN or infinity: not JSON
        raise DataError(f"item {item.id}: {exc}; leave a missing value out instead") from exc


def decode_event(
    data: bytes | str,
    field_map: FieldMap = DEFAULT_FIELDS,
    default_time: float | None = None,
    where: str | None = None,
) -> Item:
    """Validate one JSON event against `field_map` and return it as an `Item`.

    Parameters
    ----------
    data
        The event bytes (UTF-8 JSON object).
    field_map
        Which field is what.
    default_time
        Event time when the event has no time field (e.g. the record timestamp).
    where
        Where the event came from, named in the error.

    Raises
    ------
    MalformedEventError
        Bad JSON, not an object, a missing or mistyped id, time, text or feature.
    """
    event = _loads(data, where)
    if not isinstance(event, dict):
        raise MalformedEventError(f"expected a JSON object, got {_kind(event)}", where)
    features, metadata = _features(event, field_map, where)
    return Item.model_construct(
        id=_id(event, field_map.id, where),
        event_time=_time(event, field_map.time, default_time, where),
        features=features,
        text=_text(event, field_map.text, where),
        metadata=metadata,
    )


def _loads(data: bytes | str, where: str | None) -> Any:
    """Parse JSON with orjson; what it refuses is parsed again by `json` for its verdict.

    The second parse keeps `json`'s leniency for ``NaN`` and ``Infinity`` (read
    as missing values) and its error messages, which name line and column.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEventError(f"not valid UTF-8 JSON ({exc})", where) from exc
    except RecursionError as exc:
        raise MalformedEventError("JSON nested too deeply", where) from exc


def decode_record(record: Record, field_map: FieldMap = DEFAULT_FIELDS) -> Item:
    """`decode_event` of a record value: its timestamp is the default time, its place `where`."""
    return decode_event(record.value, field_map, record.timestamp_ms / 1000, record.where)


class LabelEvent(NamedTuple):
    """One answer of the labels topic: ``{id, label, annotator, time}``.

    `hold` names why the label must not be learned yet (an overlap task's label
    waiting for the item to be settled: ``"overlap"`` or ``"conflict"``); the
    settled label comes as its own message, without `hold`.
    """

    id: str
    label: Label
    annotator: str
    time: float
    hold: str | None = None


def encode_label(
    item_id: str, label: Label, annotator: str, time: float, item: Item | None = None
) -> bytes:
    """A labels-topic value (DESIGN: id, label, annotator, time), with the labelled `item` if given.

    >>> encode_label("7", "yes", "oracle", 1.5)
    b'{"id":"7","label":"yes","annotator":"oracle","time":1.5}'
    """
    event: dict[str, Any] = {"id": item_id, "label": label, "annotator": annotator, "time": time}
    if item is not None:
        event["item"] = item.model_dump(mode="json")
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def decode_label(data: bytes, where: str | None = None) -> LabelEvent:
    """Read a labels-topic value back, checking every field.

    >>> decode_label(b'{"id": "7", "label": "yes", "annotator": "ann", "time": 2}')
    LabelEvent(id='7', label='yes', annotator='ann', time=2.0, hold=None)
    """
    try:
        event = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedEventError(f"label is not valid UTF-8 JSON ({exc})", where) from exc
    if not isinstance(event, dict):
        raise MalformedEventError(f"expected a JSON object, got {_kind(event)}", where)
    label = event.get("label")
    if not isinstance(label, str | int | bool):
        raise MalformedEventError(
            f"label must be a string, integer or boolean, got {label!r}", where
        )
    annotator = event.get("annotator")
    if not isinstance(annotator, str) or not annotator:
        raise MalformedEventError(f"annotator must be a non-empty string, got {annotator!r}", where)
    time = _time(event, "time", None, where)
    hold = event.get("hold")
    if hold is not None and (not isinstance(hold, str) or not hold):
        raise MalformedEventError(f"hold must be a non-empty string or absent, got {hold!r}", where)
    return LabelEvent(_id(event, "id", where), label, annotator, time, hold)


def _kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _id(event: dict[str, Any], name: str, where: str | None) -> str:
    if name not in event:
        raise MalformedEventError(f"missing id field {name!r}", where)
    value = event[name]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value:
        raise MalformedEventError(
            f"id field {name!r} must be a non-empty string or an integer, got {_kind(value)} "
            f"{value!r}",
            where,
        )
    return value


def _time(
    event: dict[str, Any], name: str | None, default: float | None, where: str | None
) -> float:
    value = event.get(name) if name is not None else None
    if value is None:
        if default is None:
            raise MalformedEventError(f"missing time field {name!r}", where)
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
    raise MalformedEventError(
        f"time field {name!r} must be epoch seconds or an ISO-8601 string, got {value!r}", where
    )


def _text(event: dict[str, Any], name: str | None, where: str | None) -> str | None:
    value = event.get(name) if name is not None else None
    if value is None or isinstance(value, str):
        return value
    raise MalformedEventError(f"text field {name!r} must be a string, got {_kind(value)}", where)


def _features(
    event: dict[str, Any], field_map: FieldMap, where: str | None
) -> tuple[dict[str, FeatureValue], dict[str, Any]]:
    """Features and metadata; nested values of inferred features go to metadata."""
    metadata = {name: event[name] for name in field_map.metadata if name in event}
    features: dict[str, FeatureValue] = {}
    if field_map.features is None:
        reserved = field_map.reserved()
        names = [name for name in event if name not in reserved]
    else:
        names = [name for name in field_map.features if name in event]
    for name in names:
        value = event[name]
        kind = type(value)
        if kind is str or kind is int:
            features[name] = value
        elif kind is float:
            if math.isfinite(value):
                features[name] = value
        elif kind is bool:
            features[name] = int(value)
        elif value is None:
            continue
        elif field_map.features is None:
            metadata[name] = value
        else:
            raise MalformedEventError(
                f"feature {name!r} must be a number or a string, got {_kind(value)}", where
            )
    return features, metadata
