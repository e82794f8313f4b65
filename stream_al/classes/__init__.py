"""Classes: which labels a stream has, from configuration or the data, never from first answers.

`ClassSet` is the pure set (known classes and their source, classes waiting
for an admin, rejected ones); `ClassBook` keeps it in the store, so the
scorer, the queue and the learner see one set when they run apart.
"""

from __future__ import annotations

from stream_al.classes.book import STATE_KEY, ClassBook
from stream_al.classes.class_set import MAX_CLASSES, MAX_PENDING, ClassSet
from stream_al.classes.records import (
    SOURCES,
    KnownClass,
    Match,
    Proposal,
    Rejection,
    Source,
    Status,
    is_label,
)

__all__ = [
    "MAX_CLASSES",
    "MAX_PENDING",
    "SOURCES",
    "STATE_KEY",
    "ClassBook",
    "ClassSet",
    "KnownClass",
    "Match",
    "Proposal",
    "Rejection",
    "Source",
    "Status",
    "is_label",
]
