"""The verdict on an item's labels, and Cohen's kappa checked against scikit-learn's."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream_al.review import MOST_LABELS, Agreement, judge

labels = st.lists(st.sampled_from(["cat", "dog", "bird", 1, True]), min_size=1, max_size=5)


@given(labels, st.integers(1, 4))
def test_a_verdict_settles_only_on_a_true_majority_of_enough_labels(
    given_labels: list[object], wanted: int
) -> None:
    verdict = judge(given_labels, wanted)  # type: ignore[arg-type]
    counts = Counter(repr(label) for label in given_labels)
    top = counts.most_common(1)[0][1]
    if verdict.settled:
        assert len(given_labels) >= wanted
        assert counts[repr(verdict.label)] == top
        assert top == len(given_labels) or (top >= 2 and list(counts.values()).count(top) == 1)
    elif verdict.kind == "wait":
        assert len(given_labels) < wanted
    else:
        assert verdict.kind == "conflict"
        assert verdict.wanted == max(len(given_labels) + 1, wanted) or (
            len(given_labels) >= MOST_LABELS and verdict.wanted == len(given_labels)
        )


def test_true_is_not_the_integer_one() -> None:
    assert judge([True, 1], 2).kind == "conflict"
    assert judge([True, True], 2).label is True


def test_judge_refuses_nothing_to_judge() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        judge([], 2)


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=2))
def test_the_overall_kappa_is_cohens_as_scikit_learn_computes_it(
    pairs: list[tuple[str, str]],
) -> None:
    from sklearn.metrics import cohen_kappa_score

    agreement = Agreement()
    for first, second in pairs:
        agreement.add("ana", first, "bob", second)
    firsts, seconds = zip(*pairs, strict=True)
    if len(set(firsts) | set(seconds)) == 1:
        assert agreement.overall.kappa == 0.0  # undefined (p_e = 1): river says 0
        return
    expected = cohen_kappa_score(firsts, seconds)
    assert agreement.overall.kappa == pytest.approx(expected, abs=1e-9)
    assert agreement.of("bob").kappa == pytest.approx(expected, abs=1e-9)
    agree = sum(a == b for a, b in pairs) / len(pairs)
    assert agreement.overall.agreement == pytest.approx(agree)


def test_each_annotator_is_measured_against_whoever_shared_the_item() -> None:
    agreement = Agreement()
    agreement.add("ana", "cat", "bob", "cat")
    agreement.add("ana", "dog", "cy", "cat")
    assert agreement.of("ana").pairs == 2
    assert agreement.of("bob").pairs == 1
    assert agreement.of("cy").agreement == 0.0
    assert agreement.of("bob").agreement == 1.0
    assert agreement.annotators() == ["ana", "bob", "cy"]
    assert agreement.of("nobody").kappa is None
