"""`LateProducer`: a producer to hand out now, connected to the broker later.

A service process builds its parts (queue, scorer, learner, the annotation
API) before the broker answers, so that the API and ``/healthz`` serve from
the start. They get a `LateProducer`; until `attach` gives it the real one,
`send` and `flush` raise `BrokerUnavailableError` (the API answers 503 and the
caller retries), after that they go straight through.

>>> from stream_al.transport.memory import MemoryBroker
>>> late = LateProducer()
>>> late.send("labels", b"{}")
Traceback (most recent call last):
...
stream_al.transport.errors.BrokerUnavailableError: not connected to the broker yet ...
>>> broker = MemoryBroker()
>>> late.attach(broker.producer())
>>> late.send("labels", b"{}"); late.flush(); len(broker.read("labels"))
1
"""

from __future__ import annotations

from stream_al.transport.base import Producer
from stream_al.transport.errors import BrokerUnavailableError

__all__ = ["LateProducer"]


class LateProducer:
    """Forwards to the producer `attach` gives it; refuses politely before."""

    def __init__(self) -> None:
        self._target: Producer | None = None

    @property
    def attached(self) -> bool:
        """Whether the real producer is there."""
        return self._target is not None

    def attach(self, producer: Producer) -> None:
        """From now on, send through `producer`."""
        self._target = producer

    def _producer(self) -> Producer:
        target = self._target
        if target is None:
            raise BrokerUnavailableError(
                "not connected to the broker yet (the service is still starting: see /healthz); "
                "try again shortly"
            )
        return target

    def send(self, topic: str, value: bytes, key: bytes | None = None) -> None:
        self._producer().send(topic, value, key)

    def flush(self, timeout: float | None = None) -> None:
        self._producer().flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Close the real producer, if there is one."""
        if self._target is not None:
            self._target.close(timeout)
