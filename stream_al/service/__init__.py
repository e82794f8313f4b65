"""The service: the scorer and learner loops behind `stream-al run` and the separate roles.

Each loop handles one polled batch at a time and writes down, in one function,
the order in which effects become durable and offsets are committed.
"""

from stream_al.service.learner import LearnerService, LearnerTopics
from stream_al.service.scorer import BatchReport, QueueSink, Scorer, ScorerTopics, TopicSink

__all__ = [
    "BatchReport",
    "LearnerService",
    "LearnerTopics",
    "QueueSink",
    "Scorer",
    "ScorerTopics",
    "TopicSink",
]
