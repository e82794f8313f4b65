"""Heaps with removal by id, for the queue's orderings.

A binary heap cannot remove an arbitrary element cheaply, so removal is lazy:
the heap keeps a map ``id -> sort key`` of its live members, and an entry whose
key no longer matches that map is garbage, skipped when it reaches the top.
When garbage outnumbers live entries the heap is rebuilt from the map, so its
size stays below ``2·live + slack`` whatever the number of operations: memory
is bounded by the queue's capacity. Push, pop and remove cost O(log n) amortized.

>>> index = PriorityIndex()
>>> for item_id, key, seq in [("a", 1.0, 0), ("b", 3.0, 1), ("c", 2.0, 2)]:
...     index.push(item_id, key, seq)
>>> index.remove("b")
>>> index.pop_max(), index.peek_min()
('c', 'a')
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator

__all__ = ["LazyHeap", "PriorityIndex"]

#: How a heap sorts: a (primary, tie-break) pair, smallest first.
SortKey = tuple[float, int]


class LazyHeap:
    """A min-heap of ids by sort key, with O(log n) amortized removal by id.

    Parameters
    ----------
    slack
        Garbage allowed on top of the live entries before a rebuild.

    Examples
    --------
    >>> heap = LazyHeap()
    >>> heap.push("x", (2.0, 0)); heap.push("y", (1.0, 1))
    >>> heap.discard("y")
    >>> heap.peek()
    ((2.0, 0), 'x')
    >>> heap.pop(), len(heap)
    ('x', 0)
    """

    def __init__(self, slack: int = 64) -> None:
        self._heap: list[tuple[SortKey, str]] = []
        self._live: dict[str, SortKey] = {}
        self._slack = slack

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._live

    def __iter__(self) -> Iterator[str]:
        return iter(self._live)

    @property
    def size(self) -> int:
        """Entries held, live and garbage (bounded by ``2·len + slack``)."""
        return len(self._heap)

    def push(self, item_id: str, key: SortKey) -> None:
        """Add `item_id` with sort key `key`; it must not be in the heap."""
        if item_id in self._live:
            raise KeyError(f"{item_id!r} is already in the heap")
        self._live[item_id] = key
        heapq.heappush(self._heap, (key, item_id))
        self._compact_if_needed()

    def discard(self, item_id: str) -> None:
        """Remove `item_id` if present (lazily)."""
        if self._live.pop(item_id, None) is not None:
            self._compact_if_needed()

    def peek(self) -> tuple[SortKey, str] | None:
        """The smallest live entry, without removing it."""
        heap, live = self._heap, self._live
        while heap and live.get(heap[0][1]) != heap[0][0]:
            heapq.heappop(heap)
        return heap[0] if heap else None

    def pop(self) -> str | None:
        """Remove and return the id with the smallest sort key."""
        top = self.peek()
        if top is None:
            return None
        heapq.heappop(self._heap)
        del self._live[top[1]]
        return top[1]

    def rebuild(self, entries: Iterable[tuple[str, SortKey]]) -> None:
        """Replace the whole content with `entries`, in O(n)."""
        self._live = dict(entries)
        self._heap = [(key, item_id) for item_id, key in self._live.items()]
        heapq.heapify(self._heap)

    def _compact_if_needed(self) -> None:
        if len(self._heap) > 2 * len(self._live) + self._slack:
            self.rebuild(list(self._live.items()))


class PriorityIndex:
    """Queued ids by priority key: pop the highest, evict the lowest.

    The order is a total order on ``(key desc, seq asc)``: among equal keys the
    earliest `seq` is leased first and the latest evicted first.
    """

    def __init__(self, slack: int = 64) -> None:
        self._max = LazyHeap(slack)  # sort key (-key, seq)
        self._min = LazyHeap(slack)  # sort key (key, -seq)

    def __len__(self) -> int:
        return len(self._max)

    def __contains__(self, item_id: object) -> bool:
        return item_id in self._max

    def __iter__(self) -> Iterator[str]:
        return iter(self._max)

    @property
    def size(self) -> int:
        """Heap entries held by both heaps, live and garbage."""
        return self._max.size + self._min.size

    def push(self, item_id: str, key: float, seq: int) -> None:
        """Add a queued id with priority `key` and tie-break `seq`."""
        self._max.push(item_id, (-key, seq))
        self._min.push(item_id, (key, -seq))

    def remove(self, item_id: str) -> None:
        """Remove a queued id, if present."""
        self._max.discard(item_id)
        self._min.discard(item_id)

    def pop_max(self) -> str | None:
        """Remove and return the id of highest priority."""
        item_id = self._max.pop()
        if item_id is not None:
            self._min.discard(item_id)
        return item_id

    def peek_max(self) -> str | None:
        """The id of highest priority, left in place."""
        top = self._max.peek()
        return None if top is None else top[1]

    def peek_min(self) -> str | None:
        """The id of lowest priority (the next to evict), left in place."""
        top = self._min.peek()
        return None if top is None else top[1]

    def rebuild(self, entries: Iterable[tuple[str, float, int]]) -> None:
        """Replace the whole content with ``(id, key, seq)`` entries, in O(n)."""
        entries = list(entries)
        self._max.rebuild((i, (-k, s)) for i, k, s in entries)
        self._min.rebuild((i, (k, -s)) for i, k, s in entries)
