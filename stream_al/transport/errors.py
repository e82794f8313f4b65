"""The exceptions of the transport edge, under `stream_al.exceptions.StreamALError`.

::

    StreamALError
    ├── TransportError               the log of records cannot be used as asked
    │   ├── BrokerUnavailableError       no broker answered within the time allowed
    │   ├── TopicError                   a topic cannot be created or does not fit its use
    │   └── DeliveryError                the broker refused a record for good (not an outage)
    └── DataError
        └── MalformedEventError          one event's bytes do not fit the field map

A broker outage is not an error by itself: consumers and producers ride it out
with backoff and only raise `BrokerUnavailableError` when the caller gave a
deadline (``connect_timeout``, ``flush(timeout=...)``) that passed.
"""

from __future__ import annotations

from stream_al.exceptions import DataError, StreamALError

__all__ = [
    "REASON_KINDS",
    "BrokerUnavailableError",
    "DeliveryError",
    "MalformedEventError",
    "TopicError",
    "TransportError",
]


class TransportError(StreamALError):
    """The log of records (Kafka or the in-memory broker) cannot be used as asked."""


class BrokerUnavailableError(TransportError):
    """No broker answered before the caller's deadline; check the address and the broker."""


class TopicError(TransportError):
    """A topic cannot be created, or exists with a shape that does not fit its use."""


class DeliveryError(TransportError):
    """The broker refused a record for a reason retrying cannot fix (size, authorization...)."""


#: The classes of reasons a record is dead-lettered for (the ``kind`` of a dead letter and
#: the label of its counter): ``json`` not UTF-8 JSON, or nested too deeply; ``shape`` not an
#: object; ``id``, ``time``, ``feature``, ``text``, ``label`` that field of the event or label
#: is missing or unusable; ``item`` a label for an item nobody knows or whose carried item is
#: bad; ``class`` a label outside the known classes; ``failure`` the record kept failing a
#: batch for a reason that is not its shape (isolated after ``[scorer] max_batch_failures``).
REASON_KINDS = (
    "json",
    "shape",
    "id",
    "time",
    "feature",
    "text",
    "label",
    "item",
    "class",
    "failure",
)


class MalformedEventError(DataError):
    """One event cannot be turned into an item.

    Parameters
    ----------
    reason
        What is wrong, naming the field when there is one.
    where
        Where the event came from (``topic[partition]@offset``), when known.
    kind
        The class of the reason, one of `REASON_KINDS`.
    """

    def __init__(self, reason: str, where: str | None = None, kind: str = "shape") -> None:
        self.reason = reason
        self.where = where
        self.kind = kind
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}malformed event: {reason}")
