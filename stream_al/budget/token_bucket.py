"""A fraction-of-stream label budget as a token bucket.

Every item seen adds `fraction` of a token, up to `burst` tokens; a label costs
one. So over *any* window of L items at most ``burst + fraction·L`` labels are
spent: never more than a few percent over budget once ``fraction·L`` is large
against `burst`, and bursts after a drift are paid from earlier savings.

The recent spending rate is tracked as in Žliobaitė et al. (2014), *Active
learning with drifting streaming data*, IEEE TNNLS 25(1): ``u ← λu + q``,
``rate = u / w`` with ``λ = (w - 1) / w``.

>>> b = Budget(0.1, burst=2)
>>> spent = 0
>>> for _ in range(100):
...     b.tick()
...     if b.can_spend():
...         b.spend()
...         spent += 1
>>> spent  # one starting token + 0.1 per item
10
>>> round(b.spent_fraction, 2)
0.1
"""

from __future__ import annotations

from stream_al.exceptions import ConfigError

__all__ = ["Budget"]


class Budget:
    """Token-bucket budget with a recent-rate estimate.

    Parameters
    ----------
    fraction
        Share of the stream that may be labelled, in (0, 1].
    burst
        Largest number of unspent labels that can be saved up for later;
        defaults to ``max(2, 400·fraction)``.
    window
        Length in items of the recent-rate estimate.
    initial
        Tokens at the start (1: the first item may be labelled at once).
    """

    def __init__(
        self,
        fraction: float,
        burst: float | None = None,
        window: int = 1000,
        initial: float = 1.0,
    ) -> None:
        if not 0.0 < fraction <= 1.0:
            raise ConfigError(f"budget must be a fraction in (0, 1], got {fraction}")
        if window < 2:
            raise ConfigError(f"budget window must be at least 2 items, got {window}")
        self.fraction = float(fraction)
        self.burst = float(burst) if burst is not None else max(2.0, 400.0 * fraction)
        if self.burst < 1.0:
            raise ConfigError(f"budget burst must allow at least one label, got {burst}")
        self.window = window
        self.tokens = min(float(initial), self.burst)
        self.seen = 0
        self.spent = 0
        self._decay = (window - 1) / window
        self._u = 0.0
        self._norm = 0.0

    def tick(self) -> None:
        """One more item has arrived."""
        self.seen += 1
        self.tokens = min(self.burst, self.tokens + self.fraction)
        self._u *= self._decay
        self._norm = self._norm * self._decay + 1.0

    def can_spend(self, n: float = 1.0) -> bool:
        """Whether `n` labels may be spent now."""
        return self.tokens >= n

    def spend(self) -> None:
        """Spend one label (call only when `can_spend()`)."""
        self.tokens -= 1.0
        self.spent += 1
        self._u += 1.0

    @property
    def spent_fraction(self) -> float:
        """Labels spent over items seen, over the whole stream."""
        return self.spent / self.seen if self.seen else 0.0

    @property
    def recent_rate(self) -> float:
        """Share of recent items labelled (exponentially weighted over `window`)."""
        return self._u / self._norm if self._norm else 0.0

    def paced(self, rate: float) -> float:
        """`rate` corrected by how far recent spending is from the budget.

        A rule that admits the top `rate` share of scores spends on target only
        if scores are stationary. When they drift (a model growing more or less
        sure), spending drifts too; scaling the rate by ``fraction / recent_rate``
        (bounded to [1/4, 4]) pulls it back. Before half a window has been seen
        the rate is returned as it is.
        """
        if self._norm < self.window / 2:
            return rate
        factor = self.fraction / max(self.recent_rate, self.fraction / 4)
        return min(1.0, rate * min(factor, 4.0))

    def state(self) -> dict[str, float]:
        """Everything needed to resume spending where it stopped (JSON-ready)."""
        return {
            "tokens": self.tokens,
            "seen": self.seen,
            "spent": self.spent,
            "u": self._u,
            "norm": self._norm,
        }

    def restore(self, state: dict[str, float]) -> None:
        """Resume from `state()` (after a restart)."""
        self.tokens = min(self.burst, float(state["tokens"]))
        self.seen = int(state["seen"])
        self.spent = int(state["spent"])
        self._u = float(state["u"])
        self._norm = float(state["norm"])

    @property
    def savings(self) -> float:
        """Unspent labels available for a burst, in [0, burst]."""
        return self.tokens
