"""The operator dashboard page in headless Chromium, against the real API server.

The browser and tab fixtures are in ``conftest.py`` (skipped without Playwright
or Chromium). The store is given metric snapshots (as the scheduler saves
them), alerts and labels; the tests check what the plots draw from them, the cost headline, the
sign-in rules, and the annotator table from ``/v1/quality`` (the live
server's, and stubbed answers for the exact rendering).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from playwright.sync_api import Page, Route, expect
except ImportError:  # pragma: no cover - depends on the environment
    pytest.skip(
        "Playwright is not installed (pip install playwright; no browser download needed)",
        allow_module_level=True,
    )

from api_harness import MAX_BODY, Api, start_api

from stream_al.config.sections import ApiSettings
from stream_al.drift.alerts import DriftAlert

REFRESH_WAIT_MS = 12_000  # the page refreshes every 5 s
CLOCK_TIME = re.compile(r"^\d\d:\d\d$")


@pytest.fixture
def viewport() -> dict[str, int]:
    """Wide enough for two plots side by side."""
    return {"width": 1280, "height": 900}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    """The API server; labels cost 2.5 EUR each."""
    settings = ApiSettings(port=0, max_body_bytes=MAX_BODY, cost_per_label=2.5, cost_unit="EUR")
    running = start_api(tmp_path, settings)
    try:
        yield running
    finally:
        running.close()


def snapshot(api: Api, period: int, ago: float, **metrics: Any) -> None:
    """A metric snapshot `ago` seconds before the server's now, as the scheduler saves it."""
    doc = {"period": period, "time": api.clock.now() - ago, "metrics": metrics}
    with api.service.lock:
        api.store.save_state(f"metrics:{period}", doc)


def alert(api: Api, ago: float, kind: str = "drift", severity: str = "critical") -> DriftAlert:
    recorded = DriftAlert(
        kind=kind,  # type: ignore[arg-type]
        severity=severity,  # type: ignore[arg-type]
        detector="adwin" if kind == "drift" else "lag",
        source="labelled" if kind == "drift" else "queue",
        statistic=0.3,
        position=int(10_000 - ago),
        time=api.clock.now() - ago,
        message=f"<b>{kind}</b> {ago:.0f} s ago",
    )
    with api.service.lock:
        assert api.store.log_drift(recorded)
    return recorded


def human_labels(api: Api, n: int) -> None:
    with api.service.lock, api.store.transaction():
        for k in range(n):
            api.store.add_label(f"done-{k}", "cat", "ana", time=api.clock.now())


def history(api: Api) -> None:
    """Four snapshots a minute apart, accuracy 60 % to 75 % (the live estimate is 80 %)."""
    for k, accuracy in enumerate((0.6, 0.65, 0.7, 0.75)):
        snapshot(
            api,
            k,
            ago=60.0 * (4 - k),
            seen=200 * k,
            spent=8 * k,
            spent_share=0.04,
            budget=0.05,
            unbiased_accuracy=accuracy,
            queue_depth=3 + k,
            leased=1,
            lag_items=4 + k,
            lag_seconds=20.0 * k,
            model_version=k,
            **({"label_free_accuracy": accuracy + 0.05} if k >= 2 else {}),
        )


def sign_in(page: Page, url: str, token: str) -> None:
    page.goto(f"{url}/dashboard")
    page.get_by_label("Admin token").fill(token)
    page.get_by_role("button", name="Sign in").click()


def points(page: Page, plot: str, line: str) -> int:
    coords = page.locator(f"#{plot} polyline.{line}").get_attribute("points") or ""
    return len(coords.split())


