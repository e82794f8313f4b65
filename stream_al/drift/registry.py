"""Drift detectors by name, with defaults for a stream that gets a few hundred labels.

Labelled detectors watch the 0/1 error stream of labelled items (1 = the model
was wrong). River's defaults are tuned for long, fully labelled streams; ours
were measured on 0/1 streams whose error rate jumps from 0.1 to 0.5 (50 seeds,
see ``tests/drift/test_drift_detectors.py``) and favour few false alarms with
short warm-ups:

=============  ===========================================  =================================
name           river class and our defaults                 why
=============  ===========================================  =================================
adwin          ``ADWIN(delta=0.002, clock=1)``              test at every label (river: every
                                                            32nd); labels are rare
page_hinkley   ``PageHinkley(mode="up", threshold=20,       only rises of the error matter;
               delta=0.02)``                                threshold 50 waits ~125 labels
kswin          ``KSWIN(alpha=0.001, window_size=300,        30-item windows miss the jump in
               stat_size=100, seed=0)``                     some streams (0/1 data, ties)
ddm            ``binary.DDM(warm_start=100,                 the defaults raise an early false
               drift_threshold=3.5)``                       alarm in about half the streams
eddm           ``binary.EDDM(warm_start=30, alpha=0.8,      0.95 / 0.9 false-alarm in 46 of
               beta=0.7)``                                  50 streams; still the noisiest
hddm_a         ``binary.HDDMA()``                           defaults are fine
hddm_w         ``binary.HDDMW()``                           defaults are fine
=============  ===========================================  =================================

River's ``binary.FHDDM`` is left out: in river 0.26.1 it alarms when the rate
of ones *falls*, i.e. on an improving error stream.

Label-free detectors watch every item's uncertainty: ``uncertainty_ks``
(`UncertaintyKS`). Any keyword given to `make_detector` overrides a default.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from river import drift

from stream_al.drift.base import DriftDetector
from stream_al.drift.river_detector import RiverDetector
from stream_al.drift.uncertainty_ks import UncertaintyKS
from stream_al.exceptions import DriftError

__all__ = [
    "DETECTOR_NAMES",
    "LABELLED_DETECTORS",
    "LABEL_FREE_DETECTORS",
    "make_detector",
]

_RIVER: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "adwin": (drift.ADWIN, {"delta": 0.002, "clock": 1}),
    "page_hinkley": (drift.PageHinkley, {"mode": "up", "threshold": 20.0, "delta": 0.02}),
    "kswin": (drift.KSWIN, {"alpha": 0.001, "window_size": 300, "stat_size": 100, "seed": 0}),
    "ddm": (drift.binary.DDM, {"warm_start": 100, "drift_threshold": 3.5}),
    "eddm": (drift.binary.EDDM, {"warm_start": 30, "alpha": 0.8, "beta": 0.7}),
    "hddm_a": (drift.binary.HDDMA, {}),
    "hddm_w": (drift.binary.HDDMW, {}),
}

_LABEL_FREE: dict[str, Callable[..., DriftDetector]] = {"uncertainty_ks": UncertaintyKS}

#: Detectors for the 0/1 error stream of labelled items.
LABELLED_DETECTORS: tuple[str, ...] = tuple(_RIVER)
#: Detectors for the uncertainty of every scored item.
LABEL_FREE_DETECTORS: tuple[str, ...] = tuple(_LABEL_FREE)
#: Every name `make_detector` knows.
DETECTOR_NAMES: tuple[str, ...] = LABELLED_DETECTORS + LABEL_FREE_DETECTORS


def make_detector(name: str, **params: Any) -> DriftDetector:
    """Build the detector called `name`; `params` override its defaults.

    Parameters
    ----------
    name
        One of `DETECTOR_NAMES`.
    **params
        Keyword arguments of the underlying class (river's, or `UncertaintyKS`).

    Raises
    ------
    DriftError
        When the name is unknown or the parameters are rejected.

    Examples
    --------
    >>> make_detector("adwin", delta=0.01)
    RiverDetector(ADWIN (...delta=0.01...), name='adwin')
    >>> make_detector("adwn")
    Traceback (most recent call last):
    ...
    stream_al.exceptions.DriftError: unknown drift detector 'adwn'; choose one of ...
    """
    try:
        if name in _RIVER:
            cls, defaults = _RIVER[name]
            return RiverDetector(cls(**{**defaults, **params}), name=name)
        if name in _LABEL_FREE:
            return _LABEL_FREE[name](**params)
    except (TypeError, ValueError) as error:
        raise DriftError(f"cannot build drift detector {name!r} with {params}: {error}") from error
    raise DriftError(f"unknown drift detector {name!r}; choose one of {', '.join(DETECTOR_NAMES)}")
