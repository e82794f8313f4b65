"""Diverse leases: one lease of several tasks holds no two near-duplicates.

Uncertainty sampling in batches tends to pick many near-identical items (the
same spam text sent a hundred times is uncertain a hundred times); an
annotator then labels one thing many times. Batch-mode active learning
therefore trades informativeness against redundancy within a batch (Brinker
2003, *Incorporating diversity in active learning with support vector
machines*, ICML). `Diversity` does the cheap version of this: while one lease
picks its tasks in priority order, a candidate whose cosine similarity to a
task already picked *for this lease* exceeds `max_similarity` is passed over.
It stays queued, with its priority, for the next lease.

A lease looks at no more than ``look_ahead × n`` candidates, so it stays
O((n·look_ahead + s)·log N) (s: tasks the annotator skipped before); a queue
of near-duplicates hence gives a short lease rather than a long scan. Tasks
without a vector are never passed over.

Vectors come from injected functions (``vector_of``, and optionally
``vectors_of`` for the candidates a lease pops together), computed at most once
per item and kept in a bounded map that forgets a task when it leaves the
queue. Like the rest of the queue, this module imports nothing outside the
standard library: a vector is any 1-D array with ``@`` (a numpy array), and
`text_vectors` builds both functions from any `TextEmbedder`.

>>> import numpy as np
>>> from stream_al.queue.task import Task
>>> vectors = {"a": [1.0, 0.0], "b": [0.99, 0.1], "c": [0.0, 1.0]}
>>> diversity = Diversity(lambda task: np.array(vectors[task.item_id]), max_similarity=0.9)
>>> picks = diversity.picks(n=2)
>>> [picks.take(Task(i, 0.5, 0.0)) for i in "abc"], picks.passed
([True, False, True], 1)
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from stream_al.exceptions import ConfigError
from stream_al.queue.task import Task

if TYPE_CHECKING:
    from stream_al.features.base import TextEmbedder

__all__ = [
    "Diversity",
    "Picks",
    "TextVectors",
    "Vector",
    "VectorOf",
    "VectorsOf",
    "payload_text",
    "text_vectors",
]

logger = logging.getLogger(__name__)


class Vector(Protocol):
    """A 1-D array of numbers with a dot product ``@``: in practice a numpy array."""

    @property
    def shape(self) -> tuple[int, ...]:
        """``(length,)``."""
        ...

    def __matmul__(self, other: Any, /) -> Any: ...

    def __truediv__(self, other: Any, /) -> Any: ...


#: A task's vector for the diversity check, or None when it has none.
VectorOf = Callable[[Task], "Vector | None"]
#: The vectors of several tasks at once (one embedding batch), in their order.
VectorsOf = Callable[[Sequence[Task]], "Sequence[Vector | None]"]


class Diversity:
    """Keeps near-duplicates (by cosine similarity) out of one lease.

    Parameters
    ----------
    vector_of
        A task's vector, or None (then it is never passed over). Called at
        most once per live item; an error is logged and counts as None, so a
        failing embedder never blocks leasing.
    max_similarity
        Cosine similarity, in (0, 1], above which a candidate is passed over;
        1.0 passes nothing over.
    look_ahead
        A lease of `n` tasks looks at no more than ``look_ahead × n`` candidates.
    cache_size
        Vectors remembered (the oldest go first when full); about the queue's
        capacity.
    vectors_of
        Optional: the vectors of several tasks in one call, used for the
        candidates a lease pops together (a sentence model embeds a batch far
        faster than its texts one by one); errors as for `vector_of`.

    Examples
    --------
    >>> import numpy as np
    >>> from stream_al.queue.task import Task
    >>> diversity = Diversity(lambda task: np.ones(3), max_similarity=0.95, look_ahead=2)
    >>> picks = diversity.picks(n=1)
    >>> picks.take(Task("x", 0.9, 0.0)), picks.take(Task("y", 0.8, 0.0)), picks.open
    (True, False, False)
    """

    def __init__(
        self,
        vector_of: VectorOf,
        max_similarity: float = 0.9,
        look_ahead: int = 8,
        cache_size: int = 10_000,
        *,
        vectors_of: VectorsOf | None = None,
    ) -> None:
        if not 0.0 < max_similarity <= 1.0:
            raise ConfigError(
                f"diversity max_similarity must be a cosine similarity in (0, 1], "
                f"got {max_similarity}; 1.0 turns it off"
            )
        if look_ahead < 1:
            raise ConfigError(f"diversity look_ahead must be at least 1, got {look_ahead}")
        if cache_size < 0:
            raise ConfigError(f"diversity cache_size must be >= 0, got {cache_size}")
        self.vector_of = vector_of
        self.vectors_of = vectors_of
        self.max_similarity = float(max_similarity)
        self.look_ahead = int(look_ahead)
        self.cache_size = int(cache_size)
        self._vectors: dict[str, Vector | None] = {}

    def __len__(self) -> int:
        """Vectors remembered."""
        return len(self._vectors)

    def picks(self, n: int) -> Picks:
        """The picker of one lease of up to `n` tasks."""
        return Picks(self, n)

    def vector(self, task: Task) -> Vector | None:
        """The task's unit vector (computed once per item id), or None."""
        item_id = task.item_id
        if item_id in self._vectors:
            return self._vectors[item_id]
        try:
            raw = self.vector_of(task)
        except Exception:  # the lease goes on without this vector; say why
            logger.exception("diversity.vector_failed item_id=%s", item_id)
            raw = None
        return self._keep(task, raw)

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Compute the vectors of `tasks` not known yet, in one `vectors_of` call if given."""
        new = list({t.item_id: t for t in tasks if t.item_id not in self._vectors}.values())
        if self.vectors_of is None or len(new) < 2:
            for task in new:
                self.vector(task)
            return
        try:
            raws = list(self.vectors_of(new))
            if len(raws) != len(new):
                raise ValueError(f"vectors_of gave {len(raws)} vectors for {len(new)} tasks")
        except Exception:  # the lease goes on without these vectors; say why
            logger.exception("diversity.vectors_failed tasks=%d", len(new))
            raws = [None] * len(new)
        for task, raw in zip(new, raws, strict=True):
            self._keep(task, raw)

    def forget(self, item_id: str) -> None:
        """Drop the vector of `item_id` (its task left the queue)."""
        self._vectors.pop(item_id, None)

    def _keep(self, task: Task, raw: Vector | None) -> Vector | None:
        """Remember the unit vector of `raw` (None if unusable) for the task; return it."""
        vector = None if raw is None else _unit(task, raw)
        if self.cache_size > 0:
            while len(self._vectors) >= self.cache_size:
                del self._vectors[next(iter(self._vectors))]  # the oldest
            self._vectors[task.item_id] = vector
        return vector


def _unit(task: Task, raw: Vector) -> Vector | None:
    """`raw` scaled to length 1; None (and a warning) unless a nonzero finite 1-D array."""
    shape = tuple(getattr(raw, "shape", ()))
    norm = math.sqrt(float(raw @ raw)) if len(shape) == 1 and shape[0] > 0 else math.nan
    if not (math.isfinite(norm) and norm > 0.0):
        logger.warning(
            "diversity.vector_unusable item_id=%s shape=%s norm=%s (want a 1-D nonzero "
            "finite array)",
            task.item_id,
            shape,
            norm,
        )
        return None
    unit: Vector = raw / norm
    return unit


class Picks:
    """The tasks one lease picked so far; decides on each next candidate.

    Parameters
    ----------
    diversity
        The vectors and the similarity limit.
    n
        Tasks the lease asks for; it may look at ``look_ahead × n`` candidates.
    """

    def __init__(self, diversity: Diversity, n: int) -> None:
        self._diversity = diversity
        self._looks_left = diversity.look_ahead * max(n, 0)
        self._picked: list[Vector] = []
        #: Candidates passed over as too similar to a pick.
        self.passed = 0

    @property
    def open(self) -> bool:
        """Whether the lease may look at another candidate."""
        return self._looks_left > 0

    def room(self, want: int) -> int:
        """How many candidates to pop next when `want` more tasks are wanted."""
        return max(0, min(want, self._looks_left))

    def prepare(self, tasks: Sequence[Task]) -> None:
        """Compute the vectors of the candidates about to be looked at, together."""
        self._diversity.prepare(tasks)

    def take(self, task: Task) -> bool:
        """Whether to lease `task` (then it counts as picked); one look either way."""
        self._looks_left -= 1
        vector = self._diversity.vector(task)
        if vector is None:
            return True
        limit = self._diversity.max_similarity
        if limit < 1.0:
            for picked in self._picked:
                if picked.shape == vector.shape and float(picked @ vector) > limit:
                    self.passed += 1
                    return False
        self._picked.append(vector)
        return True


def payload_text(task: Task) -> str | None:
    """The text of the item in the task's payload (the scorer's ``{"item": {...}}``), if any.

    >>> payload_text(Task("1", 0.5, 0.0, payload={"item": {"id": "1", "text": "hi"}}))
    'hi'
    >>> payload_text(Task("2", 0.5, 0.0, payload={"item": {"id": "2"}})) is None
    True
    """
    payload: Any = task.payload
    item = payload.get("item") if isinstance(payload, dict) else None
    text = item.get("text") if isinstance(item, dict) else None
    return text if isinstance(text, str) and text.strip() else None


class TextVectors:
    """Vectors of the item texts of tasks, from a `TextEmbedder`: one task or a batch.

    Items without text get no vector (None): their numeric features have no
    common scale, and the cosine of raw feature vectors (all positive, say)
    would call most of them near-duplicates. They are never passed over.

    Parameters
    ----------
    embedder
        Turns texts into unit vectors.

    Examples
    --------
    >>> from stream_al.features.hashing import HashingEmbedder
    >>> vectors = TextVectors(HashingEmbedder(dim=16))
    >>> with_text = Task("1", 0.5, 0.0, payload={"item": {"id": "1", "text": "hi"}})
    >>> no_text = Task("2", 0.5, 0.0)
    >>> vectors(with_text).shape, [v is None for v in vectors.many([with_text, no_text])]
    ((16,), [False, True])
    """

    def __init__(self, embedder: TextEmbedder) -> None:
        self.embedder = embedder

    def __call__(self, task: Task) -> Vector | None:
        """The vector of the task's item text, or None."""
        return self.many([task])[0]

    def many(self, tasks: Sequence[Task]) -> list[Vector | None]:
        """The vectors of the tasks' item texts (one embedding call), None where no text."""
        texts = [payload_text(task) for task in tasks]
        known = [text for text in texts if text is not None]
        rows = iter(self.embedder.embed_many(known)) if known else iter(())
        return [None if text is None else next(rows) for text in texts]


def text_vectors(embedder: TextEmbedder) -> TextVectors:
    """`TextVectors` of `embedder`: a ``vector_of``, with ``.many`` for ``vectors_of``."""
    return TextVectors(embedder)
