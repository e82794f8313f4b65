// The annotators' page: sign in with a token, label one leased task at a time.
// It speaks only the /v1 JSON API; item data is always set with textContent.
"use strict";

const POLL_MS = 3000;
const state = {
  token: null, task: null, shownAt: 0, busy: false, poll: null, classesKnown: false,
};

// One API call as the signed-in annotator (`callApi` of api.js).
const call = (method, path, body) => callApi(state.token, method, path, body);

function setCount(id, value) {
  if (typeof value === "number") $(id).textContent = String(value);
}

function formatValue(value) {
  if (typeof value !== "number") return String(value);
  if (Number.isInteger(value)) return String(value);
  const size = Math.abs(value);
  if (size >= 1e6 || size < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(5)));
}

// -- signing in and out ------------------------------------------------------------------

function showSignIn(message) {
  clearTimeout(state.poll);
  state.token = null;
  state.task = null;
  sessionStorage.removeItem(TOKEN_KEY);
  state.classesKnown = false;
  for (const id of ["task", "no-classes", "counts", "sign-out"]) $(id).hidden = true;
  $("sign-in").hidden = false;
  say("");
  warn(message || "");
  $("token").value = "";
  $("token").focus();
}

async function signIn(token) {
  state.token = token;
  try {
    const me = await call("GET", "/v1/me");
    sessionStorage.setItem(TOKEN_KEY, token);
    $("who").textContent = me.name;
    setCount("my-labels", me.labels);
    $("sign-in").hidden = true;
    for (const id of ["counts", "sign-out"]) $(id).hidden = false;
    await next();
  } catch (err) {
    failed(err);
  }
}

async function signOut() {
  const task = state.task;
  state.task = null;
  if (task) {  // give the task back for others rather than let the lease run out
    await call("POST", taskPath(task, "release")).catch(() => null);
  }
  showSignIn("");
  say("Signed out.");
}

// -- tasks ---------------------------------------------------------------------------------

function taskPath(task, action) {
  return `/v1/tasks/${encodeURIComponent(task.item_id)}/${action}`;
}

// Ask again in a few seconds.
function later() {
  state.poll = setTimeout(() => next().catch(failed), POLL_MS);
}

// Whether any class is known (asked until one is): with none, nothing can be labelled.
async function classesKnown() {
  if (!state.classesKnown) {
    const answer = await call("GET", "/v1/classes");
    state.classesKnown = answer.classes.length > 0;
  }
  return state.classesKnown;
}

// Until the classes are known, say who can fix it and offer nothing to label.
function showNoClasses() {
  $("task").hidden = true;
  $("no-classes").hidden = false;
  say("Waiting for an admin to declare the classes, checking again…");
  later();
}

// Lease the next task; when there is none, say so and ask again in a few seconds.
async function next() {
  clearTimeout(state.poll);
  state.task = null;
  const token = state.token;
  const known = await classesKnown();
  if (state.token !== token) return;  // signed out meanwhile
  if (!known) {
    showNoClasses();
    return;
  }
  $("no-classes").hidden = true;
  const answer = await call("POST", "/v1/tasks/lease?n=1");
  if (state.token !== token) return;  // signed out meanwhile: that lease will run out
  setCount("queue-depth", answer.queue_depth);
  if (answer.tasks.length === 0) {
    $("task").hidden = true;
    say(answer.queue_depth > 0
      ? "No task for you right now (you skipped the ones waiting), checking again…"
      : "Queue empty, checking again…");
    later();
    return;
  }
  const task = answer.tasks[0];
  if (task.classes.length === 0) {  // the classes are unknown again (another store?)
    await call("POST", taskPath(task, "release")).catch(() => null);
    state.classesKnown = false;
    showNoClasses();
    return;
  }
  show(task);
}

