"""The Kafka backend of the transport, built on kafka-python 3.

- `KafkaRecordConsumer`: a consumer-group member with explicit commits and a
  rebalance hook;
- `KafkaRecordProducer`: batched sends, acks from all replicas, flush before commit;
- `ensure_topics`: create the topics stream-al needs.

Both clients ride out a broker outage with exponential backoff and log one line
when it starts and one when it ends. kafka-python logs every failed connection
attempt on its own ``kafka`` loggers; an entry point that wants only our lines
sets ``logging.getLogger("kafka").setLevel(logging.CRITICAL)``.
"""

from stream_al.transport.kafka.admin import ensure_topics
from stream_al.transport.kafka.consumer import KafkaRecordConsumer
from stream_al.transport.kafka.probe import probe
from stream_al.transport.kafka.producer import KafkaRecordProducer

__all__ = ["KafkaRecordConsumer", "KafkaRecordProducer", "ensure_topics", "probe"]
