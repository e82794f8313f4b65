"""Demo settings: validation with clear errors, and how the stream address is derived."""

from __future__ import annotations

from typing import Any

import pytest

from stream_al.demo.config import DEFAULT_SYNTH_ITEMS, DemoConfig
from stream_al.exceptions import ConfigError


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("rate", 0.0, "rate must be a positive"),
        ("budget", 1.5, "budget must be a fraction"),
        ("annotators", 0, "annotators must be at least 1"),
        ("queue_capacity", 0, "queue_capacity must be at least 1"),
        ("annotator_speed", -1.0, "annotator_speed must be a positive"),
        ("label_delay", -5.0, "label_delay must be >= 0"),
        ("pass_share", 1.0, "pass_share must be in [0, 1)"),
        ("item_ttl", 0.0, "item_ttl must be a positive"),
        ("items", 0, "items must be at least 1"),
    ],
)
def test_bad_settings_are_refused_with_the_field_named(field: str, value: Any, words: str) -> None:
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace(")", r"\)")):
        DemoConfig(**{field: value})


def test_a_synthetic_stream_without_n_gets_the_items_or_the_default_length() -> None:
    assert DemoConfig(data="synth:sea").source == f"synth:sea?n={DEFAULT_SYNTH_ITEMS}"
    assert DemoConfig(data="synth:sea?drifts=2", items=900).source == "synth:sea?drifts=2&n=900"
    assert DemoConfig(data="synth:sea?n=500", items=900).source == "synth:sea?n=500"


def test_a_file_is_cut_by_items_and_left_as_given() -> None:
    config = DemoConfig(data="data/stream.csv", items=100)
    assert (config.source, config.limit) == ("data/stream.csv", 100)


def test_lease_ttl_defaults_to_three_think_times_and_at_least_a_minute() -> None:
    assert DemoConfig(label_delay=60.0).lease_seconds == 180.0
    assert DemoConfig(label_delay=5.0).lease_seconds == 60.0
    assert DemoConfig(label_delay=5.0, lease_ttl=7.0).lease_seconds == 7.0


def test_to_dict_holds_the_derived_values() -> None:
    doc = DemoConfig(items=1000).to_dict()
    assert doc["source"].endswith("n=1000")
    assert doc["lease_ttl"] == 180.0
