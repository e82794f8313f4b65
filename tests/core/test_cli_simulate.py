"""`stream-al simulate` as a user runs it: a real process, real files."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "stream_al", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )


def _csv(path: Path, rows: int = 3000) -> Path:
    lines = ["a,b,colour,target"]
    for i in range(rows):
        a = (i * 37 % 100) / 100
        b = (i * 91 % 100) / 100
        colour = "red" if i % 3 else "blue"
        lines.append(f"{a},{b},{colour},{'yes' if a + b > 1 else 'no'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_simulate_writes_the_contract_json(tmp_path: Path) -> None:
    data = _csv(tmp_path / "s.csv")
    out = tmp_path / "r.json"
    proc = run(
        "simulate",
        "--data",
        str(data),
        "--target",
        "target",
        "--budget",
        "0.1",
        "--strategy",
        "margin",
        "--label-delay",
        "20",
        "--seed",
        "3",
        "--json",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["items"] == 3000
    assert doc["strategy"] == "margin"
    assert doc["budget"] == 0.1
    assert doc["label_delay"] == 20
    assert 0 < doc["labels"] <= 1.05 * 300
    assert doc["label_fraction"] == pytest.approx(doc["labels"] / 3000)
    assert doc["accuracy"] > 0.8
    assert isinstance(doc["drifts"], list)
    assert doc["items_per_s"] > 0


def test_simulate_prints_a_summary_and_reads_gzip(tmp_path: Path) -> None:
    raw = _csv(tmp_path / "s.csv").read_bytes()
    gz = tmp_path / "s.csv.gz"
    gz.write_bytes(gzip.compress(raw))
    proc = run("simulate", "--data", str(gz))
    assert proc.returncode == 0, proc.stderr
    assert "accuracy" in proc.stdout
    assert "auto" in proc.stdout


def test_json_to_stdout(tmp_path: Path) -> None:
    proc = run("simulate", "--data", str(_csv(tmp_path / "s.csv", 500)), "--json", "-")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["items"] == 500


def test_a_malformed_row_names_its_line_without_a_traceback(tmp_path: Path) -> None:
    path = _csv(tmp_path / "bad.csv", 400)
    lines = path.read_text().splitlines()
    lines[300] = "0.5,oops,red,yes"
    path.write_text("\n".join(lines) + "\n")
    proc = run("simulate", "--data", str(path))
    assert proc.returncode == 2
    assert "line 301" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--strategy", "nope"), "unknown strategy 'nope'"),
        (("--model", "svm"), "unknown model 'svm'"),
        (("--target", "missing"), "missing"),
        (("--drift", "bogus"), "bogus"),
    ],
)
def test_bad_options_get_a_clear_message(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    proc = run("simulate", "--data", str(_csv(tmp_path / "s.csv", 100)), *args)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_file_is_reported(tmp_path: Path) -> None:
    proc = run("simulate", "--data", str(tmp_path / "absent.arff"))
    assert proc.returncode == 2
    assert "absent.arff" in proc.stderr


def test_budget_out_of_range_is_rejected(tmp_path: Path) -> None:
    proc = run("simulate", "--data", str(_csv(tmp_path / "s.csv", 100)), "--budget", "1.5")
    assert proc.returncode == 2
    assert "budget" in proc.stderr.lower()


@pytest.mark.data
@pytest.mark.parametrize(
    "name",
    [
        "electricity.arff",
        "weather.arff",
        "powersupply.arff",
        "outdoor.csv",
        "luxembourg.csv",
        "chess.csv",
        "ozone.data",
        "usenet1.arff",
        "usenet2.arff",
        "sms_spam.tsv",
    ],
)
def test_every_real_stream_simulates(shared_data: Path, name: str, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    proc = run("simulate", "--data", str(shared_data / name), "--limit", "3000", "--json", str(out))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["items"] == min(3000, doc["items"])
    assert doc["labels"] > 0


def test_strategies_lists_every_rule_and_model() -> None:
    proc = run("strategies")
    assert proc.returncode == 0
    for name in ("auto", "split", "variable_uncertainty", "logreg", "adwin"):
        assert name in proc.stdout
