"""The lag set-up of a simulation: annotator capacity, and the fallback on or off.

With the fallback **on**, a lagging simulation runs the way the service
degrades: the queue keeps the freshest valuable items (priority halving
every `half_life` items, tasks dropped after `item_ttl`, the lowest evicted
when full), the budget follows the annotators' throughput, and while labels
come back late (a smoothed lag of 250 items or more) or the annotators are
behind the budget, the learner rehearses recent human labels; the model's
standardiser weighs recent inputs more (half-life 1,000 items), so that it
follows the stream's inputs without labels; with
`self_training` the model also learns its confident pseudo-labels (off by
default, as in the service: on the benchmark streams it is a wash, see the
README). With the fallback **off**, the queue is a plain bounded buffer (no
decay, no TTL, newcomers turned away when full), the budget stays fixed, and
only human labels teach the model, one step each, and the standardiser
weighs the whole stream alike.

>>> from stream_al.budget import Budget
>>> team, st, pacer = LagOptions(capacity=0.02).build(Budget(0.05))
>>> team.capacity, st, round(pacer.target, 2)
(0.02, None, 0.05)
>>> _, st, _ = LagOptions(capacity=0.02, self_training=True).build(Budget(0.05))
>>> st is not None
True
>>> team, st, pacer = LagOptions(capacity=0.02, fallback=False).build(Budget(0.05))
>>> team.queue.on_full, st, pacer
('reject_new', None, None)
>>> LagOptions().rehearsal().min_lag, LagOptions(fallback=False).rehearsal()
(250.0, None)
>>> LagOptions().input_halflife(lagging=True), LagOptions(fallback=False).input_halflife(True)
(1000.0, None)
>>> LagOptions().input_halflife(lagging=False), LagOptions(forget=True).input_halflife(False)
(None, 1000.0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stream_al.budget import Budget
from stream_al.config.lag import LagSettings
from stream_al.lag.capacity import LimitedAnnotators
from stream_al.lag.rehearsal import Rehearsal
from stream_al.lag.selftrain import SelfTraining
from stream_al.lag.throughput import ThroughputPacer

__all__ = ["LagOptions"]


@dataclass(frozen=True, slots=True)
class LagOptions:
    """How labels lag in a simulation, and whether the lag fallback runs.

    The fallback's own knobs (self-training, pacing, rehearsal, the
    forgetting standardiser) come from `settings`, the service's ``[lag]``
    section, with its lags counted in items: a simulation and the service
    run the same fallback from the same defaults.

    Parameters
    ----------
    capacity
        Labels the annotators deliver per item; None: every query is labelled.
    fallback
        Run the lag fallback (see the module docstring).
    queue_size
        Capacity of the annotation queue, in tasks.
    half_life
        Items for a queued task's priority to halve (fallback on).
    item_ttl
        Items after which a queued task is dropped (fallback on); None: never.
    self_training
        With the fallback on, whether the model also self-trains on
        confident pseudo-labels.
    pace
        Whether the budget follows the annotators' throughput; None: with the
        fallback (set apart to measure each part of the fallback alone).
    rehearse
        Whether the learner replays recent human labels while labels lag;
        None: with the fallback.
    forget
        Whether the model's standardiser weighs recent inputs more (see
        `input_halflife`); None: with the fallback, when labels can lag.
    settings
        The ``[lag]`` section the parts are built from (its defaults by default).
    """

    capacity: float | None = None
    fallback: bool = True
    queue_size: int = 500
    half_life: float = 1000.0
    item_ttl: float | None = 5000.0
    self_training: bool = False
    pace: bool | None = None
    rehearse: bool | None = None
    forget: bool | None = None
    settings: LagSettings = field(default_factory=LagSettings)

    def build(
        self, budget: Budget
    ) -> tuple[LimitedAnnotators | None, SelfTraining | None, ThroughputPacer | None]:
        """The annotators, self-training and pacer of a run spending `budget`."""
        team = None
        if self.capacity is not None:
            team = (
                LimitedAnnotators(self.capacity, self.queue_size, self.half_life, self.item_ttl)
                if self.fallback
                else LimitedAnnotators(self.capacity, self.queue_size, None, None, "reject_new")
            )
        pace = self.fallback if self.pace is None else self.pace
        on = {"pace_budget": pace, "self_training_enabled": self.fallback and self.self_training}
        lag = self.settings.model_copy(update=on)
        pacer = lag.pacer(budget) if team is not None else None
        return team, lag.self_training(in_items=True), pacer

    def rehearsal(self, seed: int = 0) -> Rehearsal | None:
        """The learner's rehearsal while labels lag (None when off)."""
        on = self.fallback if self.rehearse is None else self.rehearse
        return self.settings.model_copy(update={"rehearse": on}).rehearsal(seed, in_items=True)

    def input_halflife(self, lagging: bool) -> float | None:
        """The half-life of the model's standardiser (`make_model`'s ``halflife``); None: off.

        `lagging` says whether labels can come late in this run (a label delay,
        or `capacity`); by default the standardiser forgets only then, since
        with every query labelled at once it moved `auto` by -0.7 to +0.5
        points on eight streams and -3.2 on Agrawal (README).
        """
        on = self.fallback and lagging if self.forget is None else self.forget
        return self.settings.forget_half_life if on else None
