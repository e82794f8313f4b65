// The operator dashboard: sign in with an admin token, then plot /v1/dashboard and list
// /v1/quality every few seconds. Plots are inline SVG drawn here; every piece of data is set
// with textContent or an attribute, never parsed as markup.
"use strict";

const REFRESH_MS = 5000;
const SVG_NS = "http://www.w3.org/2000/svg";
const state = { token: null, timer: null, loading: false };

// One GET of the API as the signed-in admin (`callApi` of api.js).
const call = (path) => callApi(state.token, "GET", path);

// -- formatting ------------------------------------------------------------------------------

const known = (value) => typeof value === "number" && Number.isFinite(value);
const pad = (n) => String(n).padStart(2, "0");
const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const money2 = new Intl.NumberFormat("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function percent(share, digits = 1) {
  return known(share) ? `${(share * 100).toFixed(digits)}%` : "–";
}
function money(value, unit) { return `${money2.format(value)} ${unit}`; }
function count(value) { return known(value) ? grouped.format(value) : "–"; }

function clock(seconds, withSeconds) {
  const d = new Date(seconds * 1000);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return withSeconds ? `${hm}:${pad(d.getSeconds())}` : hm;
}
function day(seconds) {
  const d = new Date(seconds * 1000);
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

// A duration in the unit that reads best: [divisor, unit name].
function durationUnit(seconds) {
  if (seconds >= 2 * 3600) return [3600, "h"];
  if (seconds >= 120) return [60, "min"];
  return [1, "s"];
}
function duration(seconds) {
  if (!known(seconds)) return "–";
  const [div, unit] = durationUnit(seconds);
  const value = seconds / div;
  return `${value >= 10 || div === 1 ? Math.round(value) : value.toFixed(1)} ${unit}`;
}

// -- plotting --------------------------------------------------------------------------------

const W = 640;
const H = 230;
const M = { left: 58, right: 14, top: 14, bottom: 42 };
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
  21600, 43200, 86400, 172800, 604800];

function svg(name, attrs, text) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs || {})) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

// A round step giving about `n` ticks over `span` (1, 2 or 5 times a power of ten).
function niceStep(span, n, integer) {
  const raw = span / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  return integer ? Math.max(1, Math.round(step)) : step;
}

// Axis from 0 (or `lo`) to a round value above `hi`, and its ticks.
function valueAxis(lo, hi, integer) {
  if (!(hi > lo)) hi = lo + (integer ? 4 : 1);
  const step = niceStep(hi - lo, 4, integer);
  const top = Math.ceil(hi / step - 1e-9) * step;
  const bottom = Math.floor(lo / step + 1e-9) * step;
  const ticks = [];
  for (let v = bottom; v <= top + step / 2; v += step) ticks.push(Number(v.toPrecision(10)));
  return { lo: bottom, hi: top, ticks };
}

function timeAxis(t0, t1) {
  if (!(t1 > t0)) { t0 -= 60; t1 += 60; }
  const step = TIME_STEPS.find((s) => (t1 - t0) / s <= 6) || 604800;
  const ticks = [];
  const offset = new Date(t0 * 1000).getTimezoneOffset() * 60;  // ticks on local round times
  for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1; t += step) ticks.push(t);
  const label = step >= 86400 ? day : (t) => clock(t, step < 60);
  return { lo: t0, hi: t1, ticks, label };
}

