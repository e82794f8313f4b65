"""Producers: replay a labelled file or a synthetic drifting stream into a Kafka topic.

The readers they replay are `stream_al.datasets` (everything `simulate` reads).
"""
