"""The label-lag benchmark: its rows (the issue's JSON contract) and its paired error."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from label_lag import _paired_se, main


def test_paired_standard_error_is_of_the_per_seed_differences() -> None:
    # differences 0.01, 0.03: mean 0.02, stdev 0.01414, se 0.01
    assert _paired_se([0.81, 0.83], [0.80, 0.80]) == pytest.approx(0.01)
    # a constant shift has no error, however spread the seeds are
    assert _paired_se([0.5, 0.9, 0.7], [0.4, 0.8, 0.6]) == pytest.approx(0.0, abs=1e-12)
    assert _paired_se([0.8], [0.7]) is None


@pytest.mark.slow
def test_rows_carry_the_contract_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "rows.json"
    main(
        [
            "--streams=synth:sea?n=6000",
            "--delays=500",
            "--seeds=2",
            "--jobs=1",
            "--parts",
            f"--json={out}",
        ]
    )
    rows = json.loads(out.read_text())
    assert [(r["stream"], r["delay"]) for r in rows] == [("sea", 0), ("sea", 500)]
    for row in rows:
        arms = ("no_delay", "no_fallback", "fallback", "self_training", "queue_only", "pacing_only")
        for key in (f"acc_{arm}" for arm in arms):
            assert 0.4 < row[key] <= 1.0, (key, row)
        assert math.isfinite(row["fallback_gain_se"])
    # the reference is the delay-0 run without the fallback, the same in every row
    assert rows[0]["acc_no_delay"] == rows[1]["acc_no_delay"] == rows[0]["acc_no_fallback"]
    # a plain queue behind annotators at half the admission rate builds a backlog; fresh-first not
    assert rows[0]["mean_lag_fallback"] < rows[0]["mean_lag_no_fallback"]
    printed = capsys.readouterr().out
    assert "gain ± se" in printed
    assert "target >= 50%" in printed
    assert "recovered at delay 500: sea" in printed  # judged at the longest delay run
    assert "pacing only" in printed
