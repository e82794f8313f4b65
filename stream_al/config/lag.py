"""The ``[lag]`` config section: how the service degrades when labels lag.

>>> s = LagSettings(self_training_enabled=True, precision="0.95", min_lag_s="120")
>>> st = s.self_training()
>>> st.precision, st.min_lag
(0.95, 120.0)
>>> LagSettings().self_training() is None  # off unless asked for
True
>>> r = LagSettings().rehearsal()  # on: the learner rehearses once labels come 10 min late
>>> r.min_lag, r.replays, r.weight
(600.0, 8, 0.5)
>>> LagSettings(rehearse=False).rehearsal() is None
True
>>> LagSettings().input_halflife(), LagSettings(forget=False).input_halflife()
(1000.0, None)
"""

from __future__ import annotations

from pydantic import Field

from stream_al.budget import Budget
from stream_al.config._types import Section
from stream_al.lag.rehearsal import Rehearsal
from stream_al.lag.selftrain import SelfTraining
from stream_al.lag.throughput import ThroughputPacer

__all__ = ["LagSettings"]


class LagSettings(Section):
    """Self-training on confident pseudo-labels, a budget paced to the annotators, rehearsal.

    Self-training needs the scorer, the queue and the learner in one process
    (`stream-al run`): the scorer's pseudo-labels teach the learner's model,
    and the learner's labels calibrate the scorer's confidence. Pacing also
    works with a scorer on its own, from the label counts the learner
    announces with its model versions.

    Parameters
    ----------
    self_training_enabled
        Whether the model learns from its own confident predictions while
        labels lag. Off by default: on the label-lag benchmark it gains half a
        point on synthetic drift and loses as much on Electricity (README).
    precision
        Share of pseudo-labels that should be right, judged on recent human labels.
    pseudo_weight
        Learning weight of a pseudo-label (a human label weighs 1).
    max_rate
        Most pseudo-labels per scored item.
    class_slack
        A class may take at most this multiple of its human-label share of the
        recent pseudo-labels.
    min_lag_s
        Self-training runs while the oldest task waiting for a label has
        waited at least this long (seconds).
    drift_pause_items
        Scored items after a critical drift alarm during which nothing is pseudo-labelled.
    window
        Recent human labels behind the calibration and the class shares.
    pace_budget
        Fit the budget's rate to the annotators' measured throughput.
    headroom
        Admission rate as a multiple of that throughput.
    pace_window_items
        Scored items over which the throughput is averaged.
    rehearse
        Whether the learner replays recent human labels while labels come
        back late, or (learner and scorer in one process) while the pacer
        holds the budget below its target (see `stream_al.lag.rehearsal`).
    rehearse_min_lag_s
        Rehearse while the smoothed time from the scorer's decision to the
        label is at least this long (seconds).
    rehearse_replays
        Replayed steps after each human label while rehearsing.
    rehearse_weight
        Weight of a replayed step, as a multiple of the label's own weight.
    rehearse_memory
        Most recent human labels kept for rehearsal (memory is bounded by it).
    forget
        Whether the model's standardiser weighs recent inputs more than old
        ones, so that it follows the stream without labels (linear models:
        `stream_al.model.factory.LINEAR`; a model restored from a checkpoint
        keeps the standardiser it was saved with).
    forget_half_life
        Scored items for an input's weight in the standardiser to halve.
    min_lag_items, rehearse_min_lag_items
        The lags from which self-training and rehearsal run when lag is
        counted in items rather than seconds: `stream-al simulate` (whose
        clock is the stream), which builds its fallback from this section
        too (`stream_al.lag.options.LagOptions`), so the two cannot disagree.
    """

    self_training_enabled: bool = False
    precision: float = Field(0.9, ge=0.5, lt=1.0)
    pseudo_weight: float = Field(0.5, gt=0.0, le=1.0)
    max_rate: float = Field(0.5, gt=0.0, le=1.0)
    class_slack: float = Field(1.5, ge=1.0)
    min_lag_s: float = Field(600.0, ge=0.0)
    drift_pause_items: int = Field(1000, ge=0)
    window: int = Field(1000, ge=10)
    pace_budget: bool = True
    headroom: float = Field(1.5, ge=1.0)
    pace_window_items: int = Field(2000, ge=2)
    rehearse: bool = True
    rehearse_min_lag_s: float = Field(600.0, ge=0.0)
    rehearse_replays: int = Field(8, ge=1)
    rehearse_weight: float = Field(0.5, gt=0.0, le=1.0)
    rehearse_memory: int = Field(500, ge=1)
    forget: bool = True
    forget_half_life: float = Field(1000.0, ge=1.0)
    min_lag_items: float = Field(1000.0, ge=0.0)
    rehearse_min_lag_items: float = Field(250.0, ge=0.0)

    def self_training(self, in_items: bool = False) -> SelfTraining | None:
        """A fresh `SelfTraining` from these settings (None when disabled); its lag in
        seconds, or in items with `in_items`."""
        if not self.self_training_enabled:
            return None
        return SelfTraining(
            precision=self.precision,
            weight=self.pseudo_weight,
            max_rate=self.max_rate,
            class_slack=self.class_slack,
            min_lag=self.min_lag_items if in_items else self.min_lag_s,
            drift_pause=self.drift_pause_items,
            window=self.window,
        )

    def pacer(self, budget: Budget) -> ThroughputPacer | None:
        """A pacer of `budget` from these settings (None when off)."""
        if not self.pace_budget:
            return None
        return ThroughputPacer(budget, headroom=self.headroom, window=self.pace_window_items)

    def rehearsal(self, seed: int = 0, in_items: bool = False) -> Rehearsal | None:
        """A fresh `Rehearsal` from these settings (None when off); its lag in seconds, or
        in items with `in_items`."""
        if not self.rehearse:
            return None
        return Rehearsal(
            replays=self.rehearse_replays,
            weight=self.rehearse_weight,
            memory=self.rehearse_memory,
            min_lag=self.rehearse_min_lag_items if in_items else self.rehearse_min_lag_s,
            seed=seed,
        )

    def input_halflife(self) -> float | None:
        """The half-life of the model's standardiser in items (None: the whole stream alike)."""
        return self.forget_half_life if self.forget else None
