"""One webhook delivery: the Slack-compatible body, one POST, and what its answer means.

Slack's incoming webhooks read ``text`` and ignore the other keys; other
receivers (Mattermost, a custom service) can read the whole alert under
``alert``. An answer is ``sent`` (2xx), ``retry`` (no answer, a timeout, 5xx or
429, with the wait ``Retry-After`` asks) or ``refused`` (3xx, other 4xx).

>>> from stream_al.drift.alerts import DriftAlert
>>> alert = DriftAlert(kind="drift", severity="critical", detector="adwin", source="labelled",
...                    statistic=0.42, position=1040, time=12.5, message="error rate rose")
>>> print(slack_body(alert)["text"])
[CRITICAL] drift: error rate rose (detector adwin, source labelled, position 1040)
>>> retry_after_s("3"), retry_after_s("soon"), retry_after_s(None)
(3.0, None, None)
>>> retry_after_s("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0)
10.0
>>> client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(503)))
>>> post_once(client, "https://hooks.example.com/x", b"{}")
Attempt(outcome='retry', reason='status=503', wait_s=None)
"""

from __future__ import annotations

import email.utils
import math
import time
from typing import Any, Literal, NamedTuple

import httpx

from stream_al.drift.alerts import DriftAlert

__all__ = ["Attempt", "post_once", "retry_after_s", "slack_body"]

_HEADERS = {"Content-Type": "application/json"}


class Attempt(NamedTuple):
    """What one POST came to, why, and how long the receiver asked to wait (None: unsaid)."""

    outcome: Literal["sent", "retry", "refused"]
    reason: str
    wait_s: float | None = None


def slack_body(alert: DriftAlert) -> dict[str, Any]:
    """The JSON body posted for `alert`: a one-line ``text`` and the record under ``alert``."""
    text = (
        f"[{alert.severity.upper()}] {alert.kind}: {alert.message} "
        f"(detector {alert.detector}, source {alert.source}, position {alert.position})"
    )
    return {"text": text, "alert": alert.to_dict()}


def post_once(client: httpx.Client, url: str, body: bytes) -> Attempt:
    """POST `body` (JSON) to `url` once; never raises for network or HTTP errors."""
    try:
        response = client.post(url, content=body, headers=_HEADERS)
    except httpx.TimeoutException as error:
        return Attempt("retry", f"timeout ({type(error).__name__})")
    except httpx.TransportError as error:
        said = str(error).replace(url, httpx.URL(url).host)  # the URL may hold a token
        return Attempt("retry", f"{type(error).__name__}: {said}")
    status = response.status_code
    if 200 <= status < 300:
        return Attempt("sent", f"status={status}")
    if status == 429 or status >= 500:
        return Attempt(
            "retry", f"status={status}", retry_after_s(response.headers.get("Retry-After"))
        )
    return Attempt("refused", f"status={status} (not retried)")


def retry_after_s(value: str | None, now: float | None = None) -> float | None:
    """Seconds asked by a ``Retry-After`` header (delay or HTTP date); None if absent or bad.

    Parameters
    ----------
    value
        The header value.
    now
        The current epoch time, for an HTTP date (the system clock by default).
    """
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            return None
        seconds = moment.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None
