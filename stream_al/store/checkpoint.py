"""Model checkpoints: pickles read only through the store's checks, torch models as tensors.

River models have no portable format other than pickle, and unpickling runs
code. So pickles are only ever read back from *our own* store: `load_pickle`
unpickles a blob only after `Store.load_model` verified its SHA-256 digest
and the HMAC made with the store's secret key, which proves this store wrote
it. Never unpickle a blob from elsewhere (a topic, an upload, another
store). Torch models are stored as their state dicts and tensors instead
(format ``torch_state_dict``), read back with ``weights_only=True`` so that no
object is ever built from them; `save_checkpoint` and `load_checkpoint` pick
the format by the model's kind.

>>> from stream_al.store.memory import MemoryStore
>>> store = MemoryStore()
>>> digest = save_pickle(store, "clf", "1", {"weights": [0.5, 1.5]}, {"labels": 40})
>>> load_pickle(store, "clf")
({'weights': [0.5, 1.5]}, {'format': 'pickle', 'labels': 40})
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from stream_al.store.base import Store
from stream_al.store.errors import StoreError

if TYPE_CHECKING:
    from stream_al.features.base import TextEmbedder

__all__ = [
    "PICKLE_FORMAT",
    "TORCH_FORMAT",
    "TensorCheckpointed",
    "load_checkpoint",
    "load_pickle",
    "save_checkpoint",
    "save_pickle",
]

#: The ``format`` metadata of pickled checkpoints.
PICKLE_FORMAT = "pickle"
#: The ``format`` metadata of torch checkpoints (`stream_al.model.torch_model.TorchModel`).
TORCH_FORMAT = "torch_state_dict"


@runtime_checkable
class TensorCheckpointed(Protocol):
    """A model that writes itself as tensors and plain values, never as a pickle."""

    def to_bytes(self) -> bytes:
        """The model's checkpoint bytes."""
        ...


def save_pickle(
    store: Store,
    name: str,
    version: str,
    obj: Any,
    metadata: Mapping[str, Any],
    created: float | None = None,
) -> str:
    """Pickle `obj` into `store` as model `name` `version`; return the blob's digest."""
    blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    return store.save_model(name, version, blob, {**metadata, "format": PICKLE_FORMAT}, created)


def load_pickle(store: Store, name: str, version: str | None = None) -> tuple[Any, dict[str, Any]]:
    """Unpickle a checkpoint `store` wrote (the latest when `version` is None), after its checks."""
    blob, metadata = store.load_model(name, version)  # raises unless digest and HMAC verify
    if metadata.get("format") != PICKLE_FORMAT:
        raise StoreError(
            f"model {name!r} is stored as {metadata.get('format')!r}, not a pickle; "
            "load it with the loader of that format"
        )
    return pickle.loads(blob), metadata  # verified: written by this store


def save_checkpoint(
    store: Store,
    name: str,
    version: str,
    model: Any,
    metadata: Mapping[str, Any],
    created: float | None = None,
) -> str:
    """Save `model` in its kind's format (torch state dict, else pickle); return the digest."""
    if isinstance(model, TensorCheckpointed):
        meta = {**metadata, "format": TORCH_FORMAT}
        return store.save_model(name, version, model.to_bytes(), meta, created)
    return save_pickle(store, name, version, model, metadata, created)


def load_checkpoint(
    store: Store,
    name: str,
    version: str | None = None,
    embedder: TextEmbedder | None = None,
) -> tuple[Any, dict[str, Any]]:
    """Load a checkpoint `save_checkpoint` wrote, by its format, after the store's checks.

    `embedder` is the text embedder a torch model was trained with, if any.
    """
    blob, metadata = store.load_model(name, version)  # raises unless digest and HMAC verify
    fmt = metadata.get("format")
    if fmt == PICKLE_FORMAT:
        return pickle.loads(blob), metadata  # verified: written by this store
    if fmt == TORCH_FORMAT:
        from stream_al.model.torch_model import TorchModel  # torch only for torch checkpoints

        where = f"model {name!r} version {metadata.get('version', version or 'latest')}"
        return TorchModel.from_bytes(blob, embedder, source=where), metadata
    raise StoreError(
        f"model {name!r} is stored in the unknown format {fmt!r}; "
        "load it with the stream-al version that saved it"
    )
