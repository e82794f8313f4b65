"""CSV/TSV reading: every quirk of real files, on tiny files written for the test."""

from __future__ import annotations

import bz2
import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stream_al.datasets import Stream, open_stream
from stream_al.exceptions import DataError, MalformedRowError
from stream_al.items import Example


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def rows(stream: Stream) -> list[tuple[dict[str, float | int | str], str]]:
    return [(example.item.features, str(example.label)) for example in stream]


SIMPLE = "x,colour,Label\n0.5,red,yes\n1.5,blue,no\n2,red,yes\n"


def test_header_names_columns_and_label_column_is_found_by_name(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "simple.csv", SIMPLE))
    assert stream.info.name == "simple"
    assert stream.info.target == "Label"
    assert stream.info.features == {"x": "numeric", "colour": "categorical"}
    assert stream.info.classes is None
    assert stream.info.n_items is None
    assert stream.info.drifts == []
    assert rows(stream) == [
        ({"x": 0.5, "colour": "red"}, "yes"),
        ({"x": 1.5, "colour": "blue"}, "no"),
        ({"x": 2.0, "colour": "red"}, "yes"),
    ]


def test_items_are_numbered_by_position(tmp_path: Path) -> None:
    items = [example.item for example in open_stream(write(tmp_path, "s.csv", SIMPLE))]
    assert [item.id for item in items] == ["0", "1", "2"]
    assert [item.event_time for item in items] == [0.0, 1.0, 2.0]
    assert all(item.text is None for item in items)
    assert all(isinstance(example, Example) for example in open_stream(tmp_path / "s.csv"))


def test_headerless_file_names_columns_c0_and_takes_the_last_as_target(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "plain.data", "1,2,a\n3,4,b\n5,6,a\n"))
    assert stream.info.target == "c2"
    assert stream.info.features == {"c0": "numeric", "c1": "numeric"}
    assert rows(stream)[0] == ({"c0": 1.0, "c1": 2.0}, "a")
    assert len(list(stream)) == 3


def test_header_of_numbers_is_found_by_a_name_over_a_numeric_column(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "outdoor.csv", "0,1,target\n0.1,0.2,3\n0.3,0.4,5\n"))
    assert stream.info.target == "target"
    assert list(stream.info.features) == ["0", "1"]
    assert [example.label for example in stream] == ["3", "5"]


def test_crlf_line_ends_leave_no_carriage_return(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "crlf.csv", SIMPLE.replace("\n", "\r\n")))
    assert stream.info.target == "Label"
    assert rows(stream) == rows(open_stream(write(tmp_path, "lf.csv", SIMPLE)))


@pytest.mark.parametrize("name", ["data.csv.gz", "data_without_suffix", "data.gz"])
def test_gzip_is_read_by_its_magic_bytes(tmp_path: Path, name: str) -> None:
    stream = open_stream(write(tmp_path, name, gzip.compress(SIMPLE.encode())))
    assert stream.info.name == "data" if name != "data_without_suffix" else True
    assert rows(stream) == rows(open_stream(write(tmp_path, "plain.csv", SIMPLE)))


def test_bz2_is_read_too(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "data.csv.bz2", bz2.compress(SIMPLE.encode())))
    assert len(list(stream)) == 3


def test_question_mark_and_empty_values_are_missing_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "gaps.csv", "a,b,c,y\n1,?,x,p\n,2,,q\n? , 3 , ? ,p\n")
    assert rows(open_stream(path)) == [
        ({"a": 1.0, "c": "x"}, "p"),
        ({"b": 2.0}, "q"),
        ({"b": 3.0}, "p"),
    ]


def test_one_stray_trailing_comma_is_ignored(tmp_path: Path) -> None:
    path = write(tmp_path, "comma.csv", "a,b,y\n1,2,p\n3,4,q,\n5,6,p\n")
    assert [label for _, label in rows(open_stream(path))] == ["p", "q", "p"]


def test_trailing_comma_on_every_headerless_row_is_not_a_column(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "all.csv", "1,2,p,\n3,4,q,\n"))
    assert stream.info.target == "c2"
    assert [label for _, label in rows(stream)] == ["p", "q"]


