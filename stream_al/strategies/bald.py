"""BALD: how much a label would tell about the model's parameters.

Bayesian active learning by disagreement (Houlsby et al. 2011, "Bayesian
active learning for classification and preference learning") scores an item
by the mutual information between its label and the model's parameters,
``H(mean_m p_m) - mean_m H(p_m)`` over samples ``p_m`` of the posterior
predictive, here the Monte Carlo dropout passes of a torch network (Gal,
Islam and Ghahramani 2017, "Deep Bayesian active learning with image data").
The quantity is high only where the samples disagree (epistemic
uncertainty), not where they agree on an even split (noise in the labels).
Divided by ``log k`` it lies in [0, 1].

It is the same number as committee disagreement (the generalised
Jensen-Shannon divergence of the members), so `disagreement` computes it; the
name says which question it answers for a Bayesian model.

>>> import numpy as np
>>> agree = np.array([[[0.5, 0.5]], [[0.5, 0.5]]])
>>> split = np.array([[[0.99, 0.01]], [[0.01, 0.99]]])
>>> def batch(members):
...     return Scored(items=[None], proba=members.mean(0), classes=[0, 1], member_proba=members)
>>> float(BALD().score(batch(agree))[0])
0.0
>>> round(float(BALD().score(batch(split))[0]), 2)
0.92
"""

from __future__ import annotations

import numpy as np

from stream_al.exceptions import StrategyError
from stream_al.strategies.base import Scored, Strategy
from stream_al.strategies.committee import disagreement

__all__ = ["BALD"]


class BALD(Strategy):
    """Mutual information between the prediction and the model, from its sampled members."""

    name = "bald"
    needs_members = True

    def score(self, batch: Scored) -> np.ndarray:
        if batch.member_proba is None:
            raise StrategyError(
                "the bald strategy needs samples of the model's predictions: use a model with "
                "members (--model torch_mlp for MC dropout, torch_ensemble, bagging or arf); "
                "this model has none"
            )
        return disagreement(batch.member_proba)