// Draw one plot into `node` (an <svg>).
//   spec.x: time axis (timeAxis); spec.y: value axis (valueAxis) with spec.yLabel and spec.yTick;
//   spec.lines: [{cls, name, points: [[t, v]]}]; spec.refs: [{cls, value, label}] (horizontal);
//   spec.marks: [{cls, time, title}] (vertical lines); spec.empty: text shown without points.
function drawPlot(node, spec) {
  const { x, y } = spec;
  const sx = (t) => M.left + ((t - x.lo) / (x.hi - x.lo)) * (W - M.left - M.right);
  const sy = (v) => H - M.bottom - ((v - y.lo) / (y.hi - y.lo)) * (H - M.top - M.bottom);
  const parts = [];
  for (const v of y.ticks) {
    parts.push(svg("line", { class: "grid", x1: M.left, x2: W - M.right, y1: sy(v), y2: sy(v) }));
    parts.push(svg("text", { class: "tick y", x: M.left - 6, y: sy(v) }, spec.yTick(v)));
  }
  for (const t of x.ticks) {
    const px = sx(t);
    parts.push(svg("line", { class: "tick-mark", x1: px, x2: px, y1: H - M.bottom, y2: H - M.bottom + 5 }));
    parts.push(svg("text", { class: "tick x", x: px, y: H - M.bottom + 17 }, x.label(t)));
  }
  parts.push(svg("line", { class: "axis", x1: M.left, x2: W - M.right, y1: H - M.bottom, y2: H - M.bottom }));
  parts.push(svg("line", { class: "axis", x1: M.left, x2: M.left, y1: M.top, y2: H - M.bottom }));
  parts.push(svg("text", { class: "axis-label", x: (M.left + W - M.right) / 2, y: H - 4 }, "time (local)"));
  const mid = (M.top + H - M.bottom) / 2;
  parts.push(svg("text", { class: "axis-label", x: 14, y: mid, transform: `rotate(-90 14 ${mid})` }, spec.yLabel));
  for (const ref of spec.refs || []) {
    const py = sy(ref.value);
    parts.push(svg("line", { class: `ref ${ref.cls}`, x1: M.left, x2: W - M.right, y1: py, y2: py }));
    parts.push(svg("text", { class: `ref-label ${ref.cls}`, x: W - M.right - 4, y: py - 5 }, ref.label));
  }
  for (const mark of spec.marks || []) {
    if (mark.time < x.lo || mark.time > x.hi) continue;
    const line = svg("line", { class: `mark ${mark.cls}`, x1: sx(mark.time), x2: sx(mark.time), y1: M.top, y2: H - M.bottom });
    line.append(svg("title", {}, mark.title));
    parts.push(line);
  }
  let drawn = 0;
  for (const series of spec.lines) {
    const points = series.points.filter(([, v]) => known(v));
    drawn += points.length;
    if (points.length === 0) continue;
    const coords = points.map(([t, v]) => `${sx(t).toFixed(1)},${sy(v).toFixed(1)}`).join(" ");
    parts.push(svg("polyline", { class: `line ${series.cls}`, points: coords, "data-points": points.length }));
    const [lt, lv] = points[points.length - 1];
    const dot = svg("circle", { class: `last ${series.cls}`, cx: sx(lt), cy: sy(lv), r: 3.5 });
    dot.append(svg("title", {}, `${series.name}: ${spec.yTick(lv)} at ${clock(lt, true)}`));
    parts.push(dot);
  }
  if (drawn === 0) {
    parts.push(svg("text", { class: "empty", x: (M.left + W - M.right) / 2, y: mid }, spec.empty));
  }
  node.setAttribute("viewBox", `0 0 ${W} ${H}`);
  node.replaceChildren(...parts);
}

// -- the dashboard document ------------------------------------------------------------------

const lastKnown = (series, key) => {
  for (let i = series.length - 1; i >= 0; i--) if (series[i][key] !== null) return series[i][key];
  return null;
};
const pointsOf = (series, key, scale = 1) =>
  series.map((p) => [p.time, known(p[key]) ? p[key] * scale : null]);
const alertTitle = (a) =>
  `${a.kind} (${a.severity}, ${a.detector}) at ${clock(a.time, true)}, item ${a.position}: ${a.message}`;

function render(doc) {
  const series = doc.series;
  const x = timeAxis(series[0].time, series[series.length - 1].time);
  renderTiles(doc);
  renderAccuracy(doc, x);
  renderBudget(doc, x);
  renderQueue(doc, x);
  renderLag(doc, x);
  renderAlerts(doc.drifts);
  $("updated").textContent = `updated ${clock(doc.now, true)}`;
}

