"""Models by name, so the command line and the config can choose one.

Every model starts with `StandardiseOneHot`, which learns from every item of
the stream (not only the labelled ones).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from river import (
    base,
    compose,
    ensemble,
    feature_extraction,
    forest,
    linear_model,
    multiclass,
    naive_bayes,
    optim,
    tree,
)

from stream_al.exceptions import ConfigError
from stream_al.items import Label
from stream_al.model.preprocessing import StandardiseOneHot
from stream_al.model.river_model import TEXT_KEY, RiverCommittee, RiverModel

__all__ = ["MODELS", "make_model"]


def _logreg(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    # TF-IDF vectors have small, sparse components: a larger step learns from
    # a few hundred labels (SMS spam: kappa 0.75 at a 5% budget against 0.05
    # with the numeric default).
    lr = linear_model.LogisticRegression(optimizer=optim.SGD(0.5 if text else 0.05), l2=1e-4)
    if n_classes > 2:
        return multiclass.OneVsRestClassifier(lr)
    return lr


def _softmax(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    return linear_model.SoftmaxRegression(optimizer=optim.SGD(0.05), l2=1e-4)


def _naive_bayes(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    return naive_bayes.GaussianNB()  # type: ignore[no-untyped-call]


def _hoeffding_tree(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    return tree.HoeffdingAdaptiveTreeClassifier(grace_period=50, seed=seed)


def _arf(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    return forest.ARFClassifier(n_models=5, seed=seed)


def _bagging(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    return ensemble.BaggingClassifier(_logreg(n_classes, seed, text), n_models=5, seed=seed)


_BUILDERS: dict[str, Callable[[int, int, bool], base.Classifier]] = {
    "logreg": _logreg,
    "softmax": _softmax,
    "naive_bayes": _naive_bayes,
    "hoeffding_tree": _hoeffding_tree,
    "arf": _arf,
    "bagging": _bagging,
}

#: Model names with a one-line description.
MODELS: dict[str, str] = {
    "logreg": "logistic regression (one-vs-rest beyond two classes); the default",
    "softmax": "multinomial logistic regression",
    "naive_bayes": "Gaussian naive Bayes",
    "hoeffding_tree": "Hoeffding adaptive tree",
    "arf": "adaptive random forest (5 trees; a committee)",
    "bagging": "online bagging of 5 logistic regressions (a committee)",
}


def make_model(
    name: str = "logreg",
    classes: Sequence[Label] | None = None,
    seed: int = 0,
    text: bool = False,
) -> RiverModel:
    """Build the model called `name` for a stream with the given classes.

    Parameters
    ----------
    name
        One of `MODELS`.
    classes
        The stream's classes if known up front (their count picks binary or
        multiclass variants; more may appear later for multiclass models).
    seed
        Seed for randomised models.
    text
        Turn item text into TF-IDF features (words and word pairs).

    Examples
    --------
    >>> make_model("logreg", classes=["a", "b"]).name
    'StandardiseOneHot | LogisticRegression'
    """
    if name not in _BUILDERS:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    n_classes = len(classes) if classes else 3
    prepare: base.Transformer = StandardiseOneHot()
    if text:
        prepare = compose.TransformerUnion(
            StandardiseOneHot(skip=(TEXT_KEY,)),
            feature_extraction.TFIDF(on=TEXT_KEY, ngram_range=(1, 2)),
        )
    classifier = _BUILDERS[name](n_classes, seed, text)
    kind = RiverCommittee if isinstance(classifier, base.Ensemble) else RiverModel
    return kind(prepare | classifier, classes=classes)