def test_no_final_newline_keeps_the_last_row(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "end.csv", SIMPLE.rstrip("\n")))
    assert rows(stream)[-1] == ({"x": 2.0, "colour": "red"}, "yes")


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "blank.csv", "\n" + SIMPLE.replace("\n", "\n\n  \n")))
    assert len(list(stream)) == 3


def test_non_numeric_value_in_numeric_column_names_line_column_and_value(tmp_path: Path) -> None:
    # line 1 header, line 3 blank, 300 good rows: the bad row is physical line 304
    body = "x,colour,y\n0.5,red,a\n\n" + "1.5,blue,b\n" * 300 + "oops,red,a\n"
    path = write(tmp_path, "bad.csv", body)
    stream = open_stream(path)
    with pytest.raises(MalformedRowError) as caught:
        list(stream)
    error = caught.value
    assert error.line == 304
    assert error.source == str(path)
    assert "'x'" in error.reason
    assert "'oops'" in error.reason
    assert "fix or remove the row" in error.reason
    assert str(error).startswith(f"{path}, line 304: ")


def test_a_non_numeric_value_in_the_first_rows_makes_the_column_categorical(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "mixed.csv", "x,y\n1,a\nn/a,b\n"))
    assert stream.info.features == {"x": "categorical"}
    assert [e.item.features["x"] for e in stream] == ["1", "n/a"]


def test_wrong_field_count_is_an_error_with_its_line(tmp_path: Path) -> None:
    body = "a,b,y\n" + "1,2,p\n" * 300 + "1,2\n"
    with pytest.raises(MalformedRowError, match="expected 3 fields, found 2") as caught:
        list(open_stream(write(tmp_path, "short.csv", body)))
    assert caught.value.line == 302


def test_wrong_field_count_in_the_first_rows_fails_at_open(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match="expected 3 fields, found 5") as caught:
        open_stream(write(tmp_path, "long.csv", "a,b,y\n1,2,p\n1,2,p,4,5\n"))
    assert caught.value.line == 3


def test_rows_are_read_lazily_so_a_late_bad_row_fails_only_when_reached(tmp_path: Path) -> None:
    body = "a,y\n" + "1,p\n" * 500 + "x,p\n"
    stream = open_stream(write(tmp_path, "late.csv", body))
    assert len([e for _, e in zip(range(10), stream, strict=False)]) == 10
    with pytest.raises(MalformedRowError) as caught:
        list(stream)
    assert caught.value.line == 502


def test_missing_label_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(MalformedRowError, match="label") as caught:
        list(open_stream(write(tmp_path, "nolabel.csv", "a,y\n1,p\n2,?\n")))
    assert caught.value.line == 3


def test_unknown_target_lists_the_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="x, colour, Label") as caught:
        open_stream(write(tmp_path, "s.csv", SIMPLE), target="price")
    assert "'price'" in str(caught.value)
    assert not isinstance(caught.value, MalformedRowError)


@pytest.mark.parametrize(
    ("target", "expected"),
    [("colour", "colour"), ("COLOUR", "colour"), ("0", "x"), ("-2", "colour")],
)
def test_target_by_name_or_index(tmp_path: Path, target: str, expected: str) -> None:
    stream = open_stream(write(tmp_path, "s.csv", SIMPLE), target=target)
    assert stream.info.target == expected
    assert expected not in stream.info.features
    assert "Label" in stream.info.features


def test_a_column_named_like_an_index_is_taken_by_name(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "n.csv", "x,0,y\n0.1,0.5,p\n0.2,0.7,q\n"), target="0")
    assert stream.info.target == "0"
    assert [e.label for e in stream] == ["0.5", "0.7"]


