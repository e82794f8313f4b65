"""The Kafka backend of the transport on confluent-kafka (librdkafka), ``[kafka] client =
"confluent"``: the same contract as `stream_al.transport.kafka`, several times faster.

- `ConfluentRecordConsumer`: a consumer-group member with explicit commits and a
  rebalance hook;
- `ConfluentRecordProducer`: batched sends, acks from all replicas, flush before commit;
- `ensure_topics`: create the topics stream-al needs (librdkafka's admin client).

It needs the optional ``confluent`` extra (``pip install 'stream-al[confluent]'``);
importing this package without it raises `ConfigError` saying so. Outages are
ridden out as by the kafka-python backend (`stream_al.transport.watch`: one log
line when one starts, one when it ends); librdkafka's own log lines and error
events go to DEBUG (`stream_al.transport.confluent.events`).
"""

from stream_al.exceptions import ConfigError

try:
    import confluent_kafka  # noqa: F401  (the optional extra)
except ImportError as exc:
    raise ConfigError(
        'the confluent Kafka client ([kafka] client = "confluent") needs the confluent-kafka '
        "package: pip install 'stream-al[confluent]', or use client = \"kafka-python\""
    ) from exc

from stream_al.transport.confluent.admin import ensure_topics
from stream_al.transport.confluent.consumer import ConfluentRecordConsumer
from stream_al.transport.confluent.producer import ConfluentRecordProducer

__all__ = ["ConfluentRecordConsumer", "ConfluentRecordProducer", "ensure_topics"]
