"""Drift detection: detectors on the labelled error stream and on every item's uncertainty.

`make_detector` builds a detector by name (river's ADWIN, Page-Hinkley, KSWIN
and DDM family for errors; `UncertaintyKS` for uncertainties). `DriftMonitor`
runs one of each, raises deduplicated `DriftAlert` records and calls the
registered reactions.
"""

from stream_al.drift.alerts import AlertKind, AlertSource, DriftAlert, Severity
from stream_al.drift.base import DriftDetector
from stream_al.drift.monitor import DriftMonitor
from stream_al.drift.registry import (
    DETECTOR_NAMES,
    LABEL_FREE_DETECTORS,
    LABELLED_DETECTORS,
    make_detector,
)
from stream_al.drift.river_detector import RiverDetector
from stream_al.drift.uncertainty_ks import UncertaintyKS

__all__ = [
    "DETECTOR_NAMES",
    "LABELLED_DETECTORS",
    "LABEL_FREE_DETECTORS",
    "AlertKind",
    "AlertSource",
    "DriftAlert",
    "DriftDetector",
    "DriftMonitor",
    "RiverDetector",
    "Severity",
    "UncertaintyKS",
    "make_detector",
]
