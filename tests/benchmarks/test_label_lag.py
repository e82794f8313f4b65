"""The label-lag benchmark: its rows (the issue's JSON contract) and its paired error."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from label_lag import WARMUP, _paired_se, main, rows_from


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
        arms += ("rehearsal_only", "forget_only", "no_rehearsal", "no_forget")
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
    assert "rehearse" in printed
    assert "forget" in printed
    assert "share of the whole-stream loss" not in printed  # only at delays past the warm-up
    assert rows[1]["loss_share_after_warmup"] is None


def _mean(delay: int, arm: str, acc: float, after: float) -> dict[str, object]:
    return {
        "stream": "s",
        "delay": delay,
        "arm": arm,
        "accuracy": acc,
        "accuracy_after_warmup": after,
        "by_seed": [acc, acc],
        "items": 4 * WARMUP,
        "pseudo_labels": 0,
        "labels": 10,
        "mean_lag_items": 1.0,
        "label_free_mae": 0.1,
        "unbiased_mae": 0.2,
    }


def test_the_loss_share_after_the_warm_up_bounds_the_recovery() -> None:
    # no delay 0.9 everywhere; at the delay 0.7 in all, 0.8 after the warm-up: of the
    # 0.2 lost, 0.1 x 3/4 of the stream falls after the first WARMUP items
    runs = [
        _mean(d, arm, acc, after)
        for d, acc, after in ((0, 0.9, 0.9), (WARMUP, 0.7, 0.8))
        for arm in ("no_fallback", "fallback", "self_training")
    ]
    rows = rows_from(runs)
    assert rows[0]["loss_share_after_warmup"] is None  # delay 0: no blind start
    assert rows[1]["loss_share_after_warmup"] == pytest.approx(0.1 * 0.75 / 0.2)
    assert rows[1]["recovered"] == pytest.approx(0.0)
