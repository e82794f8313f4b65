"""The transport: the edge between stream-al and a log of records.

`base` holds the contract (`Record`, `Consumer`, `Producer`), `memory` the
embedded in-process broker, `kafka` and `confluent` the Kafka backends on
kafka-python and on confluent-kafka (``[kafka] client``; each imported on its
own, so that the embedded mode loads no Kafka client), `watch` and `probe` the
outage handling they share, `codec` the event field map and JSON encoding,
`dead_letter` the dead-letter envelope.

::

    stream_al.transport
    ├── base          Record, TopicPartition, Consumer, Producer, next_offsets
    ├── memory        MemoryBroker, MemoryConsumer, MemoryProducer
    ├── kafka         KafkaRecordConsumer, KafkaRecordProducer, ensure_topics (kafka-python)
    ├── confluent     ConfluentRecordConsumer, ConfluentRecordProducer, ensure_topics
    ├── watch, probe  BrokerWatch, wait_for_broker, probe (both Kafka backends)
    ├── codec         FieldMap, encode_event, decode_event, decode_record, encode_label
    ├── dead_letter   dead_letter, read_dead_letter
    ├── backoff       Backoff, Outage
    └── errors        TransportError and its subclasses, MalformedEventError
"""

from stream_al.transport.backoff import Backoff, Outage
from stream_al.transport.base import (
    Consumer,
    Offsets,
    Producer,
    Record,
    RevokeCallback,
    TopicPartition,
    next_offsets,
)
from stream_al.transport.codec import (
    FieldMap,
    LabelEvent,
    decode_event,
    decode_label,
    decode_record,
    encode_event,
    encode_label,
)
from stream_al.transport.dead_letter import DeadLetter, dead_letter, read_dead_letter
from stream_al.transport.errors import (
    BrokerUnavailableError,
    DeliveryError,
    MalformedEventError,
    TopicError,
    TransportError,
)
from stream_al.transport.memory import MemoryBroker, MemoryConsumer, MemoryProducer

__all__ = [
    "Backoff",
    "BrokerUnavailableError",
    "Consumer",
    "DeadLetter",
    "DeliveryError",
    "FieldMap",
    "LabelEvent",
    "MalformedEventError",
    "MemoryBroker",
    "MemoryConsumer",
    "MemoryProducer",
    "Offsets",
    "Outage",
    "Producer",
    "Record",
    "RevokeCallback",
    "TopicError",
    "TopicPartition",
    "TransportError",
    "dead_letter",
    "decode_event",
    "decode_label",
    "decode_record",
    "encode_event",
    "encode_label",
    "next_offsets",
    "read_dead_letter",
]
