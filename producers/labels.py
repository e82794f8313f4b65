"""An oracle annotator for tests and benchmarks: answers with the ground-truth label.

It reads a topic of records that carry an item ``id`` in a JSON object (the
predictions topic, or a topic of queue candidates), looks the id up in the true
labels of the replayed source, and produces ``{id, label, annotator, time}`` to
the labels topic, keyed by the id. Offsets are committed only after the labels
are flushed. Ids it does not know and records that are not JSON objects with an
id are logged and skipped (never silently).

The lookup holds one entry per item of the source: meant for benchmark-sized
streams, not for unbounded production topics.

>>> from stream_al.transport.codec import decode_label
>>> from stream_al.transport.memory import MemoryBroker
>>> broker = MemoryBroker()
>>> producer = broker.producer()
>>> for i in ("0", "1", "99"):
...     producer.send("predictions", b'{"id": "%s", "predicted": "a"}' % i.encode())
>>> truth = ground_truth("synth:stagger?n=10", seed=1)
>>> consumer = broker.consumer(["predictions"], group_id="oracle")
>>> answer_labels(consumer, producer, "labels", truth, idle_timeout=0.0)
2
>>> [decode_label(r.value).id for r in broker.read("labels")]
['0', '1']
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from stream_al.datasets import open_stream
from stream_al.items import Label
from stream_al.transport.base import Consumer, Producer, Record, next_offsets
from stream_al.transport.codec import encode_label

__all__ = ["answer_labels", "ground_truth"]

logger = logging.getLogger(__name__)


def ground_truth(
    source: str | Path, limit: int | None = None, seed: int = 0, id_prefix: str = ""
) -> dict[str, Label]:
    """True label by item id, read from the same source (and seed, prefix) as the replay."""
    stream = open_stream(source, limit=limit, seed=seed)
    return {id_prefix + example.item.id: example.label for example in stream}


def answer_labels(
    consumer: Consumer,
    producer: Producer,
    labels_topic: str,
    truth: Mapping[str, Label],
    annotator: str = "oracle",
    id_field: str = "id",
    max_labels: int | None = None,
    idle_timeout: float | None = None,
    stop: threading.Event | None = None,
    now: Callable[[], float] = time.time,
) -> int:
    """Answer every record of `consumer` with its true label; return the labels produced.

    Parameters
    ----------
    consumer
        Reads the records to label (each a JSON object with an id).
    producer
        Sends the labels.
    labels_topic
        Where the labels go.
    truth
        True label by id (`ground_truth`).
    annotator
        The annotator name written in each label.
    id_field
        The field of the id in the records read.
    max_labels
        Stop after this many labels.
    idle_timeout
        Stop after this many seconds without a record (None: wait for more).
    stop
        Stop when set (from another thread or a signal handler).
    now
        Epoch seconds written as the label time.
    """
    answered = 0
    idle_since = time.monotonic()
    while not (stop is not None and stop.is_set()):
        if max_labels is not None and answered >= max_labels:
            break
        wanted = 500 if max_labels is None else min(500, max_labels - answered)
        records = consumer.poll(max_records=wanted, timeout_ms=200)
        if not records:
            if idle_timeout is not None and time.monotonic() - idle_since >= idle_timeout:
                break
            continue
        idle_since = time.monotonic()
        for record in records:
            answered += _answer(record, producer, labels_topic, truth, annotator, id_field, now)
        producer.flush()  # labels durable before the offsets that produced them
        consumer.commit(next_offsets(records))
    return answered


def _answer(
    record: Record,
    producer: Producer,
    labels_topic: str,
    truth: Mapping[str, Label],
    annotator: str,
    id_field: str,
    now: Callable[[], float],
) -> int:
    try:
        item_id = str(json.loads(record.value)[id_field])
    except (ValueError, TypeError, KeyError) as exc:
        logger.warning(
            "record skipped: no %s in a JSON object (at=%s error=%r)", id_field, record.where, exc
        )
        return 0
    if item_id not in truth:
        logger.warning(
            "record skipped: id not in the ground truth (id=%s at=%s)", item_id, record.where
        )
        return 0
    producer.send(
        labels_topic, encode_label(item_id, truth[item_id], annotator, now()), item_id.encode()
    )
    return 1
