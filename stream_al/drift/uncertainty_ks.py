"""Label-free drift detection: has the distribution of the model's uncertainty moved?

Labels come back hours late, but every scored item has an uncertainty. When
the data drift, the model's confidence usually drifts with it, so comparing the
distribution of recent uncertainties with a reference one flags a change long
before the labels confirm it. This is the idea of Lindstrom, Mac Namee and
Delany (2013), "Drift detection using uncertainty distribution divergence"
(Evolving Systems); Sethi and Kantardzic (2017, Expert Systems with
Applications) monitor the share of low-margin items in the same spirit.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from itertools import accumulate

from stream_al.drift.base import DriftDetector
from stream_al.exceptions import DriftError

__all__ = ["UncertaintyKS"]


class UncertaintyKS(DriftDetector):
    """Two-sample Kolmogorov-Smirnov test between reference and recent uncertainties.

    The first `window` values after a start or a reset are the reference. Its
    quantiles cut the line into about `bins` equally likely cells, each edge
    also being a cell of its own (so ties and point masses, e.g. many
    uncertainties of exactly 0, are handled). Each later value costs one
    bisection and two counter updates in a sliding window of the last `window`
    values. Every `test_every` values, the KS distance between the two
    binned distributions is computed in O(`bins`): it is the KS statistic taken
    at the cell edges, so never larger than the exact one (a conservative
    test). Drift is declared when it exceeds both the asymptotic critical value
    ``sqrt(-ln(alpha / 2) / 2) * sqrt((n + m) / (n m))`` and `min_distance`,
    which keeps huge windows from alarming on negligible shifts. The next
    update starts a new reference.

    Parameters
    ----------
    window
        Size of the reference and of the sliding recent window. Larger is
        steadier but slower to react and to re-arm after an alarm.
    bins
        Number of reference quantiles used as cell edges.
    alpha
        Significance of each test. Tests are repeated, so the false-alarm rate
        per item is far above `alpha` per test alone would suggest; measure.
    min_distance
        Smallest KS distance worth an alarm, whatever the sample sizes.
    test_every
        Test once per this many updates (adds at most this much delay).
    min_recent
        Values the recent window needs before the first test after a reset;
        ``window // 4`` by default.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(42)
    >>> uncertainties = np.r_[rng.beta(2, 5, 3000), rng.beta(5, 2, 1000)]
    >>> detector = UncertaintyKS()
    >>> for i, u in enumerate(uncertainties):
    ...     detector.update(float(u))
    ...     if detector.drift_detected:
    ...         print(f"drift at {i}, KS distance {detector.statistic:.2f}")
    drift at 3149, KS distance 0.13
    """

    name = "uncertainty_ks"
    statistic_name = "KS distance"

    def __init__(
        self,
        window: int = 1000,
        bins: int = 32,
        alpha: float = 1e-4,
        min_distance: float = 0.1,
        test_every: int = 50,
        min_recent: int | None = None,
    ) -> None:
        min_recent = window // 4 if min_recent is None else min_recent
        problems = [
            f"window must be at least 10, got {window}" if window < 10 else "",
            f"bins must be at least 2, got {bins}" if bins < 2 else "",
            f"alpha must lie in (0, 1), got {alpha}" if not 0 < alpha < 1 else "",
            f"min_distance must lie in [0, 1), got {min_distance}"
            if not 0 <= min_distance < 1
            else "",
            f"test_every must be at least 1, got {test_every}" if test_every < 1 else "",
            f"min_recent must lie in [1, window], got {min_recent}"
            if not 1 <= min_recent <= window
            else "",
        ]
        if any(problems):
            raise DriftError("UncertaintyKS: " + "; ".join(p for p in problems if p))
        self.window = window
        self.bins = bins
        self.alpha = alpha
        self.min_distance = min_distance
        self.test_every = test_every
        self.min_recent = min_recent
        self._c_alpha = math.sqrt(-0.5 * math.log(alpha / 2))
        self.reset()

    def reset(self) -> None:
        """Drop the reference and the recent window; the next values form a new reference."""
        self._drift = False
        self._reference: list[float] = []
        self._edges: list[float] = []
        self._ref_cdf: list[float] = []
        self._counts: list[int] = []
        self._ring: list[int] = [0] * self.window
        self._head = 0
        self._m = 0
        self._since_test = 0
        self._statistic = math.nan
        self._threshold = math.nan

    @property
    def drift_detected(self) -> bool:
        return self._drift

    @property
    def statistic(self) -> float:
        """The KS distance at the last test (nan before the first)."""
        return self._statistic

    @property
    def threshold(self) -> float:
        """The distance the last test had to exceed (nan before the first)."""
        return self._threshold

    @property
    def ready(self) -> bool:
        """Whether the reference is complete (tests may run)."""
        return bool(self._edges)

    def update(self, x: float) -> None:
        if self._drift:
            self.reset()
        if x != x:
            raise DriftError("UncertaintyKS got a NaN uncertainty; check the model's scores")
        edges = self._edges
        if not edges:
            self._reference.append(x)
            if len(self._reference) == self.window:
                self._freeze_reference()
            return
        # Cells: 2j is the open interval below edges[j], 2j - 1 the point edges[j - 1].
        j = bisect_right(edges, x)
        cell = 2 * j - 1 if j and edges[j - 1] == x else 2 * j
        counts = self._counts
        head = self._head
        if self._m == self.window:
            counts[self._ring[head]] -= 1
        else:
            self._m += 1
        self._ring[head] = cell
        counts[cell] += 1
        self._head = head + 1 if head + 1 < self.window else 0
        self._since_test += 1
        if self._since_test >= self.test_every and self._m >= self.min_recent:
            self._since_test = 0
            self._test()

    def _freeze_reference(self) -> None:
        ref = sorted(self._reference)
        n = len(ref)
        self._edges = sorted({ref[(k * n) // self.bins] for k in range(1, self.bins)})
        cells = [0] * (2 * len(self._edges) + 1)
        for x in ref:
            j = bisect_right(self._edges, x)
            cells[2 * j - 1 if j and self._edges[j - 1] == x else 2 * j] += 1
        self._ref_cdf = [c / n for c in accumulate(cells)]
        self._counts = [0] * len(cells)
        self._reference = []

    def _test(self) -> None:
        m = self._m
        distance = max(
            abs(r - c / m) for r, c in zip(self._ref_cdf, accumulate(self._counts), strict=True)
        )
        n = self.window
        self._threshold = max(self._c_alpha * math.sqrt((n + m) / (n * m)), self.min_distance)
        self._statistic = distance
        self._drift = distance > self._threshold

    def __repr__(self) -> str:
        return (
            f"UncertaintyKS(window={self.window}, bins={self.bins}, alpha={self.alpha}, "
            f"min_distance={self.min_distance}, test_every={self.test_every})"
        )
