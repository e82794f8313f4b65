"""Label budget: how many labels may be spent, and when."""

from stream_al.budget.quantile import QuantileThreshold
from stream_al.budget.token_bucket import Budget

__all__ = ["Budget", "QuantileThreshold"]
