"""A torch classifier trained online behind the `CommitteeModel` protocol.

Items become vectors through `HashedVectorizer` (standardised, one-hot and
hashed features, plus a text embedding when an embedder is given). Labels
gather in a mini-batch; every `batch_size` labels the network takes a few Adam
steps on them together with a sample of a FIFO replay buffer, each example's
loss multiplied by its weight (pseudo-labels weigh less than 1).

Epistemic uncertainty comes from the members `predict_member_proba_many`
returns: Monte Carlo dropout samples of one network (Gal and Ghahramani 2016,
"Dropout as a Bayesian approximation") or, with ``members > 1``, a deep
ensemble whose networks each see the labels with online-bagging weights
(Oza and Russell 2001; Lakshminarayanan et al. 2017). `predict_proba_many` is
the deterministic network (dropout off), averaged over an ensemble.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.nn import functional

from stream_al.exceptions import ModelError
from stream_al.features.base import TextEmbedder
from stream_al.items import Item, Label
from stream_al.model.replay import ReplayBuffer
from stream_al.model.torch_checkpoint import (
    TorchCheckpointMeta,
    check_embedder,
    checkpoint_error,
    dump_state,
    embedder_name,
    parse_state,
)
from stream_al.model.torch_config import TorchConfig
from stream_al.model.torch_net import MemberMLP, grow_adam_state
from stream_al.model.vectorize import HashedVectorizer

__all__ = ["TorchModel"]

logger = logging.getLogger(__name__)


class TorchModel:
    """An MLP learned online, with MC-dropout (or ensemble) members.

    Parameters
    ----------
    classes
        Classes known in advance, in a fixed order (more are discovered from
        labels; the output layer grows, old classes keep their column).
    config
        Shape and training settings (`TorchConfig`; its defaults otherwise).
    embedder
        Embeds item text; without one, text is ignored.
    seed
        Seed of the initial weights, dropout masks and replay samples.

    Examples
    --------
    >>> m = TorchModel(classes=["no", "yes"], config=TorchConfig(batch_size=8), seed=1)
    >>> items = [Item(id=str(i), event_time=i, features={"x": float(i % 2)}) for i in range(200)]
    >>> for it in items:
    ...     m.observe(it)
    ...     m.learn_one(it, "yes" if it.features["x"] else "no")
    >>> proba = m.predict_proba_many(items[:2])
    >>> proba.shape, bool(proba[0, 0] > 0.5), bool(proba[1, 1] > 0.5)
    ((2, 2), True, True)
    >>> m.predict_member_proba_many(items[:2]).shape
    (10, 2, 2)
    """

    #: One forward pass serves a whole chunk: large chunks amortise torch's call overhead.
    preferred_chunk = 64

    def __init__(
        self,
        classes: Sequence[Label] | None = None,
        config: TorchConfig | None = None,
        embedder: TextEmbedder | None = None,
        seed: int = 0,
    ) -> None:
        self.config = cfg = config or TorchConfig()
        self.seed = seed
        self.vectorizer = HashedVectorizer(cfg.n_features, embedder, clip=cfg.clip)
        self._classes: list[Label] = []
        self._index: dict[Label, int] = {}
        for c in classes or ():
            if c not in self._index:
                self._index[c] = len(self._classes)
                self._classes.append(c)
        self._train_rng = torch.Generator().manual_seed(seed)
        self._mc_rng = torch.Generator().manual_seed(seed + 1)
        self.net = MemberMLP(
            self.vectorizer.dim,
            cfg.hidden,
            len(self._classes),
            cfg.members,
            cfg.dropout,
            self._train_rng,
        )
        self.optimizer = torch.optim.Adam(
            self.net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay
        )
        self.replay = ReplayBuffer(cfg.replay_capacity, self.vectorizer.dim)
        self._pending: list[tuple[np.ndarray, int, float]] = []
        self._n_learned = 0
        self._n_updates = 0
        self._observing = False
        kind = f"members={cfg.members}" if cfg.members > 1 else f"mc={cfg.mc_samples}"
        self.name = f"TorchMLP(hidden={cfg.hidden}, dropout={cfg.dropout}, {kind})"

    # -- protocol ---------------------------------------------------------------------------
    @property
    def classes(self) -> list[Label]:
        return list(self._classes)

    @property
    def n_learned(self) -> int:
        return self._n_learned

    @property
    def embedder(self) -> TextEmbedder | None:
        """The text embedder whose vectors the network reads (None: features only)."""
        return self.vectorizer.embedder

    @property
    def n_updates(self) -> int:
        """Training updates run so far (each of `config.steps` optimiser steps)."""
        return self._n_updates

    def predict_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        k = max(len(self._classes), 1)
        if self._n_updates == 0 or not items:
            return np.full((len(items), k), 1.0 / k)
        x = torch.from_numpy(self.vectorizer.transform_many(items))
        self.net.eval()
        with torch.inference_mode(), _threads(self.config.threads):
            proba = self.net(x).double().softmax(dim=-1).mean(dim=0)
        return _normalised(proba.numpy())

    def predict_member_proba_many(self, items: Sequence[Item]) -> np.ndarray:
        m, k = self.config.n_samples, max(len(self._classes), 1)
        if self._n_updates == 0 or not items:
            return np.full((m, len(items), k), 1.0 / k)
        x = torch.from_numpy(self.vectorizer.transform_many(items))
        self.net.eval()
        with torch.inference_mode(), _threads(self.config.threads):
            # an ensemble's members are its networks; else m dropout masks over one pass
            ensemble = self.config.members > 1
            logits = self.net(x) if ensemble else self.net.sample(x, m, self._mc_rng)
            proba = logits.double().softmax(dim=-1)
        return _normalised(proba.numpy())

    def observe(self, item: Item) -> None:
        self._observing = True
        self.vectorizer.learn(item)

    def observe_many(self, items: Sequence[Item]) -> None:
        """`observe` each of `items`, in order."""
        for item in items:
            self.observe(item)

    def expect_observations(self) -> None:
        """Every item will come through `observe`: `learn_one` leaves the vectorizer be."""
        self._observing = True

    def learn_one(self, item: Item, label: Label, weight: float = 1.0) -> None:
        if not (math.isfinite(weight) and weight >= 0.0):
            raise ModelError(
                f"item {item.id!r}: weight {weight} is not a finite number >= 0; "
                "use 1 for human labels and a value in (0, 1) for pseudo-labels"
            )
        if label not in self._index:
            self._add_class(label)
        if not self._observing:  # a learner that never sees unlabelled items
            self.vectorizer.learn(item)
        x = self.vectorizer.transform_many([item])[0]
        y = self._index[label]
        self.replay.add(x, y, weight)
        self._pending.append((x, y, weight))
        self._n_learned += 1
        if len(self._pending) >= self.config.batch_size:
            self._update()

    # -- training ---------------------------------------------------------------------------
    def _update(self) -> None:
        """A few optimiser steps on the pending labels plus a replay sample."""
        cfg = self.config
        new_x = np.stack([p[0] for p in self._pending])
        new_y = np.array([p[1] for p in self._pending], dtype=np.int64)
        new_w = np.array([p[2] for p in self._pending], dtype=np.float32)
        self._pending.clear()
        self.net.train()
        with _threads(cfg.threads):
            self._steps(new_x, new_y, new_w)
        self._n_updates += 1
        self.net.eval()

    def _steps(self, new_x: np.ndarray, new_y: np.ndarray, new_w: np.ndarray) -> None:
        cfg = self.config
        for _ in range(cfg.steps):
            x, y, w = new_x, new_y, new_w
            if len(self.replay) and cfg.replay_sample:
                pick = torch.randint(
                    len(self.replay), (cfg.replay_sample,), generator=self._train_rng
                ).numpy()
                x = np.concatenate([x, self.replay.x[pick]])
                y = np.concatenate([y, self.replay.y[pick]])
                w = np.concatenate([w, self.replay.w[pick]])
            self._step(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(w))

    def _step(self, x: torch.Tensor, y: torch.Tensor, w: torch.Tensor) -> None:
        logits = self.net(x, self._train_rng)  # (members, n, k)
        e, n, k = logits.shape
        loss = functional.cross_entropy(
            logits.reshape(e * n, k), y.repeat(e), reduction="none"
        ).view(e, n)
        weight = w.expand(e, n)
        if e > 1:  # online bagging: each member sees each label Poisson(1) times
            weight = weight * torch.poisson(torch.ones(e, n), generator=self._train_rng)
        self.optimizer.zero_grad()
        total = (loss * weight).mean(dim=1).sum()
        total.backward()  # type: ignore[no-untyped-call]
        self.optimizer.step()

    def _add_class(self, label: Label) -> None:
        self._index[label] = len(self._classes)
        self._classes.append(label)
        old, new = self.net.grow(len(self._classes))
        grow_adam_state(self.optimizer, old, new)
        logger.info("class added label=%r classes=%d", label, len(self._classes))

    # -- checkpoints ------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """Everything the model is, as tensors and plain containers (a checkpoint's content)."""
        embedder = self.vectorizer.embedder
        meta = TorchCheckpointMeta(
            kind="torch_ensemble" if self.config.members > 1 else "torch_mlp",
            classes=self.classes,
            config=self.config,
            seed=self.seed,
            n_learned=self._n_learned,
            n_updates=self._n_updates,
            observing=self._observing,
            embedder_name=embedder_name(embedder),
            embedder_dim=embedder.dim if embedder is not None else 0,
            created=time.time(),
        )
        replay = self.replay.state()
        pending = self._pending
        dim = self.vectorizer.dim
        return {
            "meta": meta.model_dump(mode="json"),
            "network": self.net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scaler": self.vectorizer.stats(),
            "replay": {
                "x": torch.from_numpy(np.asarray(replay["x"])),
                "y": torch.from_numpy(np.asarray(replay["y"])),
                "w": torch.from_numpy(np.asarray(replay["w"])),
                "next": replay["next"],
            },
            "pending": {
                "x": torch.from_numpy(np.stack([p[0] for p in pending]))
                if pending
                else torch.zeros((0, dim)),
                "y": torch.tensor([p[1] for p in pending], dtype=torch.int64),
                "w": torch.tensor([p[2] for p in pending], dtype=torch.float32),
            },
            "rng": {"train": self._train_rng.get_state(), "mc": self._mc_rng.get_state()},
        }

    @classmethod
    def from_state(
        cls,
        state: dict[str, Any],
        meta: TorchCheckpointMeta,
        embedder: TextEmbedder | None = None,
        source: str = "checkpoint",
    ) -> TorchModel:
        """The model `state` describes (`meta` is its validated metadata record)."""
        check_embedder(meta, embedder, source)
        model = cls(meta.classes, meta.config, embedder, meta.seed)
        try:
            model.net.load_state_dict(state["network"])
            model.optimizer.load_state_dict(state["optimizer"])
            model.vectorizer.restore_stats(state["scaler"])
            r = state["replay"]
            model.replay.restore(r["x"].numpy(), r["y"].numpy(), r["w"].numpy(), int(r["next"]))
            p = state["pending"]
            model._pending = list(
                zip(list(p["x"].numpy()), p["y"].tolist(), p["w"].tolist(), strict=True)
            )
            model._train_rng.set_state(state["rng"]["train"])
            model._mc_rng.set_state(state["rng"]["mc"])
        except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
            raise checkpoint_error(source, exc) from exc
        model._n_learned, model._n_updates = meta.n_learned, meta.n_updates
        model._observing = meta.observing
        return model

    def to_bytes(self) -> bytes:
        """The model as torch checkpoint bytes (see `state`)."""
        return dump_state(self.state())

    @classmethod
    def from_bytes(
        cls, data: bytes, embedder: TextEmbedder | None = None, source: str = "checkpoint"
    ) -> TorchModel:
        """A model back from `to_bytes`; `source` names the checkpoint in errors."""
        meta, state = parse_state(data, source)
        return cls.from_state(state, meta, embedder, source)

    def save(self, path: str | Path) -> None:
        """Write the model to `path` (see `to_bytes`)."""
        Path(path).write_bytes(self.to_bytes())

    @classmethod
    def load(cls, path: str | Path, embedder: TextEmbedder | None = None) -> TorchModel:
        """Read a model `save` wrote; refuses anything but tensors and plain containers.

        Parameters
        ----------
        path
            The checkpoint file.
        embedder
            The text embedder the model was trained with, if it was.
        """
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise ModelError(f"cannot read torch checkpoint {str(path)!r}: {exc}") from exc
        return cls.from_bytes(data, embedder, source=str(path))

    def __repr__(self) -> str:
        return self.name


@contextmanager
def _threads(n: int | None) -> Iterator[None]:
    """Run torch on `n` threads inside the block (torch's own setting when None)."""
    before = torch.get_num_threads()
    if n is None or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _normalised(proba: np.ndarray) -> np.ndarray:
    """Rows summing to 1 to float64 precision."""
    out = np.asarray(proba, dtype=np.float64)
    return np.asarray(out / out.sum(axis=-1, keepdims=True))
