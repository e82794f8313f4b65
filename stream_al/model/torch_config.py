"""The settings of a torch model, validated once and stored with its checkpoints.

Kept apart from the model so the factory and the configuration can name and
check them without importing torch.

>>> TorchConfig(hidden=32).members
1
>>> TorchConfig(dropout=1.0)
Traceback (most recent call last):
...
pydantic_core._pydantic_core.ValidationError: 1 validation error for TorchConfig
...
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["TorchConfig"]


class TorchConfig(BaseModel):
    """How a `TorchModel` is shaped and trained.

    Parameters
    ----------
    n_features
        Buckets of the feature-hashing trick for numeric and categorical
        features (text embeddings are appended after them).
    hidden
        Width of the hidden layer.
    dropout
        Dropout probability on the hidden layer, in training and in the
        Monte Carlo samples of `predict_member_proba_many`.
    members
        Independent networks: 1 for MC dropout (the members are dropout
        samples), more for a deep ensemble (the members are the networks).
    mc_samples
        Dropout samples per item when ``members == 1``.
    batch_size
        New labels gathered before a training update.
    steps
        Optimiser steps per update.
    lr
        Adam's learning rate.
    weight_decay
        L2 penalty of Adam.
    replay_capacity
        Most labelled vectors kept for replay (the oldest are dropped first).
    replay_sample
        Replayed vectors added to the new labels in each optimiser step.
    clip
        Standardised numeric features are clipped to ``[-clip, clip]``.
    threads
        Torch threads for this model's own passes (set around them, then put
        back). A network this small runs fastest on one: more threads only
        wait on each other, badly so when other processes hold the cores
        (8 times slower measured on a busy two-core machine). None keeps
        torch's setting.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    n_features: int = Field(256, ge=1, le=1 << 20)
    hidden: int = Field(64, ge=1, le=4096)
    dropout: float = Field(0.2, ge=0.0, lt=1.0)
    members: int = Field(1, ge=1, le=64)
    mc_samples: int = Field(10, ge=2, le=1000)
    batch_size: int = Field(16, ge=1)
    steps: int = Field(2, ge=1, le=100)
    lr: float = Field(0.01, gt=0.0, le=1.0)
    weight_decay: float = Field(1e-4, ge=0.0)
    replay_capacity: int = Field(1000, ge=1)
    replay_sample: int = Field(48, ge=0)
    clip: float = Field(5.0, gt=0.0)
    threads: int | None = Field(1, ge=1)

    @model_validator(mode="after")
    def _mc_dropout_needs_dropout(self) -> TorchConfig:
        if self.members == 1 and self.dropout == 0.0:
            raise ValueError(
                "a single network needs dropout > 0 for its MC-dropout samples; "
                "set dropout (e.g. 0.2) or members > 1 for an ensemble"
            )
        return self

    @property
    def n_samples(self) -> int:
        """Members `predict_member_proba_many` returns: networks, or dropout samples."""
        return self.members if self.members > 1 else self.mc_samples
