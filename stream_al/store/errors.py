"""The errors of the store, under `StreamALError`.

::

    StreamALError
    └── StoreError               the store cannot do what was asked (names the file / item)
        ├── LabelConflictError       a different label for an (item, annotator) already labelled
        ├── IntegrityCheckError      a stored model fails its digest or HMAC check
        └── UnknownModelError        no such model (version) in the store
"""

from __future__ import annotations

from stream_al.exceptions import StreamALError

__all__ = ["IntegrityCheckError", "LabelConflictError", "StoreError", "UnknownModelError"]


class StoreError(StreamALError):
    """The store cannot do what was asked."""


class LabelConflictError(StoreError):
    """The annotator already gave this item a different label (labels are immutable)."""


class IntegrityCheckError(StoreError):
    """A stored model blob does not match its digest, or was not written by this store."""


class UnknownModelError(StoreError):
    """No model of that name (or version) was saved in this store."""
