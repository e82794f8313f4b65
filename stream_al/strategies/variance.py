"""Predictive variance: how much the sampled predictions of a model spread.

The variance of each class probability across the members (MC-dropout
samples or ensemble networks), averaged over the classes: the "mean
standard deviation" acquisition compared with BALD by Gal, Islam and
Ghahramani 2017 (after Kampffmeyer et al. 2016), with variances in place of
standard deviations. A probability in [0, 1] has variance at most 1/4, so
the mean is divided by 0.25 to lie in [0, 1]. It is 1 for two classes each
certain in half the samples; with ``k`` classes its ceiling is
``(4/k)(1 - 1/k)`` (0.89 for three).

>>> import numpy as np
>>> agree = np.array([[[0.7, 0.3]], [[0.7, 0.3]]])
>>> split = np.array([[[1.0, 0.0]], [[0.0, 1.0]]])
>>> def batch(members):
...     return Scored(items=[None], proba=members.mean(0), classes=[0, 1], member_proba=members)
>>> float(PredictiveVariance().score(batch(agree))[0])
0.0
>>> float(PredictiveVariance().score(batch(split))[0])
1.0
"""

from __future__ import annotations

import numpy as np

from stream_al.exceptions import StrategyError
from stream_al.strategies.base import Scored, Strategy

__all__ = ["PredictiveVariance", "predictive_variance"]

#: Largest variance of a quantity in [0, 1] (half its samples at 0, half at 1).
_MAX_VARIANCE = 0.25


def predictive_variance(member_proba: np.ndarray) -> np.ndarray:
    """Mean over classes of the across-member variance, ``(m, n, k)`` → ``(n,)`` in [0, 1]."""
    if member_proba.shape[0] < 2 or member_proba.shape[-1] < 2:
        return np.zeros(member_proba.shape[1])
    spread = member_proba.var(axis=0).mean(axis=-1) / _MAX_VARIANCE
    return np.asarray(np.clip(spread, 0.0, 1.0), dtype=float)


class PredictiveVariance(Strategy):
    """Spread of the sampled class probabilities, scaled into [0, 1]."""

    name = "variance"
    needs_members = True

    def score(self, batch: Scored) -> np.ndarray:
        if batch.member_proba is None:
            raise StrategyError(
                "the variance strategy needs samples of the model's predictions: use a model "
                "with members (--model torch_mlp for MC dropout, torch_ensemble, bagging or "
                "arf); this model has none"
            )
        return predictive_variance(batch.member_proba)
