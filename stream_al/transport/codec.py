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
import re
import sys
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
    "decode_item",
    "decode_label",
    "decode_labelled_event",
    "decode_labelled_record",
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

#: Longest item id: ids are store keys and parts of the API's paths (``/v1/tasks/{id}``
#: takes at most 512 characters too).
MAX_ID_CHARS = 512
#: Deepest nesting of an event (metadata values included): deeper JSON is refused before
#: anything recursive (the store, the API's answers) meets it.
MAX_DEPTH = 32
#: Event times must be datetimes (years 1 to 9999), in epoch seconds.
_TIME_RANGE = (
    datetime(1, 1, 1, tzinfo=UTC).timestamp(),
    datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp(),
)
_FLOAT_MAX = sys.float_info.max
_SURROGATE = re.compile("[\ud800-\udfff]")


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
    return decode_labelled_event(data, field_map, default_time, where)[0]


def decode_labelled_event(
    data: bytes | str,
    field_map: FieldMap = DEFAULT_FIELDS,
    default_time: float | None = None,
    where: str | None = None,
) -> tuple[Item, Any]:
    """`decode_event`, and the value of the event's label field (None when it has none).

    >>> decode_labelled_event(b'{"id": 1, "time": 0, "x": 2, "label": "up"}')
    (Item(id='1', event_time=0.0, features={'x': 2}, text=None, metadata={}), 'up')
    """
    event = _loads(data, where)
    if not isinstance(event, dict):
        raise MalformedEventError(f"expected a JSON object, got {_kind(event)}", where)
    features, metadata = _features(event, field_map, where)
    item = Item(
        id=_id(event, field_map.id, where),
        event_time=_time(event, field_map.time, default_time, where),
        features=features,
        text=_text(event, field_map.text, where),
        metadata=metadata,
    )
    return item, None if field_map.label is None else event.get(field_map.label)


def _loads(data: bytes | str, where: str | None) -> Any:
    """Parse JSON with orjson; what it refuses is parsed again by `json` for its verdict.

    The second parse keeps `json`'s leniency for ``NaN`` and ``Infinity`` (read
    as missing values) and its error messages, which name line and column. What
    orjson refuses and `json` would let through is refused here too (`_sound`):
    a lone surrogate in a string (not Unicode: no store, topic or JSON answer
    could carry it) and nesting past `MAX_DEPTH`. An integer of more than 300
    digits is read as a float (infinity, that is a missing value, past the
    float range), so no number overflows later and no digit limit is hit.
    """
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        value = json.loads(data, parse_int=_int)
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise MalformedEventError(f"not valid UTF-8 JSON ({exc})", where, "json") from exc
    except RecursionError as exc:
        raise MalformedEventError("JSON nested too deeply", where, "json") from exc
    _sound(value, where)
    return value


def _int(digits: str) -> int | float:
    """A JSON integer: exact up to 300 digits (a float holds up to 1.8e308), else a float."""
    return int(digits) if len(digits) <= 300 else float(digits)


