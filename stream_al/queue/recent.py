"""A bounded memory of recent events by id: the oldest are forgotten first.

The queue uses it to recognise ids that already finished (so a re-offer is a
duplicate) and leases that already ended (so errors can say how and when),
without memory growing with the length of the stream.

>>> recent = Recent(maxlen=2)
>>> recent["a"] = 1; recent["b"] = 2; recent["c"] = 3
>>> "a" in recent, recent.get("c"), len(recent)
(False, 3, 2)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

__all__ = ["Recent"]

V = TypeVar("V")


class Recent(Generic[V]):
    """A map that keeps only its `maxlen` most recently written keys.

    Parameters
    ----------
    maxlen
        How many keys to remember; 0 remembers nothing.
    """

    def __init__(self, maxlen: int) -> None:
        if maxlen < 0:
            raise ValueError(f"maxlen must be >= 0, got {maxlen}")
        self.maxlen = maxlen
        self._data: OrderedDict[str, V] = OrderedDict()

    def __setitem__(self, key: str, value: V) -> None:
        if self.maxlen == 0:
            return
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxlen:
            self._data.popitem(last=False)

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def get(self, key: str) -> V | None:
        """The value remembered for `key`, or None."""
        return self._data.get(key)

    def pop(self, key: str) -> V | None:
        """Forget `key`; return what was remembered for it, or None."""
        return self._data.pop(key, None)

    def values(self) -> Iterator[V]:
        """The remembered values, oldest first."""
        return iter(self._data.values())
