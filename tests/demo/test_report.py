"""The report: an HTML page whose figures are real, readable PNG files next to it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from stream_al.demo import DemoConfig, run_demo
from stream_al.demo.runner import DemoResult
from stream_al.evaluation.timeline import Timeline
from stream_al.report import FIGURES, match_drifts, summary_rows, write_report

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result() -> DemoResult:
    return run_demo(DemoConfig(data="synth:agrawal?drifts=2", items=4000, budget=0.1))


def _images(page: Path) -> list[str]:
    return re.findall(r'<img src="([^"]+)"', page.read_text(encoding="utf-8"))


def test_the_page_references_every_figure_as_a_valid_png(
    result: DemoResult, tmp_path: Path
) -> None:
    page = write_report(result.timeline, result.summary, result.config, tmp_path / "report")
    assert page == tmp_path / "report" / "index.html"
    sources = _images(page)
    assert sources == [spec.filename for spec in FIGURES]
    for source in sources:
        png = page.parent / source
        assert not Path(source).is_absolute()
        assert png.is_file()
        assert png.read_bytes()[:8] == PNG_MAGIC
        assert png.stat().st_size > 20_000  # a drawn figure, not an empty canvas
        with Image.open(png) as image:
            image.verify()
        with Image.open(png) as image:
            width, height = image.size
            colours = image.convert("RGB").getcolors(maxcolors=1_000_000)
        assert width >= 800
        assert height >= 400
        assert colours is not None
        assert len(colours) > 50


def test_the_page_holds_the_summary_configuration_and_alerts(
    result: DemoResult, tmp_path: Path
) -> None:
    page = write_report(result.timeline, result.summary, result.config, tmp_path)
    text = page.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.rstrip().endswith("</html>")
    for words in (
        "Items processed",
        "4,000",
        "Cohen",
        "Label lag, mean",
        "Configuration",
        "queue_capacity",
        "Drift alerts",
        "True drift positions",
    ):
        assert words in text
    assert "<script" not in text
    assert "http" not in text


def test_summary_json_is_strict_json(result: DemoResult, tmp_path: Path) -> None:
    write_report(result.timeline, result.summary, result.config, tmp_path)
    text = (tmp_path / "summary.json").read_text(encoding="utf-8")
    doc = json.loads(text, parse_constant=lambda name: pytest.fail(f"non-JSON {name}"))
    assert doc["summary"]["items"] == 4000
    assert doc["config"]["budget"] == 0.1


def test_a_timeline_without_queue_series_gets_only_the_figures_it_can_have(
    tmp_path: Path,
) -> None:
    timeline = Timeline(every=10)
    for position in range(10, 2001, 10):
        timeline.record(
            position, {"accuracy": 0.7, "window_accuracy": 0.75, "labels": position // 20}
        )
    timeline.mark(900, "drift", source="labelled", detector="adwin")
    page = write_report(
        timeline, {"items": 2000, "budget": 0.05, "true_drifts": [800]}, {}, tmp_path
    )
    assert _images(page) == ["accuracy.png", "labels.png"]
    assert not (tmp_path / "queue.png").exists()


def test_a_stale_figure_of_an_earlier_report_is_removed(result: DemoResult, tmp_path: Path) -> None:
    write_report(result.timeline, result.summary, result.config, tmp_path)
    assert (tmp_path / "lag.png").exists()
    write_report(Timeline(), {"items": 0}, {}, tmp_path)
    assert not (tmp_path / "lag.png").exists()


def test_drift_matching_counts_detections_delays_and_other_alerts() -> None:
    match = match_drifts([100, 200, 300], [50, 130, 150, 320])
    assert match.delays == [30, None, 20]
    assert (match.detected, match.other) == (2, 2)


def test_summary_rows_skip_what_a_summary_lacks() -> None:
    rows = dict(
        summary_rows(
            {"accuracy": 0.8123, "kappa": 0.5, "unbiased_accuracy": None, "random_labels": 0}
        )
    )
    assert rows == {"Accuracy (prequential, all items)": "0.812", "Cohen's kappa": "0.500"}
