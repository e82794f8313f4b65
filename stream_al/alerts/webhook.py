"""`WebhookSink`: alerts POSTed as Slack-compatible JSON by a background thread.

`send` only appends to a bounded queue (full: the oldest alert is dropped and
counted), so the scoring loop never waits on the network. A daemon thread
posts each alert and retries, with capped exponential backoff and jitter, on
connection errors, timeouts, 5xx and 429 (waiting what ``Retry-After`` asks,
within the cap); any other 4xx or 3xx is a refusal and is not retried.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections import deque

import httpx

from stream_al.alerts.delivery import post_once, slack_body
from stream_al.drift.alerts import DriftAlert
from stream_al.exceptions import AlertError
from stream_al.transport.backoff import Backoff

__all__ = ["WebhookSink"]

logger = logging.getLogger(__name__)


class WebhookSink:
    """POST each alert to a webhook from a background thread, with retries.

    Parameters
    ----------
    url
        The webhook URL (http or https); it may hold a token, so logs show its host only.
    timeout_s
        Timeout of one request, in seconds.
    retries
        Tries after the first one before an alert is given up (counted in `failed`).
    backoff_s
        First delay between tries; doubles each retry, up to `max_backoff_s`.
    max_pending
        Alerts waiting to be posted; beyond, the oldest is dropped (counted in `dropped`).
    max_backoff_s
        Longest wait between tries, ``Retry-After`` included.
    transport
        An httpx transport (tests); the default talks to the network.
    rng
        Source of the jitter.

    Examples
    --------
    >>> import httpx
    >>> bodies = []
    >>> def receiver(request):
    ...     bodies.append(json.loads(request.content))
    ...     return httpx.Response(200)
    >>> sink = WebhookSink("https://hooks.example.com/T0/B0/secret",
    ...                    transport=httpx.MockTransport(receiver))
    >>> sink.send(DriftAlert(kind="drift", severity="warning", detector="adwin",
    ...     source="labelled", statistic=0.3, position=7, time=1.0, message="error rate rose"))
    >>> sink.close(timeout=5.0)
    >>> sink.stats()
    {'sent': 1, 'failed': 0, 'dropped': 0, 'retried': 0, 'pending': 0}
    >>> bodies[0]["alert"]["position"]
    7
    """

    name = "webhook"

    def __init__(
        self,
        url: str,
        timeout_s: float = 5.0,
        retries: int = 5,
        backoff_s: float = 0.5,
        max_pending: int = 1000,
        max_backoff_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check(url, timeout_s, retries, backoff_s, max_pending, max_backoff_s)
        self.host = httpx.URL(url).host
        self.timeout_s, self.retries = timeout_s, retries
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.sent = self.failed = self.dropped = self.retried = 0
        self._url = url
        self._rng = rng or random.Random()
        self._client = httpx.Client(timeout=timeout_s, transport=transport)
        self._pending: deque[DriftAlert] = deque(maxlen=max_pending)
        self._ready = threading.Condition()
        self._closing = False
        self._abort = threading.Event()
        self._worker = threading.Thread(target=self._run, name="alerts-webhook", daemon=True)
        self._worker.start()

    def send(self, alert: DriftAlert) -> None:
        """Queue `alert` for posting and return at once."""
        with self._ready:
            if self._closing:
                raise AlertError(
                    f"webhook sink for {self.host} is closed; {alert.kind} alert lost "
                    "(close the alert router only after the last emit)"
                )
            if len(self._pending) == self._pending.maxlen:
                lost = self._pending[0]
                self.dropped += 1
                logger.warning(
                    "webhook queue full, oldest alert dropped host=%s kind=%s position=%d",
                    self.host,
                    lost.kind,
                    lost.position,
                )
            self._pending.append(alert)
            self._ready.notify()

    def close(self, timeout: float | None = None) -> None:
        """Post what is queued within `timeout` seconds (None: `timeout_s`), then stop.

        Alerts still queued after that are dropped; a request in flight ends by
        its own timeout, on the daemon thread.
        """
        with self._ready:
            self._closing = True
            self._ready.notify_all()
        self._worker.join(self.timeout_s if timeout is None else timeout)
        if self._worker.is_alive():
            self._abort.set()
            with self._ready:
                left = len(self._pending)
                self._pending.clear()
                self.dropped += left
            logger.warning("webhook closed before delivering host=%s dropped=%d", self.host, left)

    def stats(self) -> dict[str, int]:
        """The counters, and how many alerts wait to be posted."""
        return {
            "sent": self.sent,
            "failed": self.failed,
            "dropped": self.dropped,
            "retried": self.retried,
            "pending": len(self._pending),
        }

    def _run(self) -> None:
        try:
            while True:
                with self._ready:
                    while not self._pending and not self._closing:
                        self._ready.wait()
                    if not self._pending or self._abort.is_set():
                        return
                    alert = self._pending.popleft()
                try:
                    self._deliver(alert)
                except Exception:
                    self.failed += 1
                    logger.error("webhook delivery crashed host=%s", self.host, exc_info=True)
        finally:
            self._client.close()

    def _deliver(self, alert: DriftAlert) -> None:
        body = json.dumps(slack_body(alert), allow_nan=False).encode()
        backoff = Backoff(self.backoff_s, self.max_backoff_s, rng=self._rng)
        for tries in range(1, self.retries + 2):
            attempt = post_once(self._client, self._url, body)
            if attempt.outcome == "sent":
                self.sent += 1
                return
            if attempt.outcome == "refused" or tries > self.retries:
                break
            wait = backoff.next_delay() if attempt.wait_s is None else attempt.wait_s
            logger.debug(
                "webhook retry host=%s tries=%d reason=%s", self.host, tries, attempt.reason
            )
            self.retried += 1
            if self._abort.wait(min(wait, self.max_backoff_s)):
                break
        self.failed += 1
        logger.warning(
            "webhook gave up host=%s kind=%s position=%d tries=%d reason=%s",
            self.host,
            alert.kind,
            alert.position,
            tries,
            attempt.reason,
        )


def _check(
    url: str, timeout_s: float, retries: int, backoff_s: float, pending: int, max_backoff: float
) -> None:
    """Raise `AlertError` naming the first bad argument (the URL itself is never repeated)."""
    try:
        scheme = httpx.URL(url).scheme
    except httpx.InvalidURL:
        scheme = ""
    problems = {
        "url must start with http:// or https://": scheme not in ("http", "https"),
        f"timeout_s must be > 0, got {timeout_s}": not timeout_s > 0,
        f"retries must be >= 0, got {retries}": retries < 0,
        f"backoff_s must be > 0, got {backoff_s}": not backoff_s > 0,
        f"max_pending must be >= 1, got {pending}": pending < 1,
        f"max_backoff_s must be >= backoff_s, got {max_backoff}": not max_backoff >= backoff_s,
    }
    for problem, bad in problems.items():
        if bad:
            raise AlertError(f"webhook sink: {problem}")
