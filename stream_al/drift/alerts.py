"""The alert record: what fired, where in the stream, how strongly, in words.

Alerts travel as JSON (the alerts topic, the webhook, the store), so the
record is flat and `to_dict` returns only JSON types.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, Literal, get_args

from stream_al.exceptions import DriftError

__all__ = ["AlertKind", "AlertSource", "DriftAlert", "Severity"]

#: What happened: a drift; a labeling lag, or records a role kept failing on (raised
#: elsewhere, same record).
AlertKind = Literal["drift", "label_lag", "stream_failure"]
#: How urgent: labelled drift is confirmed by labels, label-free drift is a hint.
Severity = Literal["warning", "critical"]
#: Which stream the detector watched; ``"queue"``: the annotation queue (labeling lag);
#: ``"stream"``: a role's input records (a stream failure).
AlertSource = Literal["labelled", "label_free", "queue", "stream"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftAlert:
    """One alert raised by the drift monitor.

    Attributes
    ----------
    kind
        ``"drift"`` (``"label_lag"`` is reserved for labeling-lag alerts,
        ``"stream_failure"`` for records a role isolated after failing on them).
    severity
        ``"warning"`` or ``"critical"``.
    detector
        The name of the detector that fired.
    source
        ``"labelled"`` (error stream of labelled items), ``"label_free"``
        (uncertainty of every item), ``"queue"`` (labeling lag) or ``"stream"``
        (a role's input records).
    statistic
        The detector's statistic when it fired (nan when it has none).
    position
        Where in the item stream the monitor was (items seen so far).
    time
        Clock time in seconds.
    message
        One human-readable sentence.

    Examples
    --------
    >>> alert = DriftAlert(kind="drift", severity="critical", detector="adwin",
    ...                    source="labelled", statistic=0.42, position=1040,
    ...                    time=12.5, message="error rate rose")
    >>> alert.to_dict()["position"]
    1040
    >>> DriftAlert.from_dict(alert.to_dict()) == alert
    True
    """

    kind: AlertKind
    severity: Severity
    detector: str
    source: AlertSource
    statistic: float
    position: int
    time: float
    message: str

    def __post_init__(self) -> None:
        for name, allowed in (
            ("kind", get_args(AlertKind)),
            ("severity", get_args(Severity)),
            ("source", get_args(AlertSource)),
        ):
            if getattr(self, name) not in allowed:
                raise DriftError(
                    f"DriftAlert.{name} must be one of {allowed}, got {getattr(self, name)!r}"
                )
        if self.position < 0:
            raise DriftError(f"DriftAlert.position must be >= 0, got {self.position}")

    def to_dict(self) -> dict[str, Any]:
        """The alert as JSON-ready types; a non-finite statistic becomes None."""
        return {
            "kind": self.kind,
            "severity": self.severity,
            "detector": self.detector,
            "source": self.source,
            "statistic": float(self.statistic) if math.isfinite(self.statistic) else None,
            "position": int(self.position),
            "time": float(self.time),
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DriftAlert:
        """Rebuild an alert from `to_dict` output (e.g. read back from the alerts topic)."""
        missing = [f.name for f in fields(cls) if f.name not in data]
        if missing:
            raise DriftError(f"alert record lacks {', '.join(missing)}; got {dict(data)}")
        statistic = data["statistic"]
        return cls(
            kind=data["kind"],
            severity=data["severity"],
            detector=str(data["detector"]),
            source=data["source"],
            statistic=math.nan if statistic is None else float(statistic),
            position=int(data["position"]),
            time=float(data["time"]),
            message=str(data["message"]),
        )
