"""How often annotators agree: Cohen's kappa per annotator and overall.

Every two labels of one item by two annotators make a *pair*. Overall, the
kappa is Cohen's over all pairs (the earlier label as the first rater, the
later as the second: a pooled pairwise kappa, since the pairs' annotators
differ). Per annotator, it is Cohen's over that annotator's labels against the
other's label of each item they shared. Kappa is river's
`river.metrics.CohenKappa`: (p_o − p_e) / (1 − p_e) (Cohen, 1960, "A
coefficient of agreement for nominal scales"); it is 0 when every pair gave
one same class (p_e = 1, river's convention), so the raw agreement share is
kept beside it. Memory: two counters per annotator and per class.

>>> agreement = Agreement()
>>> for a, b in [("cat", "cat"), ("dog", "dog"), ("cat", "dog"), ("dog", "dog")]:
...     agreement.add("ana", a, "bob", b)
>>> agreement.overall.kappa, agreement.overall.pairs, agreement.overall.agreement
(0.5, 4, 0.75)
>>> agreement.of("ana").kappa, agreement.of("cy").pairs
(0.5, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field

from river.metrics import CohenKappa

from stream_al.items import Label
from stream_al.review.consensus import label_key

__all__ = ["Agreement", "Kappa"]


@dataclass
class Kappa:
    """Cohen's kappa and the agreement share over a growing set of pairs."""

    metric: CohenKappa = field(default_factory=CohenKappa)
    pairs: int = 0
    agreed: int = 0

    def add(self, first: Label, second: Label) -> None:
        """Count one pair of labels of the same item."""
        a, b = label_key(first), label_key(second)
        self.metric.update(a, b)
        self.pairs += 1
        self.agreed += a == b

    @property
    def kappa(self) -> float | None:
        """Cohen's kappa; None before the first pair."""
        return float(self.metric.get()) if self.pairs else None  # type: ignore[no-untyped-call]

    @property
    def agreement(self) -> float | None:
        """Share of pairs that agree; None before the first pair."""
        return self.agreed / self.pairs if self.pairs else None


class Agreement:
    """Kappa overall and per annotator, fed one pair of labels at a time."""

    def __init__(self) -> None:
        self.overall = Kappa()
        self._by: dict[str, Kappa] = {}

    def add(self, first: str, first_label: Label, second: str, second_label: Label) -> None:
        """Count the labels two annotators gave one item (`first` labelled it earlier)."""
        self.overall.add(first_label, second_label)
        self._by.setdefault(first, Kappa()).add(first_label, second_label)
        self._by.setdefault(second, Kappa()).add(second_label, first_label)

    def of(self, annotator: str) -> Kappa:
        """The kappa of `annotator` against the others (empty if they share no item)."""
        return self._by.get(annotator) or Kappa()

    def annotators(self) -> list[str]:
        """Annotators with at least one pair, by name."""
        return sorted(self._by)