function renderTiles(doc) {
  const cost = doc.cost;
  const now = doc.series[doc.series.length - 1];
  const spent = `${count(cost.labels)} labels × ${money(cost.cost_per_label, doc.cost_unit)} = ${money(cost.total_cost, doc.cost_unit)}`;
  const change = `${percent(cost.accuracy_start)} → ${percent(cost.accuracy_now)}`;
  if (known(cost.cost_per_point)) {
    $("cost-per-point").textContent = money(cost.cost_per_point, doc.cost_unit);
    $("cost-detail").textContent = `${spent} for +${cost.points_gained.toFixed(1)} points (${change})`;
  } else {
    $("cost-per-point").textContent = "–";
    $("cost-detail").textContent = `No accuracy gained yet (${change}); ${spent}`;
  }
  $("accuracy-now").textContent = percent(cost.accuracy_now);
  const version = lastKnown(doc.series, "model_version");
  $("accuracy-detail").textContent = known(cost.accuracy_now)
    ? `recent accuracy${version === null ? "" : `, model ${version}`}` : "no estimate yet";
  $("labels-spent").textContent = count(cost.labels);
  $("budget-detail").textContent =
    `${percent(now.spent_share, 2)} of ${count(now.seen)} items sent; budget ${percent(doc.budget, 2)}`;
  $("queue-now").textContent = `${count(now.queue_depth)} waiting`;
  $("lag-now").textContent = `${count(now.leased)} leased · oldest unlabelled ${duration(now.lag_seconds)}`;
  $("alerts-total").textContent = count(doc.drifts_total);
  const last = doc.drifts[doc.drifts.length - 1];
  $("last-alert").textContent = last ? `last: ${last.kind} (${last.severity}) at ${clock(last.time, true)}` : "none";
}

function renderAccuracy(doc, x) {
  const values = doc.series.flatMap((p) => [p.accuracy, p.label_free_accuracy]).filter(known);
  const low = values.length ? Math.min(...values) * 100 : 0;
  const y = valueAxis(Math.max(0, Math.floor((low - 5) / 10) * 10), 100, false);
  const drifts = doc.drifts.filter((a) => a.kind === "drift");
  drawPlot($("plot-accuracy"), {
    x, y, yLabel: "accuracy (%)", yTick: (v) => `${Number(v.toFixed(1))}%`,
    lines: [
      { cls: "accuracy", name: "accuracy", points: pointsOf(doc.series, "accuracy", 100) },
      {
        cls: "label-free", name: "label-free estimate",
        points: pointsOf(doc.series, "label_free_accuracy", 100),
      },
    ],
    marks: drifts.map((a) => ({ cls: `drift ${a.severity}`, time: a.time, title: alertTitle(a) })),
    empty: "no accuracy estimate yet",
  });
}

function renderBudget(doc, x) {
  const shares = doc.series.map((p) => p.spent_share).filter(known);
  const top = Math.max(known(doc.budget) ? doc.budget : 0, ...shares) * 100 * 1.15;
  const y = valueAxis(0, top, false);
  drawPlot($("plot-budget"), {
    x, y, yLabel: "labels spent (% of items)", yTick: (v) => `${Number(v.toPrecision(3))}%`,
    lines: [{ cls: "spent", name: "spent share", points: pointsOf(doc.series, "spent_share", 100) }],
    refs: known(doc.budget) ? [{ cls: "budget", value: doc.budget * 100, label: `budget ${percent(doc.budget, 2)}` }] : [],
    empty: "no scorer figures yet",
  });
}

function renderQueue(doc, x) {
  const values = doc.series.flatMap((p) => [p.queue_depth, p.leased]).filter(known);
  drawPlot($("plot-queue"), {
    x, y: valueAxis(0, Math.max(0, ...values), true), yLabel: "tasks", yTick: (v) => count(v),
    lines: [
      { cls: "waiting", name: "waiting", points: pointsOf(doc.series, "queue_depth") },
      { cls: "leased", name: "leased", points: pointsOf(doc.series, "leased") },
    ],
    empty: "no queue figures yet",
  });
}

function renderLag(doc, x) {
  const values = doc.series.map((p) => p.lag_seconds).filter(known);
  const [div, unit] = durationUnit(Math.max(0, ...values));
  const alerts = doc.drifts.filter((a) => a.kind === "label_lag");
  drawPlot($("plot-lag"), {
    x, y: valueAxis(0, Math.max(0, ...values) / div, div === 1), yLabel: `label lag (${unit})`,
    yTick: (v) => `${Number(v.toPrecision(3))}`,
    lines: [{ cls: "lag", name: "label lag", points: pointsOf(doc.series, "lag_seconds", 1 / div) }],
    marks: alerts.map((a) => ({ cls: "lag-alert", time: a.time, title: alertTitle(a) })),
    empty: "no lag figures yet",
  });
}

function cell(text, numeric) {
  const td = document.createElement("td");
  td.textContent = text;
  if (numeric) td.className = "number";
  return td;
}

