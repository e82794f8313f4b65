"""Synthetic drifting streams: deterministic, string labels, drift where it is said to be."""

from __future__ import annotations

import random
from itertools import islice, repeat

import pytest

from stream_al.datasets import SYNTHETIC, open_stream
from stream_al.datasets.synthetic import concept_sequence
from stream_al.exceptions import DataError
from stream_al.items import Example

N = 400


def snapshot(examples: list[Example]) -> list[tuple[dict[str, float | int | str], str]]:
    return [(e.item.features, str(e.label)) for e in examples]


def test_at_least_the_four_required_generators_are_listed() -> None:
    assert {"sea", "agrawal", "hyperplane", "rbf"} <= set(SYNTHETIC)
    assert all(isinstance(text, str) and text for text in SYNTHETIC.values())


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_every_generator_gives_n_examples_with_string_labels_among_its_classes(name: str) -> None:
    stream = open_stream(f"synth:{name}?n={N}", seed=3)
    info = stream.info
    examples = list(stream)
    assert len(examples) == info.n_items == N
    assert info.name == name
    assert info.source == f"synth:{name}?n={N}"
    assert info.classes is not None
    assert all(isinstance(e.label, str) and e.label in info.classes for e in examples)
    assert [e.item.id for e in examples[:3]] == ["0", "1", "2"]
    assert examples[5].item.event_time == 5.0
    assert set(examples[0].item.features) == set(info.features)
    for example in examples[:20]:
        for key, value in example.item.features.items():
            assert isinstance(value, float if info.features[key] == "numeric" else str)


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_same_seed_same_stream_other_seed_other_stream(name: str) -> None:
    first = snapshot(list(open_stream(f"synth:{name}?n=50", seed=1)))
    again = snapshot(list(open_stream(f"synth:{name}?n=50", seed=1)))
    other = snapshot(list(open_stream(f"synth:{name}?n=50", seed=2)))
    assert first == again
    assert first != other


def test_a_stream_iterates_again_identically() -> None:
    stream = open_stream("synth:agrawal?n=100", seed=5)
    assert snapshot(list(stream)) == snapshot(list(stream))


def test_switching_streams_report_their_drift_in_the_middle_by_default() -> None:
    for name in ("sea", "agrawal", "stagger"):
        assert open_stream(f"synth:{name}?n=1000").info.drifts == [500]
    assert open_stream("synth:sea").info.n_items == 20_000
    assert open_stream("synth:sea").info.drifts == [10_000]


def test_gradual_generators_report_no_single_drift_position() -> None:
    assert open_stream("synth:hyperplane?n=100").info.drifts == []
    assert open_stream("synth:rbf?n=100").info.drifts == []


def test_several_drifts_evenly_spaced_or_where_asked() -> None:
    assert open_stream("synth:sea?n=1000&drifts=3").info.drifts == [250, 500, 750]
    assert open_stream("synth:sea?n=1000&position=100,300").info.drifts == [100, 300]


def test_limit_shortens_the_stream_and_drops_drifts_beyond_it() -> None:
    stream = open_stream("synth:sea?n=1000&drifts=3", limit=600)
    assert stream.info.n_items == 600
    assert stream.info.drifts == [250, 500]
    assert len(list(stream)) == 600


def test_abrupt_sea_drift_switches_the_concept_exactly_at_the_position() -> None:
    # SEA labels x0 + x1 > threshold: variant 0 uses 8, variant 1 uses 9
    examples = list(open_stream("synth:sea?n=2000&position=1000&noise=0", seed=4))

    def agrees(example: Example, threshold: float) -> bool:
        f = example.item.features
        return (float(f["x0"]) + float(f["x1"]) > threshold) == (example.label == "True")

    assert all(agrees(e, 8) for e in examples[:1000])
    assert all(agrees(e, 9) for e in examples[1000:])
    assert not all(agrees(e, 8) for e in examples[1000:])


def test_gradual_transition_mixes_both_concepts_around_the_position() -> None:
    examples = list(open_stream("synth:sea?n=4000&position=2000&width=1000&noise=0", seed=4))

    def old_only(example: Example) -> bool:
        f = example.item.features
        total = float(f["x0"]) + float(f["x1"])
        return 8 < total <= 9  # labelled True by variant 0, False by variant 1

    window = [e for e in examples[1700:2300] if old_only(e)]
    labels = {e.label for e in window}
    assert labels == {"True", "False"}


def test_limit_zero_gives_an_empty_stream_with_its_info() -> None:
    stream = open_stream("synth:sea?n=100", limit=0)
    assert stream.info.n_items == 0
    assert stream.info.drifts == []
    assert list(stream) == []
    assert set(stream.info.features) == {"x0", "x1", "x2"}


def test_seed_in_the_address_overrides_the_argument() -> None:
    by_address = snapshot(list(open_stream("synth:sea?n=30&seed=9", seed=1)))
    by_argument = snapshot(list(open_stream("synth:sea?n=30", seed=9)))
    assert by_address == by_argument


def test_stagger_features_are_categorical() -> None:
    stream = open_stream("synth:stagger?n=10")
    assert set(stream.info.features.values()) == {"categorical"}


def test_unknown_generator_lists_the_available_ones() -> None:
    with pytest.raises(DataError, match=r"unknown synthetic stream 'nope'.*synth:sea"):
        open_stream("synth:nope")


def test_unknown_parameter_lists_the_accepted_ones() -> None:
    with pytest.raises(DataError, match=r"unknown parameter 'speed'.*change_speed"):
        open_stream("synth:rbf?speed=3")


@pytest.mark.parametrize(
    "address",
    ["synth:sea?n=many", "synth:sea?n=0", "synth:sea?position=a,b", "synth:sea?concepts=7"],
)
def test_bad_parameter_values_are_data_errors(address: str) -> None:
    with pytest.raises(DataError):
        list(open_stream(address))


def test_target_and_text_do_not_apply_to_synthetic_streams() -> None:
    with pytest.raises(DataError, match="apply to files"):
        open_stream("synth:sea", target="y")


def test_concept_sequence_switches_at_each_position() -> None:
    concepts = [repeat(({"x": 0.0}, k)) for k in range(3)]
    pairs = concept_sequence(concepts, [2, 4], 1, random.Random(0))
    assert [y for _, y in islice(pairs, 6)] == [0, 0, 1, 1, 2, 2]
