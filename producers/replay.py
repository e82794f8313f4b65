"""Replay a labelled file or a synthetic stream into a topic, as JSON events, at a given rate.

Any source `stream_al.datasets.open_stream` reads works: ARFF/CSV/TSV files
(compressed or not) and ``synth:NAME?...`` generators. Each example becomes the
event `stream_al.transport.codec.encode_event` writes (id, time, features, text,
and the ground-truth label when asked), keyed by its id.

>>> import json
>>> from stream_al.transport.memory import MemoryBroker
>>> broker = MemoryBroker()
>>> replay("synth:sea?n=50", broker.producer(), "events", include_label=True, seed=3)
50
>>> first = broker.read("events")[0].value
>>> sorted(json.loads(first))
['id', 'label', 'time', 'x0', 'x1', 'x2']
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from stream_al.datasets import Stream, open_stream
from stream_al.items import Example
from stream_al.transport.base import Producer
from stream_al.transport.codec import FieldMap, encode_event
from stream_al.transport.pacing import Pacer

__all__ = ["replay"]

logger = logging.getLogger(__name__)

_PROGRESS_EVERY = 10.0  # seconds between progress lines


def replay(
    source: str | Path | Stream,
    producer: Producer,
    topic: str,
    rate: float | None = None,
    with_event_time: bool = True,
    field_map: FieldMap | None = None,
    include_label: bool = False,
    limit: int | None = None,
    seed: int = 0,
    id_prefix: str = "",
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    """Send every example of `source` to `topic`; return how many were sent (and flushed).

    Parameters
    ----------
    source
        A file or ``synth:`` address (see `open_stream`), or an opened `Stream`.
    producer
        Where to send (Kafka or the in-memory broker).
    topic
        The events topic.
    rate
        Events per second (token-bucket paced, no busy loop); None: as fast as possible.
    with_event_time
        Write the example's own event time (file time column, or position);
        False: the wall-clock time of sending.
    field_map
        Field names of the events (id, time, text, label); default `FieldMap()`.
    include_label
        Write the ground-truth label under ``field_map.label`` (benchmarks, oracles).
    limit
        Send at most this many events.
    seed
        Seed of a synthetic stream.
    id_prefix
        Prepended to every id, so that several replays into one topic keep ids unique.
    clock, sleep
        Monotonic time and how to wait (injected in tests).
    """
    stream = source if isinstance(source, Stream) else open_stream(source, limit=limit, seed=seed)
    fields = field_map or FieldMap()
    pacer = Pacer(rate, clock=clock, sleep=sleep) if rate is not None else None
    drifts = set(stream.info.drifts)
    if drifts:
        logger.info("stream drifts at positions %s (source=%s)", sorted(drifts), stream.info.source)
    started = last_report = clock()
    sent = 0
    for position, example in enumerate(stream):
        if limit is not None and sent >= limit:
            break
        if pacer is not None:
            pacer.wait()
        item = example.item
        if id_prefix:
            item = item.replace(id=id_prefix + item.id)
        event_time = None if with_event_time else time.time()
        value = encode_event(Example(item, example.label), fields, include_label, event_time)
        producer.send(topic, value, key=item.id.encode())
        sent += 1
        if position in drifts:
            logger.info("drift point reached (position=%d topic=%s)", position, topic)
        if clock() - last_report >= _PROGRESS_EVERY:
            last_report = clock()
            logger.info(
                "replayed %d events (%.0f/s, topic=%s)", sent, sent / (last_report - started), topic
            )
    producer.flush()
    elapsed = clock() - started
    logger.info("replay done (events=%d seconds=%.1f topic=%s)", sent, elapsed, topic)
    return sent
