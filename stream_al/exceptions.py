"""The exceptions of stream-al, one family per subsystem under one root.

::

    StreamALError
    ├── ConfigError          a configuration value is wrong (names the field)
    ├── DataError            an input file or event cannot be read
    │   └── MalformedRowError    one row is bad (names the file and line)
    ├── ModelError           a model cannot score or learn what it was given
    ├── StrategyError        an unknown or misconfigured query strategy
    ├── ClassError           a change to the class set is not allowed (names the class)
    │   ├── UnknownClassError    no class, or no proposal, of that name
    │   └── ClassStateError      the class is already known, waiting, or rejected
    ├── QueueError           an annotation-queue operation is not allowed
    │   ├── UnknownItemError     no such item in the queue
    │   └── LeaseError           the lease is not held, expired or belongs to someone else
    ├── DriftError           a drift detector is misconfigured
    ├── AlertError           an alert sink or watch is misconfigured, or closed
    └── SchedulerError       a scheduled job is misconfigured, or the scheduler misused

Every message names what was wrong and says what to do about it.
"""

from __future__ import annotations

__all__ = [
    "AlertError",
    "ClassError",
    "ClassStateError",
    "ConfigError",
    "DataError",
    "DriftError",
    "LeaseError",
    "MalformedRowError",
    "ModelError",
    "QueueError",
    "SchedulerError",
    "StrategyError",
    "StreamALError",
    "UnknownClassError",
    "UnknownItemError",
]


class StreamALError(Exception):
    """Root of every error stream-al raises on purpose."""


class ConfigError(StreamALError):
    """A configuration value is invalid."""


class DataError(StreamALError):
    """An input file, stream or event cannot be read."""


class MalformedRowError(DataError):
    """One row of an input file is malformed.

    Parameters
    ----------
    source
        The file (or stream) name.
    line
        The 1-based line number of the bad row in the file.
    reason
        What is wrong with it.
    """

    def __init__(self, source: str, line: int, reason: str) -> None:
        self.source = source
        self.line = line
        self.reason = reason
        super().__init__(f"{source}, line {line}: {reason}")


class ModelError(StreamALError):
    """A model cannot score or learn what it was given."""


class StrategyError(StreamALError):
    """A query strategy or decision rule is unknown or misconfigured."""


class ClassError(StreamALError):
    """A change to the class set is not allowed (a bad label, too many classes)."""


class UnknownClassError(ClassError):
    """No class, or no proposed class, has that label."""


class ClassStateError(ClassError):
    """The class is already known, already waiting for an admin, or was rejected."""


class QueueError(StreamALError):
    """An annotation-queue operation is not allowed."""


class UnknownItemError(QueueError):
    """The item is not in the queue."""


class LeaseError(QueueError):
    """The lease is not held by the caller, or has expired."""


class DriftError(StreamALError):
    """A drift detector is unknown or misconfigured."""


class AlertError(StreamALError):
    """An alert sink or watch is misconfigured, or was used after `close`."""


class SchedulerError(StreamALError):
    """A scheduled job is misconfigured, or the scheduler used out of order."""
