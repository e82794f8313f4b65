"""Kafka-facing processes of stream-al: the scorer and the learner.

They stay thin: consume, hand records to `stream_al`, commit offsets once the
effects are durable. The logic lives in `stream_al`.
"""
