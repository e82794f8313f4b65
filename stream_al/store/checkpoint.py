"""Model checkpoints as pickles, written and read only through the store's checks.

River models have no portable format other than pickle, and unpickling runs
code. So pickles are only ever read back from *our own* store: `load_pickle`
unpickles a blob only after `Store.load_model` verified its SHA-256 digest
and the HMAC made with the store's secret key, which proves this store wrote
it. Never unpickle a blob from elsewhere (a topic, an upload, another
store); torch models will use ``state_dict`` tensors instead.

>>> from stream_al.store.memory import MemoryStore
>>> store = MemoryStore()
>>> digest = save_pickle(store, "clf", "1", {"weights": [0.5, 1.5]}, {"labels": 40})
>>> load_pickle(store, "clf")
({'weights': [0.5, 1.5]}, {'format': 'pickle', 'labels': 40})
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from typing import Any

from stream_al.store.base import Store
from stream_al.store.errors import StoreError

__all__ = ["PICKLE_FORMAT", "load_pickle", "save_pickle"]

#: The ``format`` metadata of pickled checkpoints.
PICKLE_FORMAT = "pickle"


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
