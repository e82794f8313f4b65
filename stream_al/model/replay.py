"""A bounded memory of labelled vectors that a network replays while it learns online.

The buffer is FIFO (a ring): when full, the newest label replaces the oldest.
Reservoir sampling would keep a uniform sample of the whole stream, labels
from concepts that drifted away included; on evolving data the recent labels
are the ones worth rehearsing, so a sliding window suits better. Memory is
``capacity × dim`` floats, whatever the length of the stream.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ReplayBuffer"]


class ReplayBuffer:
    """The last `capacity` labelled vectors, with their class index and weight.

    Parameters
    ----------
    capacity
        Most vectors kept.
    dim
        Length of every vector.

    Examples
    --------
    >>> buf = ReplayBuffer(capacity=2, dim=1)
    >>> for i in range(3):
    ...     buf.add(np.array([float(i)]), label=i, weight=1.0)
    >>> len(buf), sorted(buf.y.tolist())
    (2, [1, 2])
    """

    def __init__(self, capacity: int, dim: int) -> None:
        self.capacity = capacity
        self._x = np.zeros((capacity, dim), dtype=np.float32)
        self._y = np.zeros(capacity, dtype=np.int64)
        self._w = np.zeros(capacity, dtype=np.float32)
        self._size = 0
        self._next = 0

    def __len__(self) -> int:
        return self._size

    @property
    def x(self) -> np.ndarray:
        """Stored vectors, shape ``(len(self), dim)`` (a view, oldest first once wrapped)."""
        return self._x[: self._size]

    @property
    def y(self) -> np.ndarray:
        """Class indices of the stored vectors."""
        return self._y[: self._size]

    @property
    def w(self) -> np.ndarray:
        """Weights of the stored vectors."""
        return self._w[: self._size]

    def add(self, x: np.ndarray, label: int, weight: float) -> None:
        """Keep one labelled vector, dropping the oldest when full."""
        i = self._next
        self._x[i] = x
        self._y[i] = label
        self._w[i] = weight
        self._next = (i + 1) % self.capacity
        self._size = min(self._size + 1, self.capacity)

    def state(self) -> dict[str, np.ndarray | int]:
        """The contents, for a checkpoint (arrays and ints only)."""
        return {"x": self.x.copy(), "y": self.y.copy(), "w": self.w.copy(), "next": self._next}

    def restore(self, x: np.ndarray, y: np.ndarray, w: np.ndarray, next_slot: int) -> None:
        """Put back the contents `state` returned (shapes are checked)."""
        n = len(y)
        if n > self.capacity or x.shape != (n, self._x.shape[1]) or w.shape != (n,):
            raise ValueError(
                f"replay of {n} vectors of shape {x.shape} does not fit a buffer of "
                f"{self.capacity} × {self._x.shape[1]}"
            )
        if not 0 <= next_slot < self.capacity:
            raise ValueError(f"replay position {next_slot} outside 0..{self.capacity - 1}")
        self._x[:n], self._y[:n], self._w[:n] = x, y, w
        self._size, self._next = n, next_slot
