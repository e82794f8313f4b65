"""The drift-detector contract, as in river: `update(x)`, then read `drift_detected`.

A detector sees one value at a time: a 0/1 error of a labelled item, or the
uncertainty of any scored item. After each update, `drift_detected` says
whether that update completed a change. A detector that fired starts afresh
at its next update, as river's detectors do; `reset` does it at once.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod

__all__ = ["DriftDetector"]


class DriftDetector(ABC):
    """Watches a stream of numbers and says when its distribution changed.

    Subclasses override `update`, `drift_detected` and `reset`; those with a
    warning zone or a test statistic also `warning_detected` and `statistic`.
    """

    #: The name users select the detector by, reported in alerts.
    name: str = ""

    #: What `statistic` measures, in words, for alert messages.
    statistic_name: str = "statistic"

    @abstractmethod
    def update(self, x: float) -> None:
        """Feed one value (for error streams: 1.0 for an error, 0.0 for a hit)."""

    @property
    @abstractmethod
    def drift_detected(self) -> bool:
        """Whether the last update completed a drift."""

    @property
    def warning_detected(self) -> bool:
        """Whether the last update entered a warning zone (False when there is none)."""
        return False

    @property
    def statistic(self) -> float:
        """The current value of the quantity the detector watches (nan when none)."""
        return math.nan

    @abstractmethod
    def reset(self) -> None:
        """Forget everything seen so far, keeping the parameters."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"
