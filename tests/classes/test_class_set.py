"""The class set: classes from configuration or the data, new ones waiting for an admin."""

from __future__ import annotations

import json

import pytest

from stream_al.classes import MAX_PENDING, ClassSet, Status
from stream_al.exceptions import ClassError, ClassStateError, UnknownClassError


def test_an_empty_set_knows_nothing_and_refuses_to_guess() -> None:
    classes = ClassSet()
    assert classes.known == []
    assert not classes.closed
    for label in ("banana", "UP", 1, True):
        assert classes.check(label).status is Status.UNKNOWN


def test_labels_match_by_type_and_value_then_by_text() -> None:
    classes = ClassSet()
    classes.seed([0, 1, "yes"], "config")
    assert classes.check(1).label == 1
    assert classes.check("1").label == 1  # text of a class: the class itself
    assert type(classes.check("1").label) is int
    assert classes.check(True).status is Status.UNKNOWN  # True is not 1 here
    assert classes.check("Yes").status is Status.UNKNOWN  # case matters
    both = ClassSet()
    both.seed([1, True], "config")
    assert both.check(True).label is True
    assert both.check(1).label == 1
    assert both.check(1).label is not True


def test_seed_closes_the_set_so_events_add_nothing() -> None:
    classes = ClassSet()
    assert classes.detect(["UP", "DOWN", "UP"]) == ["UP", "DOWN"]
    assert not classes.closed
    assert classes.seed(["DOWN", "FLAT"], "config") == ["FLAT"]
    assert classes.closed
    assert classes.detect(["SIDEWAYS"]) == []
    assert classes.known == ["UP", "DOWN", "FLAT"]
    sources = {c.label: c.source for c in classes.classes}
    assert sources == {"UP": "events", "DOWN": "events", "FLAT": "config"}


def test_detect_skips_what_cannot_be_a_class_and_stops_at_the_limit() -> None:
    classes = ClassSet(limit=3)
    values = [None, 2.5, "", {"a": 1}, ["x"], "x" * 201, "a", 7, False, "b", "c"]
    assert classes.detect(values) == ["a", 7, False]
    assert classes.full()
    assert classes.detect(["d"]) == []


def test_a_proposal_waits_counts_its_labels_and_names_its_first_proposers() -> None:
    classes = ClassSet()
    classes.seed(["UP", "DOWN"], "config")
    first = classes.propose("banana", by="ana", at=5.0, row=12)
    assert (first.labels, first.proposed_by, first.since, first.first_row) == (1, ("ana",), 5.0, 12)
    again = classes.propose("banana", by="bob", at=9.0, row=40)
    assert (again.labels, again.proposed_by, again.since, again.first_row) == (
        2,
        ("ana", "bob"),
        5.0,
        12,
    )
    assert classes.check("banana").status is Status.PENDING
    assert "banana" not in classes.known
    assert classes.detect(["banana"]) == []  # events do not overrule an admin's decision
    assert classes.check("banana").status is Status.PENDING
    with pytest.raises(ClassStateError, match="known class"):
        classes.propose("UP", by="ana", at=1.0)


def test_accepting_makes_it_known_and_keeps_where_its_labels_start() -> None:
    classes = ClassSet()
    classes.seed(["UP", "DOWN"], "config")
    classes.propose("FLAT", by="ana", at=5.0, row=3)
    accepted = classes.accept("FLAT", by="root", at=8.0)
    assert accepted.labels == 1
    assert classes.known == ["UP", "DOWN", "FLAT"]
    flat = classes.known_class("FLAT")
    assert flat is not None
    assert (flat.source, flat.by, flat.at, flat.first_row) == ("admin", "root", 8.0, 3)
    assert classes.pending == []
    with pytest.raises(ClassStateError, match="known class already"):
        classes.accept("FLAT", by="root", at=9.0)


def test_rejecting_is_final_and_refuses_new_labels_of_that_class() -> None:
    classes = ClassSet()
    classes.seed(["UP", "DOWN"], "config")
    classes.propose("banana", by="ana", at=5.0)
    classes.propose("banana", by="ana", at=6.0)
    rejection = classes.reject("banana", by="root", at=7.0)
    assert (rejection.label, rejection.by, rejection.labels) == ("banana", "root", 2)
    assert classes.check("banana").status is Status.REJECTED
    with pytest.raises(ClassStateError, match="rejected by 'root'"):
        classes.propose("banana", by="bob", at=8.0)
    with pytest.raises(ClassStateError, match="rejected already"):
        classes.accept("banana", by="root", at=9.0)


def test_deciding_on_a_class_nobody_proposed_is_refused_with_the_waiting_ones() -> None:
    classes = ClassSet()
    classes.propose("FLAT", by="ana", at=1.0)
    with pytest.raises(UnknownClassError, match="waiting for an admin: 'FLAT'"):
        classes.accept("SIDEWAYS", by="root", at=2.0)


def test_declare_needs_an_empty_set_and_two_distinct_classes() -> None:
    classes = ClassSet()
    for bad in (["UP"], ["UP", "UP"], ["UP", ""], ["UP", 2.5]):
        with pytest.raises(ClassError, match="at least two distinct"):
            classes.declare(bad, by="root", at=1.0)  # type: ignore[arg-type]
    assert classes.declare(["UP", "DOWN"], by="root", at=1.0) == ["UP", "DOWN"]
    assert classes.closed
    assert {c.source for c in classes.classes} == {"admin"}
    with pytest.raises(ClassStateError, match="known already"):
        classes.declare(["A", "B"], by="root", at=2.0)


def test_proposals_are_bounded() -> None:
    classes = ClassSet(max_pending=2)
    classes.propose("a", by="ana", at=1.0)
    classes.propose("b", by="ana", at=1.0)
    with pytest.raises(ClassError, match="2 new classes already wait"):
        classes.propose("c", by="ana", at=1.0)
    classes.propose("a", by="bob", at=2.0)  # one more label of a waiting class is fine
    assert MAX_PENDING >= 10


def test_the_state_is_json_and_round_trips_types_and_order() -> None:
    classes = ClassSet()
    classes.seed([True, 0, "1"], "file")
    classes.propose(7, by="ana", at=2.0, row=5)
    classes.propose("x", by="bob", at=3.0)
    classes.reject("x", by="root", at=4.0)
    state = json.loads(json.dumps(classes.state()))
    back = ClassSet.from_state(state)
    assert back.known == [True, 0, "1"]
    assert [type(c) for c in back.known] == [bool, int, str]
    assert back.closed
    assert back.check(7).status is Status.PENDING
    assert back.pending[0].first_row == 5
    assert back.check("x").status is Status.REJECTED
    assert back.state() == classes.state()
    with pytest.raises(ClassError, match="version"):
        ClassSet.from_state({"version": 99})
