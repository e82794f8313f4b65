"""ARFF reading: header syntax, value quirks and errors with line numbers, on tiny files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stream_al.datasets import open_stream
from stream_al.datasets.arff import split_values
from stream_al.exceptions import DataError, MalformedRowError


def write(tmp_path: Path, content: str, name: str = "toy.arff") -> Path:
    path = tmp_path / name
    path.write_text(content)
    return path


HEADER = """% Toy prices
% with comments
@RELATION 'toy prices'

@ATTRIBUTE price NUMERIC
@attribute 'day of week' {mon, 'tue wed', "sun"}
@Attribute count integer
@attribute class {UP,DOWN}

@DATA
"""
DATA_LINE = 10  # the line number of @DATA in HEADER


def test_header_declares_features_and_classes_in_declared_order(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "0.5,mon,3,UP\n1.5,sun,4,DOWN\n"))
    info = stream.info
    assert info.name == "toy"
    assert info.target == "class"
    assert info.classes == ["UP", "DOWN"]
    assert info.features == {"price": "numeric", "day of week": "categorical", "count": "numeric"}
    examples = list(stream)
    assert [e.label for e in examples] == ["UP", "DOWN"]
    assert examples[0].item.features == {"price": 0.5, "day of week": "mon", "count": 3.0}
    assert [e.item.id for e in examples] == ["0", "1"]
    assert [e.item.event_time for e in examples] == [0.0, 1.0]


def test_quoted_values_with_spaces_and_missing_values(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "?, 'tue wed', ?, UP\n2,\"sun\",,DOWN\n"))
    examples = list(stream)
    assert examples[0].item.features == {"day of week": "tue wed"}
    assert examples[1].item.features == {"price": 2.0, "day of week": "sun"}


def test_stray_trailing_comma_is_ignored(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "1,mon,2,UP\n128.3,mon,2,DOWN,\n3,mon,4,UP\n"))
    assert [e.label for e in stream] == ["UP", "DOWN", "UP"]


def test_comments_and_blank_lines_between_rows_and_no_final_newline(tmp_path: Path) -> None:
    body = "1,mon,2,UP\n\n% a note\n2,mon,2,DOWN"
    assert [e.label for e in open_stream(write(tmp_path, HEADER + body))] == ["UP", "DOWN"]


def test_sparse_rows_default_to_zero_and_first_nominal_value(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "{0 2.5, 3 DOWN}\n{1 'tue wed', 2 7}\n"))
    first, second = list(stream)
    assert first.item.features == {"price": 2.5, "day of week": "mon", "count": 0.0}
    assert first.label == "DOWN"
    assert second.item.features == {"price": 0.0, "day of week": "tue wed", "count": 7.0}
    assert second.label == "UP"


def test_bad_numeric_value_names_its_line_column_and_value(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER + "1,mon,2,UP\n% note\nabc,mon,2,UP\n")
    with pytest.raises(MalformedRowError) as caught:
        list(open_stream(path))
    assert caught.value.line == DATA_LINE + 3
    assert "'price'" in caught.value.reason
    assert "'abc'" in caught.value.reason


def test_undeclared_nominal_value_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match=r"'fri', not one of") as caught:
        list(open_stream(write(tmp_path, HEADER + "1,mon,2,UP\n1,fri,2,UP\n")))
    assert caught.value.line == DATA_LINE + 2


def test_undeclared_class_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match=r"label .* 'SIDEWAYS'") as caught:
        list(open_stream(write(tmp_path, HEADER + "1,mon,2,SIDEWAYS\n")))
    assert caught.value.line == DATA_LINE + 1


def test_wrong_value_count_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match=r"expected 4 values .*found 3") as e:
        list(open_stream(write(tmp_path, HEADER + "1,mon,2,UP\n1,mon,UP\n")))
    assert e.value.line == DATA_LINE + 2


def test_unclosed_quote_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match="unclosed") as caught:
        list(open_stream(write(tmp_path, HEADER + "1,'mon,2,UP\n")))
    assert caught.value.line == DATA_LINE + 1


def test_bad_sparse_index_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match="sparse entry"):
        list(open_stream(write(tmp_path, HEADER + "{9 1}\n")))


def test_unsupported_attribute_type_names_its_line(tmp_path: Path) -> None:
    content = "@relation r\n@attribute a relational\n@attribute class {x}\n@data\n"
    with pytest.raises(MalformedRowError, match="relational") as caught:
        open_stream(write(tmp_path, content))
    assert caught.value.line == 2


def test_missing_data_section_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no @data"):
        open_stream(write(tmp_path, "@relation r\n@attribute a numeric\n"))


def test_class_attribute_need_not_be_last(tmp_path: Path) -> None:
    content = "@relation r\n@attribute class {a,b}\n@attribute x numeric\n@data\nb,1\n"
    stream = open_stream(write(tmp_path, content))
    assert stream.info.target == "class"
    assert [(e.label, e.item.features) for e in stream] == [("b", {"x": 1.0})]


def test_without_class_attribute_the_last_one_is_the_target(tmp_path: Path) -> None:
    content = "@relation r\n@attribute x numeric\n@attribute y {a,b}\n@data\n1,b\n"
    stream = open_stream(write(tmp_path, content))
    assert stream.info.target == "y"
    assert stream.info.classes == ["a", "b"]


def test_explicit_target_numeric_has_no_declared_classes(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "1,mon,2,UP\n"), target="count")
    assert stream.info.target == "count"
    assert stream.info.classes is None
    assert "class" in stream.info.features
    assert [e.label for e in stream] == ["2"]


def test_unknown_target_lists_the_attributes(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="price, day of week, count, class"):
        open_stream(write(tmp_path, HEADER), target="volume")


def test_string_attribute_becomes_text_and_date_attribute_event_time(tmp_path: Path) -> None:
    content = """@relation mail