function show(task) {
  const item = task.item;
  state.task = task;
  $("task-id").textContent = item.id;
  showPrediction(task);
  $("task-text").textContent = item.text || "";  // markup in the text stays text
  $("task-text").hidden = !item.text;
  $("task-text").scrollTop = 0;  // a new text starts at its top
  const rows = Object.entries(item.features || {}).map(([name, value]) => {
    const row = document.createElement("tr");
    const head = document.createElement("th");
    const cell = document.createElement("td");
    head.scope = "row";
    head.textContent = name;
    cell.textContent = formatValue(value);
    cell.title = String(value);
    if (typeof value === "number") cell.className = "number";
    row.append(head, cell);
    return row;
  });
  $("features").tBodies[0].replaceChildren(...rows);
  $("features").hidden = rows.length === 0;
  $("features").classList.toggle("compact", Boolean(item.text));  // beneath a text: small
  showClasses(task.classes);
  $("task").hidden = false;
  say(`Item ${item.id}: choose a label.`);
  $("task-title").focus();
  state.shownAt = performance.now();
}

function showPrediction(task) {
  const known = task.prediction !== null && task.prediction !== undefined;
  $("predicted").textContent = known ? String(task.prediction) : "nothing yet";
  $("confidence").textContent = typeof task.confidence === "number"
    ? `${Math.round(task.confidence * 100)}%` : "unknown";
  $("model-version").textContent = task.model_version ? ` (model ${task.model_version})` : "";
}

function showClasses(classes) {
  const buttons = classes.map((label, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "label";
    if (i < 9) {
      const key = document.createElement("kbd");
      key.textContent = String(i + 1);
      button.append(key, " ");
      button.setAttribute("aria-keyshortcuts", String(i + 1));
    }
    button.append(String(label));
    button.addEventListener("click", () => act(() => submit(label)));
    return button;
  });
  $("classes").replaceChildren(...buttons);
}

// Run one annotator action at a time; an error is shown and, when the task is gone, skipped past.
async function act(action) {
  if (state.busy || !state.task) return;
  state.busy = true;
  $("task").setAttribute("aria-busy", "true");
  warn("");
  try {
    await action();
  } catch (err) {
    await failed(err);
  } finally {
    state.busy = false;
    $("task").removeAttribute("aria-busy");
  }
}

async function submit(label) {
  const task = state.task;
  const seconds = Math.round(performance.now() - state.shownAt) / 1000;
  const entry = { item_id: task.item_id, label, seconds_spent: seconds, lease_id: task.lease_id };
  const answer = await call("POST", "/v1/labels", { labels: [entry] });
  setCount("my-labels", answer.labels);
  await next();
  say(`Labelled ${task.item_id} as ${String(label)}. ${$("status").textContent}`);
}

async function skip() {
  const task = state.task;
  await call("POST", taskPath(task, "skip"));
  await next();
  say(`Skipped ${task.item_id}. ${$("status").textContent}`);
}

// Show what went wrong; a refused token signs out, a task that is gone is replaced.
async function failed(err) {
  if (!(err instanceof ApiError)) throw err;
  if (err.status === 401) {
    showSignIn(`Token not accepted: ${err.message}`);
  } else if (err.code === "lease_limit") {  // holding too many tasks: ask again later, not now
    $("task").hidden = true;
    warn(err.message);
    clearTimeout(state.poll);
    state.poll = setTimeout(() => next().catch(failed), POLL_MS);
  } else if (err.status === 404 || err.status === 409) {
    warn(err.message);
    return next().catch(failed);
  } else {
    warn(err.message);
  }
}

// -- wiring ----------------------------------------------------------------------------------

function onKey(event) {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat || !state.task) return;
  if (event.target.closest && event.target.closest("input, textarea, select")) return;
  const buttons = $("classes").querySelectorAll("button");
  if (event.key >= "1" && event.key <= "9" && Number(event.key) <= Math.min(buttons.length, 9)) {
    event.preventDefault();
    buttons[Number(event.key) - 1].click();
  } else if (event.key === "s" || event.key === "S") {
    event.preventDefault();
    act(skip);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    warn("");
    signIn($("token").value.trim());
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("skip").addEventListener("click", () => act(skip));
  document.addEventListener("keydown", onKey);
  window.addEventListener("pagehide", () => {  // leaving the page gives the task back
    if (!state.task) return;
    const headers = { Authorization: `Bearer ${state.token}` };
    fetch(taskPath(state.task, "release"), { method: "POST", headers, keepalive: true });
  });
  window.addEventListener("pageshow", (event) => {  // back from the cache: that task was given back
    if (event.persisted && state.token) next().catch(failed);
  });
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) signIn(token); else showSignIn("");
});
