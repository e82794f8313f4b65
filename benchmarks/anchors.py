"""Published stream query strategies as `DecisionRule`s, to benchmark `auto` against.

The anchors run inside our own prequential loop (`stream_al.simulate`) on the
same model as every other rule, so only the query decision differs. Each one
calls the published implementation item by item, the way its documentation
does, and takes its utilities from *our* model's probabilities:

- scikit-activeml 1.0.1 (``skactiveml.stream``): `VariableUncertainty`,
  `RandomVariableUncertainty`, `Split` (Žliobaitė et al. 2014) and
  `StreamProbabilisticAL` (Kottke et al. 2015). Per item:
  ``idx, u = qs.query(candidates=x, clf=clf, return_utilities=True)`` then
  ``qs.update(candidates=x, queried_indices=idx,
  budget_manager_param_dict={"utilities": u})``. `clf` is `ProbaPassthrough`,
  a scikit-activeml classifier whose ``predict_proba`` returns the row our
  model computed for the item. The candidate ``x`` is that probability row
  for the uncertainty strategies (they only look at ``predict_proba``), and
  the item's standardised features for PAL (its kernel needs them).
- river 0.26.1 ``active.EntropySampler``: its ``_ask_for_label`` on the
  prediction dict ``{class index: probability}``.

Budgets
-------
The scikit-activeml strategies keep their *own default budget manager*,
constructed from ``budget=`` (our fraction): that is the published method. Our
token bucket is not consulted; the base class still calls ``Budget.spend()``
for every query, which only counts (tokens may go negative), so
`SimulationResult.labels` is what the published method really spent.

River's sampler has no budget. Our token bucket caps what it may spend, and
its discount factor is calibrated per stream, budget and seed by
`calibrate_entropy_discount`: bisection over whole runs of the stream for the
most selective discount that still spends 95% of the budget (a lower discount
asks more and hands the choice to the bucket, a higher one leaves labels
unspent). Tuning on the evaluation stream itself is an oracle choice that
favours the anchor.

StreamProbabilisticAL
---------------------
PAL needs kernel frequency estimates of the labelled data near the candidate.
For an external classifier scikit-activeml offers ``metric="rbf"`` (default
``{"gamma": "mean"}`` bandwidth): it fits a `ParzenWindowClassifier` on the
labelled data for every query and takes ``k = n · p``, the total kernel
frequency ``n`` at the candidate times the classifier's probabilities ``p``.
`FreqPassthrough.predict_freq` computes the same ``n · p`` over the last
`window` labelled items, vectorised, with the library's own bandwidth rule,
and PAL runs with ``metric=None`` so it asks ``clf.predict_freq`` (refitting a
classifier per item cost 7-30 ms per item). Features are the item's numeric
features, standardised with running mean and variance over *every* item seen
(as our model's own scaler does); categorical features are left out of the
kernel. Labels reach the rule through `LabelTap` exactly when the model learns
them, so label delay applies to PAL as to the model. Before the first label
every frequency is zero.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from river.active import EntropySampler
from skactiveml.base import SkactivemlClassifier
from skactiveml.classifier import ParzenWindowClassifier
from skactiveml.stream import (
    RandomVariableUncertainty,
    Split,
    StreamProbabilisticAL,
    VariableUncertainty,
)

from stream_al.budget import Budget
from stream_al.items import Example, Item, Label
from stream_al.model.base import Model
from stream_al.rules.base import Decision, DecisionRule
from stream_al.simulate import simulate
from stream_al.strategies.base import Scored

__all__ = [
    "ANCHORS",
    "LabelTap",
    "ProbaPassthrough",
    "RiverEntropy",
    "SkRandomVariableUncertainty",
    "SkSplit",
    "SkStreamProbabilisticAL",
    "SkVariableUncertainty",
    "SkactivemlAnchor",
    "calibrate_entropy_discount",
    "make_anchor",
    "tap",
]

#: Anchor names with what each one is.
ANCHORS: dict[str, str] = {
    "skal_vu": "scikit-activeml VariableUncertainty (Zliobaite et al. 2014)",
    "skal_rvu": "scikit-activeml RandomVariableUncertainty (Zliobaite et al. 2014)",
    "skal_split": "scikit-activeml Split (Zliobaite et al. 2014)",
    "skal_pal": "scikit-activeml StreamProbabilisticAL (Kottke et al. 2015)",
    "river_entropy": "river EntropySampler, calibrated discount, token-bucket cap",
}


class LabelTap:
    """A model that also tells `listener` about every label it learns.

    ``listener(item, label, column)`` is called after the model learned the
    label; ``column`` is the label's column in the model's probabilities.
    """

    def __init__(self, model: Model, listener: Callable[[Item, Label, int], None]) -> None:
        self.model = model
        self.listener = listener
        self.preferred_chunk = int(getattr(model, "preferred_chunk", 8))
        self.name = str(getattr(model, "name", type(model).__name__))

    @property
    def classes(self) -> list[Label]:
        return self.model.classes

    @property
    def n_learned(self) -> int:
        return self.model.n_learned

    def predict_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        return self.model.predict_proba_many(items)

    def observe(self, item: Item) -> None:
        self.model.observe(item)

    def observe_many(self, items: Sequence[Item]) -> None:
        self.model.observe_many(items)

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        self.model.learn_one(item, label, weight)
        self.listener(item, label, self.model.classes.index(label))


def tap(rule: DecisionRule, model: Model) -> Model:
    """The model to simulate `rule` with: tapped when the rule learns from labels."""
    on_label = getattr(rule, "on_label", None)
    return LabelTap(model, on_label) if on_label is not None else model


class ProbaPassthrough(SkactivemlClassifier):
    """A scikit-activeml classifier answering with probabilities computed elsewhere.

    Set `proba_` (one row) before each query; ``predict_proba`` returns it for
    the single candidate. Its classes are the column indices ``0..k-1``.
    """

    def __init__(self, classes: Any = None, missing_label: Any = -1) -> None:
        super().__init__(classes=classes, missing_label=missing_label)
        self.proba_ = np.ones(1)

    def set_proba(self, proba: np.ndarray) -> None:
        self.proba_ = np.asarray(proba, dtype=float)
        self.classes = list(range(len(self.proba_)))
        self.classes_ = np.arange(len(self.proba_))

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> ProbaPassthrough:  # noqa: N803
        return self

    def predict_proba(self, X: Any) -> np.ndarray:  # noqa: N803
        return np.tile(self.proba_, (len(X), 1))


class FreqPassthrough(ProbaPassthrough):
    """`ProbaPassthrough` that also gives PAL its kernel frequency estimates.

    ``predict_freq(x) = n(x) · p(x)``: ``n(x) = Σ_j exp(-γ ||x - x_j||²)`` over the
    labelled window, with γ chosen by scikit-activeml's own "mean" bandwidth
    rule (`ParzenWindowClassifier._calculate_mean_gamma`), and ``p`` our
    model's probabilities. This is exactly what PAL computes with
    ``metric="rbf"`` (a `ParzenWindowClassifier` fitted on the window, summed
    over classes, times ``predict_proba``), vectorised instead of refitting a
    classifier for every item (which took 7-30 ms per item).
    """

    def __init__(self, classes: Any = None, missing_label: Any = -1) -> None:
        super().__init__(classes=classes, missing_label=missing_label)
        self.window_ = np.zeros((0, 0))
        self.gamma_ = 1.0

    def set_window(self, window: np.ndarray, labels: np.ndarray) -> None:
        """The standardised features of the labelled items the kernel sums over."""
        self.window_ = window
        if len(window):
            # as ParzenWindowClassifier.fit does: it counts the samples whose
            # label is not 1 (`is_labeled(y, missing_label=1)`), whatever that
            # was meant to be; copied so the bandwidth is the library's
            n = max(2, int(np.sum(labels != 1)))
            self.gamma_ = float(
                ParzenWindowClassifier._calculate_mean_gamma(
                    n, np.var(window, axis=0), window.shape[1]
                )
            )

    def predict_freq(self, X: Any) -> np.ndarray:  # noqa: N803
        x = np.asarray(X, dtype=float)
        if not len(self.window_):
            return np.zeros((len(x), len(self.proba_)))
        d2 = ((x[:, None, :] - self.window_[None, :, :]) ** 2).sum(axis=2)
        n = np.exp(-self.gamma_ * d2).sum(axis=1, keepdims=True)
        return n * self.predict_proba(x)


class SkactivemlAnchor(DecisionRule):
    """A `skactiveml.stream` query strategy, driven one item at a time.

    Subclasses build the strategy in `_build`; PAL also overrides the
    candidate features and the training data passed to ``query``.
    """

    def __init__(self, budget: Budget, seed: int = 0) -> None:
        super().__init__(budget, seed=seed)
        self.clf = ProbaPassthrough()
        self.qs = self._build(budget.fraction, seed)
        self._items: Sequence[Item] = ()
        self._k = 0

    def _build(self, fraction: float, seed: int) -> Any:
        raise NotImplementedError

    def decide(self, batch: Scored) -> Iterator[Decision]:
        self._items, self._k = batch.items, 0
        return super().decide(batch)

    def _candidates(self, item: Item, proba: np.ndarray) -> np.ndarray:
        return proba[None, :]

    def _query_data(self) -> dict[str, Any]:
        return {}

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        item = self._items[self._k]
        self._k += 1
        self.clf.set_proba(proba)
        candidates = self._candidates(item, proba)
        with warnings.catch_warnings():
            # PAL's Parzen window warns while its labelled window is tiny: no
            # spread yet (the "mean" bandwidth), or many classes for few labels.
            warnings.filterwarnings("ignore", message="The variance of the provided data is 0")
            warnings.filterwarnings("ignore", message="The number of unique classes is greater")
            queried, utilities = self.qs.query(
                candidates=candidates, clf=self.clf, return_utilities=True, **self._query_data()
            )
        self.qs.update(
            candidates=candidates,
            queried_indices=queried,
            budget_manager_param_dict={"utilities": utilities},
        )
        utility = float(utilities[0])
        if len(queried):
            return Decision(True, utility, float("nan"), "published")
        return Decision(False, utility, float("nan"), "not_queried")


class SkVariableUncertainty(SkactivemlAnchor):
    """scikit-activeml `VariableUncertainty` with its default budget manager."""

    name = "skal_vu"

    def _build(self, fraction: float, seed: int) -> Any:
        return VariableUncertainty(budget=fraction, random_state=seed)


class SkRandomVariableUncertainty(SkactivemlAnchor):
    """scikit-activeml `RandomVariableUncertainty` with its default budget manager."""

    name = "skal_rvu"

    def _build(self, fraction: float, seed: int) -> Any:
        return RandomVariableUncertainty(budget=fraction, random_state=seed)


class SkSplit(SkactivemlAnchor):
    """scikit-activeml `Split` with its default budget manager."""

    name = "skal_split"

    def _build(self, fraction: float, seed: int) -> Any:
        return Split(budget=fraction, random_state=seed)


class SkStreamProbabilisticAL(SkactivemlAnchor):
    """scikit-activeml `StreamProbabilisticAL` with its default budget manager (BIQF).

    Parameters
    ----------
    window
        Labelled items the Parzen window is fitted on (the most recent ones).
    """

    name = "skal_pal"

    def __init__(self, budget: Budget, seed: int = 0, window: int = 500) -> None:
        super().__init__(budget, seed)
        self.clf = FreqPassthrough()
        self._names: list[str] | None = None
        self._scaler = _RunningScaler()
        self._labelled: deque[tuple[np.ndarray, int]] = deque(maxlen=window)

    def _build(self, fraction: float, seed: int) -> Any:
        # metric=None: PAL asks `clf.predict_freq` (FreqPassthrough: the same rbf
        # kernel frequencies its metric="rbf" path computes, without a refit per item)
        return StreamProbabilisticAL(metric=None, budget=fraction, random_state=seed)

    def _raw(self, item: Item) -> np.ndarray:
        if self._names is None:
            self._names = [k for k, v in item.features.items() if not isinstance(v, str)]
        values = item.features
        return np.array([_number(values.get(k)) for k in self._names], dtype=float)

    def _candidates(self, item: Item, proba: np.ndarray) -> np.ndarray:
        raw = self._raw(item)
        standardised = self._scaler.transform(raw[None, :])
        self._scaler.learn(raw)
        return standardised

    def _query_data(self) -> dict[str, Any]:
        width = len(self._names or ())
        if self._labelled:
            window = self._scaler.transform(np.stack([x for x, _ in self._labelled]))
        else:
            window = np.zeros((0, width))  # no labels yet: every frequency is zero
        assert isinstance(self.clf, FreqPassthrough)
        self.clf.set_window(window, np.array([c for _, c in self._labelled], dtype=int))
        # PAL validates X and y even when the classifier gives the frequencies
        return {"X": np.zeros((1, width)), "y": np.array([-1])}

    def on_label(self, item: Item, label: Label, column: int) -> None:
        """Remember a label the model has just learned (via `LabelTap`)."""
        self._labelled.append((self._raw(item), column))


class RiverEntropy(DecisionRule):
    """river's `EntropySampler` decision, capped by our token bucket.

    ``p = H_norm(proba) ** discount_factor``; ask with probability ``p``
    (river's own generator, seeded). An ask is paid only when the budget has a
    label; `asked` counts every ask, paid or not.

    Until the model has learned labels of two different classes the prediction
    counts as uniform. Otherwise river stalls for good: a model that has seen
    one class predicts it with probability 1 (one-vs-rest has no other
    classifier yet; streams without declared classes have one column), river's
    entropy is then 0, it never asks again and the model never meets a second
    class. The classes learned arrive through `on_label` (simulate with `tap`).
    """

    name = "river_entropy"

    def __init__(self, budget: Budget, seed: int = 0, discount_factor: float = 3.0) -> None:
        super().__init__(budget, seed=seed)
        self.sampler = EntropySampler(classifier=None, discount_factor=discount_factor, seed=seed)
        self.asked = 0
        self.seen = 0
        self._learned: set[int] = set()

    def on_label(self, item: Item, label: Label, column: int) -> None:
        """Note the class of a label the model has just learned (via `LabelTap`)."""
        self._learned.add(column)

    def _decide_one(self, score: float, proba: np.ndarray) -> Decision:
        self.seen += 1
        if len(self._learned) < 2:
            prediction = {0: 0.5, 1: 0.5}
        else:
            prediction = {j: float(p) for j, p in enumerate(proba)}
        if not self.sampler._ask_for_label(None, prediction):
            return Decision(False, score, float("nan"), "not_drawn")
        self.asked += 1
        if not self.budget.can_spend():
            return self._no_budget(score, float("nan"))
        return Decision(True, score, float("nan"), "entropy")


def calibrate_entropy_discount(
    examples: Iterable[Example],
    make_model: Callable[[], Model],
    budget: float,
    seed: int = 0,
    target: float = 0.95,
    steps: int = 10,
) -> float:
    """The largest discount factor at which `RiverEntropy` spends `target` of its budget.

    Bisection on ``log(discount)`` over ``[2**-2, 2**16]``: each step runs the
    rule (with its token-bucket cap) over `examples` with a fresh model and
    measures the labels it spent. A smaller discount asks more, so spending
    rises towards the cap; the bisection keeps the most selective discount
    that still uses ``target · budget`` labels per item. Calibrating on the
    evaluation stream itself is an oracle choice, in the anchor's favour.
    """
    lo, hi = math.log(2.0**-2), math.log(2.0**16)
    goal = target * budget

    def spend_rate(log_discount: float) -> float:
        rule = RiverEntropy(Budget(budget), seed=seed, discount_factor=math.exp(log_discount))
        simulate(examples, tap(rule, make_model()), rule)
        return rule.budget.spent / max(rule.seen, 1)

    if spend_rate(hi) >= goal:
        return math.exp(hi)
    if spend_rate(lo) < goal:
        return math.exp(lo)
    for _ in range(steps):
        mid = (lo + hi) / 2
        if spend_rate(mid) >= goal:
            lo = mid
        else:
            hi = mid
    return math.exp(lo)


_BUILDERS: dict[str, Callable[[Budget, int], DecisionRule]] = {
    "skal_vu": SkVariableUncertainty,
    "skal_rvu": SkRandomVariableUncertainty,
    "skal_split": SkSplit,
    "skal_pal": SkStreamProbabilisticAL,
}


def make_anchor(
    name: str, budget: float, seed: int = 0, discount_factor: float | None = None
) -> DecisionRule:
    """Build the anchor called `name` (one of `ANCHORS`) for a budget fraction.

    ``river_entropy`` takes the calibrated `discount_factor` (river's default,
    3, when None). Simulate with ``tap(rule, model)`` as the model.
    """
    if name == "river_entropy":
        return RiverEntropy(
            Budget(budget), seed, 3.0 if discount_factor is None else discount_factor
        )
    if name not in _BUILDERS:
        raise ValueError(f"unknown anchor {name!r}; choose one of: {', '.join(ANCHORS)}")
    return _BUILDERS[name](Budget(budget), seed)


class _RunningScaler:
    """Running mean and variance per column (Welford), for standardising features."""

    def __init__(self) -> None:
        self.n = 0
        self.mean: np.ndarray | None = None
        self.m2: np.ndarray | None = None

    def learn(self, x: np.ndarray) -> None:
        x = np.nan_to_num(x, nan=0.0) if self.mean is None else np.where(np.isnan(x), self.mean, x)
        if self.mean is None or self.m2 is None:
            self.mean, self.m2 = np.zeros_like(x), np.zeros_like(x)
        self.n += 1
        delta = x - self.mean
        self.mean = self.mean + delta / self.n
        self.m2 = self.m2 + delta * (x - self.mean)

    def transform(self, x: np.ndarray) -> np.ndarray:
        if self.mean is None or self.m2 is None or self.n < 2:
            return np.nan_to_num(x, nan=0.0)
        std = np.sqrt(self.m2 / self.n)
        z = (x - self.mean) / np.where(std > 1e-12, std, 1.0)
        return np.clip(np.nan_to_num(z, nan=0.0), -5.0, 5.0)


def _number(value: Any) -> float:
    return float(value) if value is not None else math.nan
