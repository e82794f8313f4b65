"""The broker probe, shared by both Kafka backends: see `stream_al.transport.probe`."""

from stream_al.transport.probe import parse_bootstrap, probe

__all__ = ["parse_bootstrap", "probe"]
