"""A label-free estimate of current accuracy: the mean calibrated confidence.

If the model's top-class confidence were calibrated, its mean over recent
items would be the expected accuracy on them, with no label for any of them
(the idea behind confidence-based performance estimation, CBPE). The raw
confidence of an online model is rarely calibrated, so each confidence first
goes through a `ConfidenceCalibrator` fitted on recent human labels.

>>> import numpy as np
>>> estimate = LabelFreeAccuracy(ConfidenceCalibrator(), window=4)
>>> estimate.value is None
True
>>> estimate.update(np.array([[0.9, 0.1], [0.3, 0.7]]))
>>> round(estimate.value, 2)  # no labels yet: the raw confidences, 0.9 and 0.7
0.8
"""

from __future__ import annotations

from collections import deque

import numpy as np

from stream_al.lag.calibration import ConfidenceCalibrator

__all__ = ["ConfidenceCalibrator", "LabelFreeAccuracy"]


class LabelFreeAccuracy:
    """Mean calibrated confidence of the last `window` scored items.

    Parameters
    ----------
    calibrator
        Maps a confidence to the accuracy recent labels showed at it.
    window
        Items behind the estimate.
    """

    def __init__(self, calibrator: ConfidenceCalibrator, window: int = 1000) -> None:
        self.calibrator = calibrator
        self._values: deque[float] = deque(maxlen=window)
        self._sum = 0.0

    def update(self, proba: np.ndarray) -> None:
        """Add the items of a scored batch (probabilities, one row per item)."""
        if proba.size == 0 or proba.shape[1] < 2:
            return
        values = self._values
        for v in self.calibrator.calibrate(proba.max(axis=1)).tolist():
            if len(values) == values.maxlen:
                self._sum -= values[0]
            values.append(v)
            self._sum += v

    @property
    def value(self) -> float | None:
        """The estimate (None before any item with two or more classes)."""
        return self._sum / len(self._values) if self._values else None
