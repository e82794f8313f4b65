"""The annotation queue: a bounded, time-decayed priority buffer that annotators lease from.

See `stream_al.queue.annotation_queue` for the semantics (capacity, leases,
skips, item TTL, duplicates) and `stream_al.queue.store` for persistence.
"""

from stream_al.queue.annotation_queue import AnnotationQueue, OnFull
from stream_al.queue.store import MemoryQueueStore, QueueStore, TaskRecord
from stream_al.queue.task import (
    ExpireReport,
    Lease,
    LeaseOutcome,
    OfferResult,
    QueueStats,
    RejectReason,
    Task,
    TaskState,
    task_score,
)

__all__ = [
    "AnnotationQueue",
    "ExpireReport",
    "Lease",
    "LeaseOutcome",
    "MemoryQueueStore",
    "OfferResult",
    "OnFull",
    "QueueStats",
    "QueueStore",
    "RejectReason",
    "Task",
    "TaskRecord",
    "TaskState",
    "task_score",
]
