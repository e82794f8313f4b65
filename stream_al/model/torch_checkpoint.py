"""Torch checkpoints: tensors and plain containers under a versioned metadata record.

A checkpoint is one `torch.save` of a dict: ``meta`` (a `TorchCheckpointMeta`
as plain JSON-like values), the network's and the optimiser's state dicts,
the running feature statistics, the replay buffer and the random generators'
states, all tensors, numbers, strings and containers. It is read back with
``torch.load(..., weights_only=True)``, which refuses to build any other
object: unlike a pickle, a checkpoint from elsewhere cannot run code.
"""

from __future__ import annotations

import hashlib
import io
import logging
import pickle
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stream_al.exceptions import ModelError
from stream_al.features.base import TextEmbedder
from stream_al.model.torch_config import TorchConfig

__all__ = [
    "FORMAT_VERSION",
    "TorchCheckpointMeta",
    "check_embedder",
    "checkpoint_error",
    "content_digest",
    "dump_state",
    "embedder_name",
    "parse_state",
]

logger = logging.getLogger(__name__)

#: Version of the layout below; bumped whenever it changes.
FORMAT_VERSION = 1

#: How every `torch.save` archive starts (a zip file).
_ZIP_MAGIC = b"PK\x03\x04"

#: What a damaged or foreign checkpoint's error tells the user to do.
_ADVICE = "save the model again with this version of stream-al, or retrain it"


class TorchCheckpointMeta(BaseModel):
    """What a torch checkpoint holds, validated before any tensor is used.

    Examples
    --------
    >>> meta = TorchCheckpointMeta(kind="torch_mlp", classes=["a", "b"], config=TorchConfig(),
    ...                            seed=0, n_learned=3, n_updates=0, observing=True, created=0.0)
    >>> meta.format_version, meta.config.hidden
    (1, 64)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format_version: int = FORMAT_VERSION
    kind: Literal["torch_mlp", "torch_ensemble"]
    classes: list[str | int | bool]
    config: TorchConfig
    seed: int
    n_learned: int = Field(ge=0)
    n_updates: int = Field(ge=0)
    #: Whether the model was shown unlabelled items (else labels update the scaler).
    observing: bool
    #: Name and size of the text embedder the network was trained with (None: no text).
    embedder_name: str | None = None
    embedder_dim: int = Field(0, ge=0)
    #: When the checkpoint was written (epoch seconds).
    created: float


def dump_state(state: dict[str, Any]) -> bytes:
    """The bytes of a checkpoint `state` (see the module docstring), with its digest."""
    buffer = io.BytesIO()
    torch.save({**state, "digest": content_digest(state)}, buffer)
    return buffer.getvalue()


def parse_state(data: bytes, source: str) -> tuple[TorchCheckpointMeta, dict[str, Any]]:
    """Read checkpoint bytes safely and validate its metadata; `source` names it in errors."""
    if not data.startswith(_ZIP_MAGIC):
        raise ModelError(f"{source}: not a torch checkpoint (no zip archive inside); {_ADVICE}")
    try:
        state = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # what weights_only refuses to build
        raise ModelError(
            f"{source}: not a torch checkpoint of stream-al, or one holding more than "
            f"tensors and plain values (refused: {_first_line(exc)}); {_ADVICE}"
        ) from exc
    except Exception as exc:  # a damaged archive fails in many ways: all mean the same here
        raise ModelError(
            f"{source}: damaged torch checkpoint ({type(exc).__name__}: {_first_line(exc)}); "
            f"{_ADVICE}"
        ) from exc
    raw = state.get("meta") if isinstance(state, dict) else None
    if not isinstance(raw, dict):
        raise ModelError(f"{source}: the checkpoint has no metadata record; {_ADVICE}")
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise ModelError(
            f"{source}: checkpoint format version {version!r}, but this stream-al reads "
            f"version {FORMAT_VERSION}; load it with the stream-al that wrote it, or retrain"
        )
    try:
        meta = TorchCheckpointMeta.model_validate(raw)
    except ValidationError as exc:
        raise ModelError(f"{source}: bad checkpoint metadata ({exc}); {_ADVICE}") from exc
    digest = state.pop("digest", None)
    if digest != content_digest(state):
        raise ModelError(
            f"{source}: the checkpoint's content does not match its SHA-256 digest: the file "
            f"is damaged or was altered; {_ADVICE}"
        )
    return meta, state


def content_digest(state: Any) -> str:
    """SHA-256 of a checkpoint's content: every tensor's bytes and every plain value, in order.

    It catches a damaged or edited file; it is no signature (whoever edits the
    file can recompute it), which ``weights_only`` loading makes unnecessary.
    """
    h = hashlib.sha256()
    _feed(h, state)
    return h.hexdigest()


def _feed(h: Any, value: Any) -> None:
    if isinstance(value, torch.Tensor):
        t = value.detach().cpu().contiguous()
        h.update(f"T{t.dtype}{tuple(t.shape)}".encode())
        h.update(t.numpy().tobytes())
    elif isinstance(value, dict):
        h.update(f"D{len(value)}".encode())
        for key in sorted(value, key=repr):
            h.update(repr(key).encode())
            _feed(h, value[key])
    elif isinstance(value, list | tuple):
        h.update(f"L{len(value)}".encode())
        for item in value:
            _feed(h, item)
    else:
        h.update(f"V{value!r}".encode())


def checkpoint_error(source: str, exc: BaseException) -> ModelError:
    """The error for a checkpoint whose tensors do not fit the model its metadata describes."""
    return ModelError(
        f"{source}: the checkpoint's tensors do not match its metadata "
        f"({type(exc).__name__}: {_first_line(exc)}); the file is damaged or was altered; {_ADVICE}"
    )


def embedder_name(embedder: TextEmbedder | None) -> str | None:
    """A name for `embedder` in checkpoints and messages (its ``name``, else its type)."""
    if embedder is None:
        return None
    return str(getattr(embedder, "name", type(embedder).__name__))


def check_embedder(meta: TorchCheckpointMeta, embedder: TextEmbedder | None, source: str) -> None:
    """Refuse to load a network with another input size than it was trained with."""
    if meta.embedder_dim and embedder is None:
        raise ModelError(
            f"{source}: the model was trained on text embedded by {meta.embedder_name} "
            f"({meta.embedder_dim} values); pass that embedder to load it"
        )
    if not meta.embedder_dim and embedder is not None:
        raise ModelError(
            f"{source}: the model was trained without text embeddings; load it without an embedder"
        )
    if embedder is not None and embedder.dim != meta.embedder_dim:
        raise ModelError(
            f"{source}: the model was trained on {meta.embedder_dim}-value embeddings "
            f"({meta.embedder_name}) but this embedder gives {embedder.dim}; pass the same embedder"
        )
    if embedder is not None and embedder_name(embedder) != meta.embedder_name:
        logger.warning(
            "embedder differs source=%s trained_with=%s given=%s",
            source,
            meta.embedder_name,
            embedder_name(embedder),
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