function renderAlerts(drifts) {
  const rows = drifts.slice(-10).reverse().map((a) => {
    const row = document.createElement("tr");
    row.className = `${a.kind} ${a.severity}`;
    row.append(cell(clock(a.time, true)), cell(a.kind.replace("_", " ")), cell(a.severity),
      cell(a.detector), cell(count(a.position), true), cell(a.message));
    return row;
  });
  $("alerts").tBodies[0].replaceChildren(...rows);
  $("alerts").hidden = rows.length === 0;
  $("alerts-none").hidden = rows.length > 0;
}

// -- annotator quality -----------------------------------------------------------------------

function kappa(value) { return known(value) ? value.toFixed(2) : "–"; }

function renderQuality(doc) {
  $("quality-note").textContent = doc.annotators.length ? "" : "No annotator has labelled yet.";
  $("quality-kappa").textContent = `${kappa(doc.kappa)} over ${count(doc.pairs)} pairs`;
  $("quality-agreement").textContent = percent(doc.agreement);
  $("quality-overlap").textContent = percent(doc.overlap);
  $("quality-conflicts").textContent = count(doc.conflicts_open);
  $("quality-held").textContent = count(doc.held);
  const rows = doc.annotators.map((a) => {
    const row = document.createElement("tr");
    const name = document.createElement("th");
    name.scope = "row";
    name.textContent = a.name;
    const median = known(a.median_seconds) ? `${a.median_seconds.toFixed(1)} s` : "–";
    row.append(name, cell(count(a.labels_last_hour), true), cell(count(a.labels), true),
      cell(median, true), cell(kappa(a.kappa), true), cell(count(a.pairs), true));
    return row;
  });
  $("annotators").tBodies[0].replaceChildren(...rows);
  $("quality-summary").hidden = false;
  $("annotators").hidden = rows.length === 0;
}

function qualityUnavailable(text) {
  $("quality-note").textContent = text;
  $("quality-summary").hidden = true;
  $("annotators").hidden = true;
}

async function loadQuality() {
  try {
    renderQuality(await call("/v1/quality"));
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    qualityUnavailable(err.status === 404
      ? "Annotator throughput and agreement: not available on this server."
      : `Annotator throughput and agreement: ${err.message}`);
  }
}

// -- signing in, refreshing ------------------------------------------------------------------

function showSignIn(message, forget) {
  clearTimeout(state.timer);
  state.token = null;
  if (forget) sessionStorage.removeItem(TOKEN_KEY);
  for (const id of ["board", "signed-in", "refresh", "sign-out"]) $(id).hidden = true;
  $("sign-in").hidden = false;
  say("");
  warn(message || "");
  $("token").value = "";
  $("token").focus();
}

async function signIn(token) {
  state.token = token;
  warn("");
  say("Loading…");
  try {
    const doc = await call("/v1/dashboard");
    const me = await call("/v1/me");
    if (state.token !== token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("who").textContent = me.name;
    $("sign-in").hidden = true;
    for (const id of ["board", "signed-in", "refresh", "sign-out"]) $(id).hidden = false;
    render(doc);
    await loadQuality();
    say("");
    schedule();
  } catch (err) {
    failed(err);
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(refresh, REFRESH_MS);
}

async function refresh() {
  if (state.loading || !state.token) return;
  const token = state.token;
  state.loading = true;
  clearTimeout(state.timer);
  try {
    const doc = await call("/v1/dashboard");
    if (state.token !== token) return;
    render(doc);
    await loadQuality();
    warn("");
  } catch (err) {
    failed(err);
  } finally {
    state.loading = false;
    if (state.token === token) schedule();
  }
}

// A refused token signs out (a non-admin one stays for the labelling page); other errors are
// shown and the next refresh tries again.
function failed(err) {
  if (!(err instanceof ApiError)) throw err;
  say("");
  if (err.status === 401) {
    showSignIn(`Token not accepted: ${err.message}`, true);
  } else if (err.status === 403) {
    showSignIn(`This token cannot open the dashboard: ${err.message}`, false);
  } else if ($("board").hidden) {  // not signed in yet: the form again, with the reason
    showSignIn(err.message, false);
  } else {
    warn(err.message);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    signIn($("token").value.trim());
  });
  $("sign-out").addEventListener("click", () => {
    showSignIn("", true);
    say("Signed out.");
  });
  $("refresh").addEventListener("click", () => refresh());
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token); else showSignIn("", false);
});
