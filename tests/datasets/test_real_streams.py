"""Every real stream in the shared data folder reads completely, with its README's counts."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

import pytest

from stream_al.datasets import open_stream

pytestmark = pytest.mark.data


class Expected(NamedTuple):
    rows: int
    target: str
    n_features: int
    n_classes: int
    classes: list[str] | None = None  # declared up front, in order
    minority: tuple[str, float] | None = None  # a class and its share in the README


FILES = {
    "electricity.arff": Expected(45_312, "class", 8, 2, ["UP", "DOWN"], ("DOWN", 0.575)),
    "weather.arff": Expected(18_159, "class", 8, 2, ["TRUE", "FALSE"], ("TRUE", 0.314)),
    "outdoor.csv": Expected(4_000, "target", 21, 40),
    "luxembourg.csv": Expected(1_901, "target", 31, 2),
    "chess.csv": Expected(503, "target", 8, 2),
    "usenet1.arff": Expected(1_500, "interesting", 99, 2, ["0", "1"]),
    "usenet2.arff": Expected(1_500, "interesting", 99, 2, ["0", "1"]),
    "powersupply.arff": Expected(29_928, "class", 2, 24, [str(h) for h in range(24)]),
    "ozone.data": Expected(2_534, "c73", 72, 2, None, ("1.0", 0.063)),
    "sms_spam.tsv": Expected(5_574, "c0", 0, 2, None, ("spam", 0.134)),
}
SLOW = {"kddcup99_10pct.csv.gz": Expected(494_021, "c41", 41, 23)}
ALL = FILES | SLOW


def check(path: Path, expected: Expected) -> None:
    stream = open_stream(path)
    info = stream.info
    assert info.target == expected.target
    assert len(info.features) == expected.n_features
    assert info.classes == expected.classes
    labels: Counter[str] = Counter()
    for position, example in enumerate(stream):
        assert example.item.id == str(position)
        labels[str(example.label)] += 1
    assert sum(labels.values()) == expected.rows
    assert len(labels) == expected.n_classes
    if expected.classes is not None:
        assert set(labels) <= set(expected.classes)
    if expected.minority is not None:
        label, share = expected.minority
        assert labels[label] / expected.rows == pytest.approx(share, abs=0.001)


def test_every_data_file_is_covered(shared_data: Path) -> None:
    found = {p.name for p in shared_data.iterdir() if p.name not in ("README.md", "PROVENANCE.tsv")}
    assert found == set(ALL)


@pytest.mark.parametrize("name", sorted(FILES))
def test_reads_completely(shared_data: Path, name: str) -> None:
    check(shared_data / name, FILES[name])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(SLOW))
def test_reads_completely_slow(shared_data: Path, name: str) -> None:
    check(shared_data / name, SLOW[name])


def test_kddcup_columns(shared_data: Path) -> None:
    stream = open_stream(shared_data / "kddcup99_10pct.csv.gz", limit=1000)
    kinds = Counter(stream.info.features.values())
    assert kinds == {"numeric": 38, "categorical": 3}
    assert [stream.info.features[c] for c in ("c1", "c2", "c3")] == ["categorical"] * 3
    first = next(iter(stream))
    assert first.label == "normal."
    assert first.item.features["c1"] == "tcp"
    assert len(list(stream)) == 1000


def test_electricity_first_row(shared_data: Path) -> None:
    first = next(iter(open_stream(shared_data / "electricity.arff")))
    assert first.label == "UP"
    assert first.item.features["day"] == "2"
    assert first.item.features["nswdemand"] == pytest.approx(0.439155)


def test_powersupply_row_with_trailing_comma(shared_data: Path) -> None:
    # line 22211 of the file ends with a stray comma: "128.3,93.3,2,"
    stream = open_stream(shared_data / "powersupply.arff")
    example = next(e for e in stream if e.item.id == str(22211 - 9))
    assert example.item.features == {"attribute0": 128.3, "attribute1": 93.3}
    assert example.label == "2"


def test_ozone_event_time_is_the_date(shared_data: Path) -> None:
    stream = open_stream(shared_data / "ozone.data")
    assert stream.info.time == "c0"
    assert "c0" not in stream.info.features
    assert set(stream.info.features.values()) == {"numeric"}
    examples = list(stream)
    assert examples[0].item.event_time == datetime(1998, 1, 1, tzinfo=UTC).timestamp()
    assert examples[1].item.event_time == datetime(1998, 1, 2, tzinfo=UTC).timestamp()
    times = [e.item.event_time for e in examples]
    assert times == sorted(times)
    assert datetime.fromtimestamp(times[-1], tz=UTC).year == 2004
    assert any(len(e.item.features) < 72 for e in examples)  # '?' values are left out


def test_sms_has_text_and_two_classes(shared_data: Path) -> None:
    stream = open_stream(shared_data / "sms_spam.tsv")
    assert stream.info.text == "c1"
    assert stream.info.features == {}
    examples = list(stream)
    assert all(e.item.text for e in examples)
    assert {e.label for e in examples} == {"ham", "spam"}
    assert examples[0].item.text is not None
    assert examples[0].item.text.startswith("Go until jurong point")
    quoted = [e.item.text for e in examples if e.item.text and e.item.text.startswith('"')]
    assert quoted  # stray quotes are kept, never swallowing the following lines
    assert examples[-1].item.text is not None
    assert examples[-1].item.text.endswith("name")  # the last line has no final newline