def test_tab_separated_label_and_text(tmp_path: Path) -> None:
    messages = [
        ("ham", 'Are you coming to the "cave" tonight? I will bring the snacks, ok'),
        ("spam", '"WINNER!! You have been selected to receive a prize, call now'),
        ("ham", "Sorry, I'll call you later when I am back home from work today"),
    ]
    path = write(tmp_path, "sms.tsv", "\n".join(f"{label}\t{text}" for label, text in messages))
    stream = open_stream(path)
    assert stream.info.target == "c0"
    assert stream.info.text == "c1"
    assert stream.info.features == {}
    read = [(e.label, e.item.text, e.item.features) for e in stream]
    assert read == [(label, text, {}) for label, text in messages]


def test_text_column_can_be_named(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "note,kind,y\nhello,a,p\nbye,b,q\n")
    stream = open_stream(path, text="note")
    assert stream.info.text == "note"
    assert stream.info.features == {"kind": "categorical"}
    assert [e.item.text for e in stream] == ["hello", "bye"]


def test_target_and_text_cannot_be_the_same_column(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="both the target and the text"):
        open_stream(write(tmp_path, "s.csv", SIMPLE), target="colour", text="colour")


def test_header_of_an_all_text_file_is_found(tmp_path: Path) -> None:
    body = "label,message\n" + "ham,see you soon\nspam,win a prize\nham,ok\n" * 3
    stream = open_stream(write(tmp_path, "h.csv", body))
    assert stream.info.target == "label"
    assert len(list(stream)) == 9


def test_semicolon_delimiter(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "semi.csv", "a;b;y\n1,5;2;p\n3;4;q\n"))
    assert stream.info.features == {"a": "categorical", "b": "numeric"}
    assert rows(stream)[0] == ({"a": "1,5", "b": 2.0}, "p")


def test_quoted_field_holding_the_delimiter(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "q.csv", 'city,n,y\n"Paris, FR",1,p\nRome,2,q\n'))
    assert rows(stream)[0] == ({"city": "Paris, FR", "n": 1.0}, "p")


def test_date_column_becomes_event_time_and_leaves_the_features(tmp_path: Path) -> None:
    body = "1/1/1998,0.5,?,0\r\n1/13/1998,0.7,1.0,1\r\n"
    stream = open_stream(write(tmp_path, "ozone.data", body))
    assert stream.info.time == "c0"
    assert "c0" not in stream.info.features
    examples = list(stream)
    assert examples[0].item.event_time == datetime(1998, 1, 1, tzinfo=UTC).timestamp()
    assert examples[1].item.event_time == datetime(1998, 1, 13, tzinfo=UTC).timestamp()
    assert examples[0].item.features == {"c1": 0.5}
    assert [e.label for e in examples] == ["0", "1"]


def test_iso_timestamps_are_parsed(tmp_path: Path) -> None:
    body = "when,x,y\n2024-03-01T12:00:00,1,p\n2024-03-01 12:00:30,2,q\n"
    times = [e.item.event_time for e in open_stream(write(tmp_path, "iso.csv", body))]
    assert times[1] - times[0] == 30.0


def test_a_stream_reads_again_from_the_start_and_honours_limit(tmp_path: Path) -> None:
    path = write(tmp_path, "s.csv", SIMPLE)
    stream = open_stream(path, limit=2)
    assert rows(stream) == rows(stream)
    assert len(rows(stream)) == 2
    assert open_stream(path, limit=0) is not None
    assert list(open_stream(path, limit=0)) == []


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="no rows"):
        open_stream(write(tmp_path, "empty.csv", "\n\n"))


def test_undecodable_bytes_do_not_stop_the_stream(tmp_path: Path) -> None:
    stream = open_stream(write(tmp_path, "latin.csv", b"a,y\ncaf\xe9,p\nthe,q\n"))
    assert [e.item.features["a"] for e in stream] == ["caf\ufffd", "the"]


def test_a_row_the_csv_parser_rejects_is_a_malformed_row(tmp_path: Path) -> None:
    huge = "z" * 200_000  # larger than the csv module's field limit
    body = "a,y\n" + "1,p\n" * 250 + f"{huge},q\n"
    with pytest.raises(MalformedRowError, match="field larger than field limit") as caught:
        list(open_stream(write(tmp_path, "huge.csv", body)))
    assert caught.value.line == 252
