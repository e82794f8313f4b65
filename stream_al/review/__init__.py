"""Label quality: when overlapping labels settle an item, and how well annotators agree.

Pure logic (no I/O): `judge` decides from an item's labels; `Agreement` keeps
Cohen's kappa. The annotation API applies them (`stream_al.api.reviews`).
"""

from stream_al.review.agreement import Agreement, Kappa
from stream_al.review.consensus import MOST_LABELS, Verdict, VerdictKind, judge, label_key

__all__ = ["MOST_LABELS", "Agreement", "Kappa", "Verdict", "VerdictKind", "judge", "label_key"]
