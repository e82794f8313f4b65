"""`stream-al demo`: the whole loop in one process, on simulated time, with a report.

A drifting stream is scored item by item; the rule's picks wait in the
annotation queue for simulated annotators, whose labels reach the learner
late; drift alerts re-arm the rule. `DemoRun` plays it, `make_display` shows
it, and `stream_al.report.write_report` draws it.
"""

from stream_al.demo.annotators import AnnotatorPool, Payload
from stream_al.demo.config import DEFAULT_DATA, DEFAULT_SYNTH_ITEMS, DemoConfig
from stream_al.demo.display import LiveDisplay, PlainDisplay, make_display, route_logging
from stream_al.demo.runner import DemoResult, DemoRun, ProgressFn, run_demo
from stream_al.demo.status import DemoStatus

__all__ = [
    "DEFAULT_DATA",
    "DEFAULT_SYNTH_ITEMS",
    "AnnotatorPool",
    "DemoConfig",
    "DemoResult",
    "DemoRun",
    "DemoStatus",
    "LiveDisplay",
    "Payload",
    "PlainDisplay",
    "ProgressFn",
    "make_display",
    "route_logging",
    "run_demo",
]
