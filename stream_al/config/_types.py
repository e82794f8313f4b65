"""Value types shared by the config sections: lists and "none" from text.

TOML has no null, and an environment variable is always a string, so two
small conversions make every field settable from both:

- a list field takes a TOML array, a JSON array (``'["a", "b"]'``) or a
  comma-separated string (``"a,b"``);
- an optional field takes ``"none"`` (or ``"null"``, ``"off"``) for None.

>>> split_list("kafka-1:9092, kafka-2:9092")
['kafka-1:9092', 'kafka-2:9092']
>>> split_list('["a", "b"]'), none_word("Off"), none_word(3)
(['a', 'b'], None, 3)
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_settings import NoDecode

__all__ = ["NONE_WORDS", "Section", "StrList", "none_word", "split_list"]

#: Strings read as None by optional fields.
NONE_WORDS = frozenset({"none", "null", "off"})


def split_list(value: Any) -> Any:
    """A list from a JSON array or a comma-separated string; anything else unchanged."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)  # a JSONDecodeError is a ValueError: reported on the field
    return [part.strip() for part in text.split(",") if part.strip()]


def none_word(value: Any) -> Any:
    """None for ``"none"``, ``"null"`` or ``"off"`` (any case); anything else unchanged."""
    if isinstance(value, str) and value.strip().lower() in NONE_WORDS:
        return None
    return value


#: A list of strings settable from TOML, JSON or ``"a,b,c"``.
StrList = Annotated[list[str], NoDecode, BeforeValidator(split_list)]


class Section(BaseModel):
    """Base of every config section: immutable, and unknown keys are an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")
