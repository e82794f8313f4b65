// What both pages share: the session's token, element lookup, status lines, and one call of
// the /v1 JSON API. Loaded before app.js (annotators) and dashboard.js (operators).
"use strict";

const TOKEN_KEY = "stream-al.token";  // one sign-in serves both pages
const $ = (id) => document.getElementById(id);

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// One API call with `token`: the parsed JSON answer, or an ApiError with the server's message.
async function callApi(token, method, path, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    const json = body === undefined ? undefined : JSON.stringify(body);
    response = await fetch(path, { method, headers, body: json });
  } catch (err) {
    throw new ApiError(0, "network", "The server cannot be reached; check the connection.");
  }
  const doc = await response.json().catch(() => null);
  if (!response.ok) {
    const message = doc && doc.message ? doc.message : `The server answered ${response.status}.`;
    throw new ApiError(response.status, doc && doc.error, message);
  }
  return doc;
}

function say(text) {
  if ($("status").textContent !== text) $("status").textContent = text;  // no re-announcing
}
function warn(text) { $("error").textContent = text; }
