"""The ``[scheduler]`` config section: job intervals, retention, stopping criteria.

>>> s = SchedulerSettings(max_labels="none", plateau_window="4")
>>> s.max_labels is None, s.criteria().window
(True, 4)
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from stream_al.config._types import Section, none_word
from stream_al.rules.stopping import StoppingCriteria

__all__ = ["SchedulerSettings"]

_NoneWord = BeforeValidator(none_word)
_Seconds = Annotated[float, Field(gt=0.0)]


class SchedulerSettings(Section):
    """Scheduled jobs (see `stream_al.scheduler`).

    Parameters
    ----------
    enabled
        Whether the jobs run at all.
    expire_every_s
        Seconds between lease-expiry and item-TTL sweeps of the queue.
    prune_every_s
        Seconds between sweeps of old decisions and processed ids.
    checkpoint_every_s
        Seconds between model checkpoints (skipped when nothing was learned).
    snapshot_every_s
        Seconds between metric snapshots.
    stopping_every_s
        Seconds between evaluations of the stopping criteria.
    decisions_keep_s
        Age in seconds past which logged decisions are forgotten; ``"none"`` keeps them.
    snapshots_keep
        Metric snapshots kept (the newest).
    max_labels
        Labels that may be spent in all before querying stops; ``"none"``: no cap.
    plateau_window
        Snapshots of the unbiased accuracy compared for a plateau; ``"none"``
        never pauses on a plateau.
    plateau_min_gain
        Least accuracy gain over the window that keeps uncertainty queries on.
    plateau_min_labels
        Labels the accuracy estimate must rest on before a plateau is judged.
    """

    enabled: bool = True
    expire_every_s: _Seconds = 5.0
    prune_every_s: _Seconds = 3600.0
    checkpoint_every_s: _Seconds = 300.0
    snapshot_every_s: _Seconds = 60.0
    stopping_every_s: _Seconds = 60.0
    decisions_keep_s: Annotated[_Seconds | None, _NoneWord] = 7 * 24 * 3600.0
    snapshots_keep: int = Field(1440, ge=1)
    max_labels: Annotated[Annotated[int, Field(ge=0)] | None, _NoneWord] = None
    plateau_window: Annotated[Annotated[int, Field(ge=2)] | None, _NoneWord] = 5
    plateau_min_gain: float = Field(0.005, ge=0.0)
    plateau_min_labels: int = Field(200, ge=0)

    def criteria(self) -> StoppingCriteria:
        """Fresh stopping criteria from these settings."""
        return StoppingCriteria(
            max_labels=self.max_labels,
            window=self.plateau_window,
            min_gain=self.plateau_min_gain,
            min_labels=self.plateau_min_labels,
        )
