"""The ``[scheduler]`` section: defaults, "none" words, validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stream_al.scheduler import SchedulerSettings


def test_defaults_work() -> None:
    s = SchedulerSettings()
    assert s.enabled
    assert s.max_labels is None
    assert s.decisions_keep_s == 7 * 24 * 3600
    criteria = s.criteria()
    assert (criteria.window, criteria.min_gain, criteria.min_labels) == (5, 0.005, 200)


def test_optional_fields_take_none_words_and_numbers_as_text() -> None:
    s = SchedulerSettings(decisions_keep_s="off", plateau_window="none", max_labels="500")
    assert s.decisions_keep_s is None
    assert s.plateau_window is None
    assert s.criteria().max_labels == 500


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("expire_every_s", 0),
        ("snapshot_every_s", -1),
        ("plateau_window", 1),
        ("plateau_min_gain", -0.1),
        ("max_labels", -1),
        ("snapshots_keep", 0),
        ("unknown_field", 1),
    ],
)
def test_bad_values_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError, match=field):
        SchedulerSettings(**{field: value})