@attribute sent date "yyyy-MM-dd HH:mm"
@attribute body string
@attribute spam {no,yes}
@data
"2020-01-02 10:30",'Hello, are we still on for lunch?',no
"2020-01-02 10:31",?,yes
"""
    stream = open_stream(write(tmp_path, content))
    assert stream.info.text == "body"
    assert stream.info.time == "sent"
    assert stream.info.features == {}
    first, second = list(stream)
    assert first.item.text == "Hello, are we still on for lunch?"
    assert second.item.text is None
    expected = datetime(2020, 1, 2, 10, 30, tzinfo=UTC).timestamp()
    assert first.item.event_time == expected
    assert second.item.event_time == expected + 60


def test_default_date_format_is_iso(tmp_path: Path) -> None:
    content = "@relation r\n@attribute t date\n@attribute c {a}\n@data\n2021-05-01T00:00:00,a\n"
    (example,) = open_stream(write(tmp_path, content))
    assert example.item.event_time == datetime(2021, 5, 1, tzinfo=UTC).timestamp()


def test_gzipped_arff(tmp_path: Path) -> None:
    path = tmp_path / "toy.arff.gz"
    path.write_bytes(gzip.compress((HEADER + "1,mon,2,UP\n").encode()))
    stream = open_stream(path)
    assert stream.info.name == "toy"
    assert stream.info.classes == ["UP", "DOWN"]
    assert len(list(stream)) == 1


def test_arff_without_its_suffix_is_recognised(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, HEADER + "1,mon,2,UP\n", name="toy.txt"))
    assert stream.info.classes == ["UP", "DOWN"]


def test_crlf_arff(tmp_path: Path) -> None:
    path = tmp_path / "crlf.arff"
    path.write_bytes((HEADER + "1,mon,2,UP\n").replace("\n", "\r\n").encode())
    assert [e.label for e in open_stream(path)] == ["UP"]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("a,b", ["a", "b"]),
        (" 'x, y' , \"z\" ", ["x, y", "z"]),
        (r"'it\'s',b", ["it's", "b"]),
        ("a,", ["a", ""]),
    ],
)
def test_split_values(text: str, values: list[str]) -> None:
    assert split_values(text) == values