def test_an_admin_sees_the_plots_the_drifts_and_the_cost_per_point(page: Page, api: Api) -> None:
    history(api)
    alert(api, ago=10_000)  # before the oldest snapshot: listed, not drawn
    alert(api, ago=150)
    alert(api, ago=90, severity="warning")
    alert(api, ago=30, kind="label_lag", severity="warning")
    human_labels(api, 10)
    sign_in(page, api.url, api.tokens["root"])

    expect(page.locator("#who")).to_have_text("root")
    expect(page.locator("#sign-in")).to_be_hidden()
    # 10 labels × 2.5 EUR over 100 × (0.8 − 0.6) points
    expect(page.locator("#cost-per-point")).to_have_text("1.25 EUR")
    expect(page.locator("#cost-detail")).to_have_text(
        "10 labels × 2.50 EUR = 25.00 EUR for +20.0 points (60.0% → 80.0%)"
    )
    expect(page.locator("#accuracy-now")).to_have_text("80.0%")
    expect(page.locator("#accuracy-detail")).to_have_text("recent accuracy, model 3")
    expect(page.locator("#labels-spent")).to_have_text("10")
    expect(page.locator("#budget-detail")).to_have_text("4.00% of 1,000 items sent; budget 5.00%")
    expect(page.locator("#alerts-total")).to_have_text("4")

    accuracy = page.locator("#plot-accuracy")
    expect(accuracy.locator("polyline.accuracy")).to_have_attribute("data-points", "5")
    assert points(page, "plot-accuracy", "accuracy") == 5  # four snapshots and the live point
    # the label-free estimate beside it: two snapshots kept it, and the live point
    expect(accuracy.locator("polyline.label-free")).to_have_attribute("data-points", "3")
    expect(accuracy.locator("line.mark.drift")).to_have_count(2)
    expect(accuracy.locator("line.mark.drift.critical title")).to_contain_text("drift (critical")
    expect(accuracy.locator("text.tick.y")).to_contain_text(["50%", "100%"])
    x_ticks = accuracy.locator("text.tick.x").all_text_contents()
    assert x_ticks, "no time ticks"
    assert all(CLOCK_TIME.match(tick) for tick in x_ticks), x_ticks
    expect(accuracy.locator("text.axis-label")).to_have_text(["time (local)", "accuracy (%)"])

    budget = page.locator("#plot-budget")
    assert points(page, "plot-budget", "spent") == 5
    expect(budget.locator("line.ref.budget")).to_have_count(1)
    expect(budget.locator("text.ref-label")).to_have_text("budget 5.00%")
    assert points(page, "plot-queue", "waiting") == 5
    assert points(page, "plot-queue", "leased") == 5
    assert points(page, "plot-lag", "lag") == 5
    expect(page.locator("#plot-lag line.mark.lag-alert")).to_have_count(1)
    expect(page.locator("#plot-lag text.axis-label")).to_have_text(
        ["time (local)", "label lag (s)"]
    )

    rows = page.locator("#alerts tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("<b>label_lag</b> 30 s ago")  # newest first, as text
    assert page.locator("#board b").count() == 0
    assert page.evaluate("sessionStorage.getItem('stream-al.token')") == api.tokens["root"]


def test_a_bad_or_non_admin_token_is_refused_with_the_reason(page: Page, api: Api) -> None:
    sign_in(page, api.url, "not-a-token")
    expect(page.get_by_role("alert")).to_contain_text("Token not accepted")
    sign_in(page, api.url, api.tokens["ana"])
    expect(page.get_by_role("alert")).to_have_text(
        "This token cannot open the dashboard: "
        "annotator 'ana' is not an admin; ask an admin to do this"
    )
    expect(page.get_by_label("Admin token")).to_be_visible()
    expect(page.locator("#board")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_token_is_shared_with_the_labelling_page(page: Page, api: Api) -> None:
    page.goto(f"{api.url}/")  # an annotator signed in there is refused here, still signed in there
    page.get_by_label("Annotator token").fill(api.tokens["bob"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("bob")
    page.goto(f"{api.url}/dashboard")
    expect(page.get_by_role("alert")).to_contain_text("annotator 'bob' is not an admin")
    assert page.evaluate("sessionStorage.getItem('stream-al.token')") == api.tokens["bob"]

    page.goto(f"{api.url}/")  # an admin signed in there is signed in here
    page.get_by_role("button", name="Sign out").click()
    page.get_by_label("Annotator token").fill(api.tokens["root"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who")).to_have_text("root")
    page.goto(f"{api.url}/dashboard")
    expect(page.locator("#who")).to_have_text("root")
    expect(page.locator("#board")).to_be_visible()
    expect(page.get_by_label("Admin token")).to_be_hidden()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("Admin token")).to_be_visible()
    expect(page.locator("#board")).to_be_hidden()
    assert page.evaluate("sessionStorage.length") == 0


def test_the_page_refreshes_by_itself_and_on_demand(page: Page, api: Api) -> None:
    sign_in(page, api.url, api.tokens["root"])
    line = page.locator("#plot-queue polyline.waiting")
    expect(line).to_have_attribute("data-points", "1")  # the live point alone
    expect(page.locator("#cost-per-point")).to_have_text("–")
    expect(page.locator("#cost-detail")).to_contain_text("No accuracy gained yet")

    snapshot(api, 1, ago=60, queue_depth=2, unbiased_accuracy=0.5)
    expect(line).to_have_attribute("data-points", "2", timeout=REFRESH_WAIT_MS)
    human_labels(api, 4)  # 4 × 2.5 EUR over 30 points
    expect(page.locator("#cost-per-point")).to_have_text("0.33 EUR", timeout=REFRESH_WAIT_MS)

    snapshot(api, 2, ago=30, queue_depth=5)
    alert(api, ago=45)
    page.get_by_role("button", name="Refresh now").click()
    expect(line).to_have_attribute("data-points", "3", timeout=2000)
    expect(page.locator("#plot-accuracy line.mark.drift")).to_have_count(1, timeout=2000)


def test_the_annotator_table_shows_the_live_servers_figures(page: Page, api: Api) -> None:
    (item,) = api.offer(0.9)
    ana = api.client("ana")
    ana.post("/v1/tasks/lease")
    ana.post("/v1/labels", json={"labels": [{"item_id": item, "label": "cat"}]})
    quality = api.client("root").get("/v1/quality")
    sign_in(page, api.url, api.tokens["root"])
    expect(page.locator("#board")).to_be_visible()
    if quality.status_code == 404:  # the server has no quality figures
        expect(page.locator("#quality-note")).to_contain_text("not available")
        expect(page.locator("#annotators")).to_be_hidden()
        return
    assert quality.status_code == 200, quality.text
    names = [a["name"] for a in quality.json()["annotators"]]
    assert "ana" in names
    rows = page.locator("#annotators tbody tr")
    expect(rows).to_have_count(len(names))
    expect(rows.filter(has_text="ana").locator("td").nth(1)).to_have_text("1")  # labels


QUALITY = {
    "overlap": 0.1,
    "kappa": 0.7234,
    "pairs": 31,
    "agreement": 0.875,
    "conflicts_open": 2,
    "held": 1,
    "annotators": [
        {
            "name": "ana",
            "labels": 1234,
            "kappa": 0.8,
            "pairs": 20,
            "median_seconds": 12.345,
            "labels_last_hour": 57,
        },
        {
            "name": "<i>bob</i>",
            "labels": 3,
            "kappa": None,
            "pairs": 0,
            "median_seconds": None,
            "labels_last_hour": 0,
        },
    ],
}


def test_the_annotator_table_renders_throughput_and_agreement(page: Page, api: Api) -> None:
    def answer(route: Route) -> None:
        route.fulfill(status=200, json=QUALITY)

    page.route("**/v1/quality", answer)
    sign_in(page, api.url, api.tokens["root"])
    expect(page.locator("#quality-kappa")).to_have_text("0.72 over 31 pairs")
    expect(page.locator("#quality-agreement")).to_have_text("87.5%")
    expect(page.locator("#quality-overlap")).to_have_text("10.0%")
    expect(page.locator("#quality-conflicts")).to_have_text("2")
    expect(page.locator("#quality-held")).to_have_text("1")
    table = page.get_by_role("table", name="Throughput and agreement by annotator")
    expect(table.get_by_role("row")).to_have_text(
        [
            "Annotator Labels last hour Labels Median s / label Kappa Pairs",
            "ana 57 1,234 12.3 s 0.80 20",
            "<i>bob</i> 0 3 – – 0",
        ],
        use_inner_text=True,
    )
    assert page.locator("#annotators i").count() == 0


def test_without_quality_figures_the_table_says_not_available(page: Page, api: Api) -> None:
    def missing(route: Route) -> None:
        body = {"error": "not_found", "message": "no route /v1/quality; see /docs"}
        route.fulfill(status=404, json=body)

    page.route("**/v1/quality", missing)
    sign_in(page, api.url, api.tokens["root"])
    expect(page.locator("#quality-note")).to_have_text(
        "Annotator throughput and agreement: not available on this server."
    )
    expect(page.locator("#annotators")).to_be_hidden()
    expect(page.locator("#quality-summary")).to_be_hidden()
    expect(page.locator("#board")).to_be_visible()  # the rest of the dashboard is there
    expect(page.get_by_role("alert")).to_have_text("")
