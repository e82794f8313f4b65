"""The web page tests reuse the API tests' server harness (``tests/api/api_harness.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "api"))
