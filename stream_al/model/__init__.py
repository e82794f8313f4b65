"""Models: incremental classifiers behind one protocol."""

from stream_al.model.base import CommitteeModel, Model
from stream_al.model.factory import MODELS, make_model
from stream_al.model.river_model import RiverModel

__all__ = ["MODELS", "CommitteeModel", "Model", "RiverModel", "make_model"]
