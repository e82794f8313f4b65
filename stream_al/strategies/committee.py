"""Committee disagreement: how much the members of an ensemble disagree.

The generalised Jensen-Shannon divergence between the members' predicted
distributions (the mutual information between the prediction and the member,
as in query-by-committee with KL-to-the-mean, McCallum and Nigam 1998), divided
by ``log k`` to lie in [0, 1].

>>> import numpy as np
>>> agree = np.array([[[0.9, 0.1]], [[0.9, 0.1]]])
>>> split = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
>>> batch = Scored(items=[None], proba=agree.mean(0), classes=[0, 1], member_proba=agree)
>>> float(CommitteeDisagreement().score(batch)[0])
0.0
>>> batch = Scored(items=[None], proba=split.mean(0), classes=[0, 1], member_proba=split)
>>> round(float(CommitteeDisagreement().score(batch)[0]), 3)
1.0
"""

from __future__ import annotations

import numpy as np

from stream_al.exceptions import StrategyError
from stream_al.strategies.base import Scored, Strategy

__all__ = ["CommitteeDisagreement", "disagreement"]


def _entropy(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, 1e-12, 1.0)
    return np.asarray(-(q * np.log(q)).sum(axis=-1))


def disagreement(member_proba: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence of members ``(m, n, k)`` per item, normalised to [0, 1]."""
    k = member_proba.shape[-1]
    if k < 2:
        return np.zeros(member_proba.shape[1])
    consensus = member_proba.mean(axis=0)
    js = _entropy(consensus) - _entropy(member_proba).mean(axis=0)
    return np.asarray(np.clip(js / np.log(k), 0.0, 1.0), dtype=float)


class CommitteeDisagreement(Strategy):
    """Disagreement among the members of a committee model."""

    name = "committee"
    needs_members = True

    def score(self, batch: Scored) -> np.ndarray:
        if batch.member_proba is None:
            raise StrategyError(
                "the committee strategy needs a committee model (an ensemble such as "
                "--model bagging or arf); this model has no members"
            )
        return disagreement(batch.member_proba)