def _sound(value: Any, where: str | None, depth: int = 0) -> None:
    """Refuse lone surrogates anywhere in `value` (keys too) and nesting past `MAX_DEPTH`."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise MalformedEventError(
                f"the string {value[:40]!r} holds a lone surrogate: not valid Unicode; "
                "fix the producer's text encoding",
                where,
                "json",
            )
    elif isinstance(value, dict | list):
        if depth >= MAX_DEPTH:
            raise MalformedEventError(
                f"JSON nested more than {MAX_DEPTH} levels deep", where, "json"
            )
        if isinstance(value, dict):
            for key, inner in value.items():
                _sound(key, where, depth + 1)
                _sound(inner, where, depth + 1)
        else:
            for inner in value:
                _sound(inner, where, depth + 1)


def decode_record(record: Record, field_map: FieldMap = DEFAULT_FIELDS) -> Item:
    """`decode_event` of a record value: its timestamp is the default time, its place `where`."""
    return decode_event(record.value, field_map, record.timestamp_ms / 1000, record.where)


def decode_labelled_record(
    record: Record, field_map: FieldMap = DEFAULT_FIELDS
) -> tuple[Item, Any]:
    """`decode_labelled_event` of a record value (see `decode_record`)."""
    return decode_labelled_event(record.value, field_map, record.timestamp_ms / 1000, record.where)


class LabelEvent(NamedTuple):
    """One answer of the labels topic: ``{id, label, annotator, time}``.

    `hold` names why the label must not be learned yet (an overlap task's label
    waiting for the item to be settled: ``"overlap"`` or ``"conflict"``); the
    settled label comes as its own message, without `hold`. `item` is the
    labelled item when the message carries it.
    """

    id: str
    label: Label
    annotator: str
    time: float
    hold: str | None = None
    item: Item | None = None


def encode_label(
    item_id: str, label: Label, annotator: str, time: float, item: Item | None = None
) -> bytes:
    """A labels-topic value (DESIGN: id, label, annotator, time), with the labelled `item` if given.

    >>> encode_label("7", "yes", "oracle", 1.5)
    b'{"id":"7","label":"yes","annotator":"oracle","time":1.5}'
    """
    event: dict[str, Any] = {"id": item_id, "label": label, "annotator": annotator, "time": time}
    if item is not None:
        event["item"] = item.to_json()
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()


def decode_label(data: bytes, where: str | None = None) -> LabelEvent:
    """Read a labels-topic value back, checking every field (the carried item too).

    >>> decode_label(b'{"id": "7", "label": "yes", "annotator": "ann", "time": 2}')
    LabelEvent(id='7', label='yes', annotator='ann', time=2.0, hold=None, item=None)
    """
    event = _loads(data, where)
    if not isinstance(event, dict):
        raise MalformedEventError(f"expected a JSON object, got {_kind(event)}", where)
    label = event.get("label")
    if not isinstance(label, str | int | bool) or label == "":
        raise MalformedEventError(
            f"label must be a non-empty string, an integer or a boolean, got {_short(label)}",
            where,
            "label",
        )
    annotator = event.get("annotator")
    if not isinstance(annotator, str) or not annotator:
        raise MalformedEventError(
            f"annotator must be a non-empty string, got {_short(annotator)}", where, "label"
        )
    time = _time(event, "time", None, where)
    hold = event.get("hold")
    if hold is not None and (not isinstance(hold, str) or not hold):
        raise MalformedEventError(
            f"hold must be a non-empty string or absent, got {_short(hold)}", where, "label"
        )
    raw = event.get("item")
    item = None if raw is None else decode_item(raw, where)
    return LabelEvent(_id(event, "id", where), label, annotator, time, hold, item)


def decode_item(raw: Any, where: str | None = None) -> Item:
    """An item in the shape `Item` dumps to (a label message carries one), checked as an event.

    Its id, time, features and text follow the rules of `decode_event`; a
    feature that is not a finite number or a string is refused.

    >>> decode_item({"id": "7", "event_time": 1.0, "features": {"x": 2}}).features
    {'x': 2}
    """
    if not isinstance(raw, dict):
        raise MalformedEventError(f"item must be a JSON object, got {_kind(raw)}", where, "item")
    features = raw.get("features", {})
    metadata = raw.get("metadata", {})
    if not isinstance(features, dict) or not isinstance(metadata, dict):
        raise MalformedEventError("item features and metadata must be objects", where, "item")
    found: dict[str, FeatureValue] = {}
    for name, value in features.items():
        if isinstance(value, bool):
            found[name] = int(value)
        elif isinstance(value, str) or (
            isinstance(value, int | float) and -_FLOAT_MAX <= value <= _FLOAT_MAX
        ):
            found[name] = value
        elif value is not None:
            raise MalformedEventError(
                f"item feature {name!r} must be a finite number or a string, got {_short(value)}",
                where,
                "item",
            )
    _sound(metadata, where)
    return Item(
        id=_id(raw, "id", where),
        event_time=_time(raw, "event_time", None, where),
        features=found,
        text=_text(raw, "text", where),
        metadata=metadata,
    )


def _kind(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def _id(event: dict[str, Any], name: str, where: str | None) -> str:
    if name not in event:
        raise MalformedEventError(f"missing id field {name!r}", where, "id")
    value = event[name]
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    elif not isinstance(value, str) or not value:
        raise MalformedEventError(
            f"id field {name!r} must be a non-empty string or an integer, got {_kind(value)} "
            f"{_short(value)}",
            where,
            "id",
        )
    if len(value) > MAX_ID_CHARS:
        raise MalformedEventError(
            f"id field {name!r} is {len(value)} characters long; at most {MAX_ID_CHARS} "
            "(use a shorter stable key, e.g. a hash)",
            where,
            "id",
        )
    return value


def _short(value: Any) -> str:
    """`value` for an error message, cut short."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _time(
    event: dict[str, Any], name: str | None, default: float | None, where: str | None
) -> float:
    value = event.get(name) if name is not None else None
    if value is None:
        if default is None:
            raise MalformedEventError(f"missing time field {name!r}", where, "time")
        return default
    low, high = _TIME_RANGE
    if isinstance(value, int | float) and not isinstance(value, bool):
        if low <= value <= high:  # false for nan; no overflow for big integers either
            return float(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            moment = datetime.fromisoformat(value)
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()
        except (ValueError, OverflowError):
            pass
    raise MalformedEventError(
        f"time field {name!r} must be epoch seconds (years 1 to 9999) or an ISO-8601 string, "
        f"got {_short(value)}",
        where,
        "time",
    )


def _text(event: dict[str, Any], name: str | None, where: str | None) -> str | None:
    value = event.get(name) if name is not None else None
    if value is None or isinstance(value, str):
        return value
    raise MalformedEventError(
        f"text field {name!r} must be a string, got {_kind(value)}", where, "text"
    )


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
        if kind is str:
            features[name] = value
        elif kind is int:
            if -_FLOAT_MAX <= value <= _FLOAT_MAX:  # a float can hold it (so can the model)
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
                f"feature {name!r} must be a number or a string, got {_kind(value)}",
                where,
                "feature",
            )
    for value in metadata.values():
        if isinstance(value, dict | list):
            _sound(value, where, 1)  # nesting: orjson reads up to 1,024 levels
    return features, metadata
