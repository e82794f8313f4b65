"""Labelled streams to learn from, in order: data files and synthetic drifting generators.

``open_stream`` reads an ARFF, CSV or TSV file (compressed or not) row by row,
or runs one of river's synthetic generators with concept drift
(``synth:sea``, ``synth:agrawal``, ``synth:stagger``, ``synth:hyperplane``,
``synth:rbf``). Every example is an `Example` of an `Item` and a string label.

>>> from stream_al.datasets import SYNTHETIC, open_stream
>>> sorted(SYNTHETIC)
['agrawal', 'hyperplane', 'rbf', 'sea', 'stagger']
>>> stream = open_stream("synth:sea?n=200", seed=7)
>>> stream.info.drifts, stream.info.n_items
([100], 200)
"""

from stream_al.datasets.base import FeatureKind, Stream, StreamInfo
from stream_al.datasets.opener import open_stream
from stream_al.datasets.synthetic import SYNTHETIC

__all__ = ["SYNTHETIC", "FeatureKind", "Stream", "StreamInfo", "open_stream"]
