"""Events in and out: `encode_event` / `decode_event` and the errors that name what is wrong."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from stream_al.exceptions import ConfigError, DataError
from stream_al.items import Example, Item
from stream_al.transport import (
    FieldMap,
    MalformedEventError,
    Record,
    decode_event,
    decode_label,
    decode_record,
    encode_event,
    encode_label,
)


def test_round_trip_keeps_id_time_features_and_text() -> None:
    item = Item(id="a1", event_time=5.0, features={"x": 1.5, "n": 3, "c": "red"}, text="hello")
    back = decode_event(encode_event(item))
    assert back == item


def test_label_is_written_only_when_asked_and_never_read_as_a_feature() -> None:
    example = Example(Item(id="1", event_time=0.0, features={"x": 1.0}), "spam")
    assert "label" not in json.loads(encode_event(example))
    data = encode_event(example, include_label=True)
    assert json.loads(data)["label"] == "spam"
    assert decode_event(data).features == {"x": 1.0}


def test_custom_field_map() -> None:
    fields = FieldMap(id="event_id", time="ts", text=None, label="y", metadata=("source",))
    data = b'{"event_id": 42, "ts": "2024-01-01T00:00:00Z", "amount": 9.5, "source": "web", "y": 1}'
    item = decode_event(data, fields)
    assert (item.id, item.event_time) == ("42", 1704067200.0)
    assert item.features == {"amount": 9.5}
    assert item.metadata == {"source": "web"}


def test_explicit_features_take_only_those_fields() -> None:
    fields = FieldMap(features=("a", "b"))
    item = decode_event(b'{"id": "1", "time": 0, "a": 1, "b": null, "c": 3}', fields)
    assert item.features == {"a": 1}


def test_inferred_features_skip_nulls_and_nan_and_keep_nested_values_as_metadata() -> None:
    item = decode_event(b'{"id": "1", "time": 0, "a": NaN, "b": null, "ok": true, "tags": [1, 2]}')
    assert item.features == {"ok": 1}
    assert item.metadata == {"tags": [1, 2]}


def test_missing_time_uses_the_default_time() -> None:
    record = Record("events", 2, 17, None, b'{"id": "x"}', 1_500)
    item = decode_record(record)
    assert item.event_time == 1.5


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"{not json", "not valid UTF-8 JSON"),
        (b"\xff\xfe", "not valid UTF-8 JSON"),
        (b"[1, 2]", "expected a JSON object, got array"),
        (b'{"time": 1}', "missing id field 'id'"),
        (b'{"id": "", "time": 1}', "id field 'id' must be a non-empty string or an integer"),
        (b'{"id": 1.5, "time": 1}', "got float 1.5"),
        (b'{"id": "1"}', "missing time field 'time'"),
        (b'{"id": "1", "time": "yesterday"}', "time field 'time' must be epoch seconds"),
        (b'{"id": "1", "time": true}', "time field 'time' must be epoch seconds"),
        (b'{"id": "1", "time": 1, "text": 5}', "text field 'text' must be a string, got int"),
    ],
)
def test_decode_errors_name_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(MalformedEventError, match="malformed event") as info:
        decode_event(data, where="events[0]@9")
    assert message in str(info.value)
    assert str(info.value).startswith("events[0]@9: ")
    assert isinstance(info.value, DataError)


def test_explicit_feature_of_the_wrong_type_is_an_error() -> None:
    with pytest.raises(MalformedEventError, match="feature 'a' must be a number or a string"):
        decode_event(b'{"id": "1", "time": 0, "a": {"b": 1}}', FieldMap(features=("a",)))


def test_decode_record_names_the_record() -> None:
    with pytest.raises(MalformedEventError, match=r"^events\[3\]@41: "):
        decode_record(Record("events", 3, 41, None, b"{}", 0))


def test_field_map_rejects_a_field_with_two_roles() -> None:
    with pytest.raises(ValidationError, match="names a field twice"):
        FieldMap(id="x", time="x")
    with pytest.raises(ValidationError, match="cannot be features"):
        FieldMap(features=("id", "a"))


def test_encoding_refuses_a_feature_named_like_a_role_and_nan() -> None:
    clash = Item(id="1", event_time=0.0, features={"time": 3.0})
    with pytest.raises(DataError, match="rename the feature"):
        encode_event(clash)
    with pytest.raises(DataError, match="missing value"):
        encode_event(Item(id="1", event_time=0.0, features={"x": float("nan")}))
    with pytest.raises(ConfigError, match="include_label"):
        encode_event(clash.replace(features={}), include_label=True)


def test_labels_round_trip_and_are_checked() -> None:
    label = decode_label(encode_label("7", 1, "ann", 3.0))
    assert (label.id, label.label, label.annotator, label.time) == ("7", 1, "ann", 3.0)
    with pytest.raises(MalformedEventError, match="annotator must be a non-empty string"):
        decode_label(b'{"id": "7", "label": "a", "time": 1}')
    with pytest.raises(MalformedEventError, match="label must be"):
        decode_label(b'{"id": "7", "label": null, "annotator": "a", "time": 1}')


# -- hostile input: refused or normalised at the edge, before the store, model or API ---------


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        (b'{"id": "a\\ud800", "x": 1}', "json", "lone surrogate"),
        (b'{"id": "a", "c": "x\\udc00y"}', "json", "lone surrogate"),
        (b'{"id": "a", "k\\ud834": 1}', "json", "lone surrogate"),  # in a key
        (b'{"id": "a", "x": NaN, "m": ["\\ud800"]}', "json", "lone surrogate"),
        (b'{"id": "a", "x": [' + b"[" * 40 + b"]" * 40 + b"]}", "json", "nested more than 32"),
        (b'{"id": "a", "x": ' + b"[" * 2000 + b"]" * 2000 + b"}", "json", "nested"),
        (b'{"id": "' + b"i" * 513 + b'"}', "id", "at most 512"),
        (b'{"id": ' + b"7" * 400 + b"}", "id", "must be a non-empty string or an integer"),
        (b'{"id": "a", "time": 1e300}', "time", "years 1 to 9999"),
        (b'{"id": "a", "time": ' + b"9" * 400 + b"}", "time", "years 1 to 9999"),
        (b'{"id": "a", "time": "' + b"2024-01-01" * 10 + b'"}', "time", "ISO-8601"),
        (b"\xff\xfe{}", "json", "UTF-8"),
        (b"[1, 2]", "shape", "expected a JSON object"),
    ],
)
def test_hostile_events_are_refused_with_the_class_of_their_reason(
    data: bytes, kind: str, message: str
) -> None:
    with pytest.raises(MalformedEventError, match=message) as caught:
        decode_event(data, default_time=0.0)
    assert caught.value.kind == kind


@pytest.mark.parametrize("digits", [400, 5000])
def test_an_integer_past_the_float_range_is_a_missing_value_not_an_overflow(digits: int) -> None:
    item = decode_event(b'{"id": "a", "time": 0, "big": ' + b"9" * digits + b', "x": 2}')
    assert item.features == {"x": 2}  # the model never meets a number it cannot hold
    held = decode_event(b'{"id": "a", "time": 0, "n": ' + b"9" * 300 + b"}")
    assert float(held.features["n"]) == pytest.approx(1e300)  # a float holds it


def test_what_orjson_reads_is_checked_for_depth_in_metadata_too() -> None:
    deep = b"[" * 100 + b"]" * 100  # orjson reads up to 1,024 levels
    with pytest.raises(MalformedEventError, match="nested") as caught:
        decode_event(b'{"id": "a", "time": 0, "x": ' + deep + b"}")
    assert caught.value.kind == "json"
    ok = decode_event(b'{"id": "a", "time": 0, "x": [[1]], "y": 2}')
    assert ok.metadata == {"x": [[1]]}


def test_a_label_message_and_the_item_it_carries_are_checked_like_events() -> None:
    good = encode_label(
        "7", "yes", "ana", 1.0, item=Item(id="7", event_time=0.0, features={"x": 1})
    )
    assert decode_label(good).item == Item(id="7", event_time=0.0, features={"x": 1})
    cases = {
        b'{"id": "7\\ud800", "label": "a", "annotator": "b", "time": 1}': "json",
        b'{"id": "7", "label": "", "annotator": "b", "time": 1}': "label",
        b'{"id": "7", "label": "a", "annotator": "b", "time": 1, "item": 3}': "item",
        b'{"id": "7", "label": "a", "annotator": "b", "time": 1,'
        b' "item": {"id": "7", "event_time": 0, "features": {"x": [1]}}}': "item",
        b'{"id": "7", "label": "a", "annotator": "b", "time": 1,'
        b' "item": {"id": "7", "event_time": 0, "features": {"x": 1e999}}}': "item",
    }
    for data, kind in cases.items():
        with pytest.raises(MalformedEventError) as caught:
            decode_label(data)
        assert caught.value.kind == kind, data
