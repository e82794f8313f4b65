"""Graceful degradation when labels lag: calibration, self-training, throughput."""

from stream_al.lag.calibration import ConfidenceCalibrator
from stream_al.lag.selftrain import SelfTraining

__all__ = ["ConfidenceCalibrator", "SelfTraining"]
