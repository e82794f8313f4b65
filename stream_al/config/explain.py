"""Turn pydantic's validation errors into one message naming each bad field.

Each line names the field path (``strategy.budget``), says what is wrong and
what was given, and where to fix it (the file, or the environment variable
that set it). Values of secret-looking fields, of unknown keys and of whole
sections are never repeated: they may hold passwords.

>>> from pydantic import BaseModel, Field, ValidationError
>>> class Strategy(BaseModel):
...     budget: float = Field(0.05, le=1.0)
>>> class Root(BaseModel):
...     strategy: Strategy
>>> try:
...     Root(strategy={"budget": 2.0})
... except ValidationError as error:
...     print(explain(error, Root, "a.toml", environ={}))
strategy.budget: must be ≤ 1.0 (got 2.0); set it in a.toml or STREAM_AL_STRATEGY__BUDGET
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

__all__ = ["ENV_PREFIX", "env_name", "explain"]

#: Prefix of the environment variables that override the file.
ENV_PREFIX = "STREAM_AL_"
_SECRET_WORDS = ("password", "secret", "token", "key")
_PROBLEMS = {
    "less_than_equal": "must be ≤ {le}",
    "less_than": "must be < {lt}",
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "literal_error": "must be one of {expected}",
    "missing": "is required",
    "string_too_short": "must not be empty",
    "too_short": "must have at least {min_length} item(s)",
}


def env_name(path: Sequence[str]) -> str:
    """The environment variable that sets the field at `path`."""
    return ENV_PREFIX + "__".join(part.upper() for part in path)


def explain(
    error: ValidationError,
    root: type[BaseModel],
    source: str | Path | None,
    environ: Mapping[str, str],
) -> str:
    """One line per distinct bad field of `error`, raised while building `root`."""
    where = str(source) if source is not None else "the config file"
    env_keys = {key.upper() for key in environ}
    lines: dict[str, str] = {}
    for detail in error.errors():
        path = _path(detail)
        dotted = ".".join(path) or "(top level)"
        if dotted not in lines:
            lines[dotted] = _line(detail, path, root, where, env_keys)
    return "\n".join(lines.values())


def _path(detail: ErrorDetails) -> list[str]:
    """The field path: type tags of unions dropped, a sub-field named by the context added."""
    path = [str(part) for part in detail["loc"] if not _is_tag(part)]
    field = (detail.get("ctx") or {}).get("field")
    if field:
        path.extend(str(field).split("."))
    return path


def _is_tag(part: int | str) -> bool:
    """Whether a location part names a union member (``list[str]``) rather than a field."""
    return (
        isinstance(part, int)
        or any(c in part for c in "[](),'")
        or part
        in {
            "str",
            "int",
            "float",
            "bool",
            "none",
            "function-after",
            "function-before",
        }
    )


def _line(
    detail: ErrorDetails, path: list[str], root: type[BaseModel], where: str, env_keys: set[str]
) -> str:
    dotted = ".".join(path)
    # the variable that set it: its own, or one holding its whole section as JSON; a client
    # option's name may hold dots (librdkafka's), which no variable name can: the table's
    setters = [env_name(path[:k]) for k in range(len(path), 0, -1)]
    own = path[: path.index("client_options") + 1] if "client_options" in path[:-1] else path
    env = next((name for name in setters if name in env_keys), env_name(own))
    from_env = env in env_keys
    if detail["type"] == "extra_forbidden":
        known = _known_keys(root, path[:-1])
        close = difflib.get_close_matches(path[-1], known, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        owner = _section_with(root, path[-1]) if len(path) == 1 else None
        if owner:
            hint = f"it belongs in the [{owner}] section; "
        fix = f"unset {env}" if from_env else f"remove it from {where}"
        return f"{dotted}: unknown key; {hint}{fix} (known keys here: {', '.join(known)})"
    problem = _problem(detail)
    shown = None if _hidden(path, detail["input"]) else repr(detail["input"])
    if shown is not None:
        got = f" (got {shown} from {env})" if from_env else f" (got {shown})"
    else:
        got = f" (from {env})" if from_env else ""
    if (detail.get("ctx") or {}).get("remove"):
        fix = f"unset {env}" if from_env else f"remove it from {where}"
    else:
        fix = f"fix or unset {env}" if from_env else f"set it in {where} or {env}"
    return f"{dotted}: {problem}{got}; {fix}"


def _problem(detail: ErrorDetails) -> str:
    template = _PROBLEMS.get(detail["type"])
    ctx = detail.get("ctx") or {}
    if template is not None:
        try:
            return template.format(**ctx)
        except KeyError:
            pass
    message = detail["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def _hidden(path: list[str], value: Any) -> bool:
    """Whether the given value must not be shown (secret-looking, or not a plain value)."""
    if any(word in part.lower() for part in path for word in _SECRET_WORDS):
        return True
    if "client" in path or "client_options" in path:  # any client setting may be a secret
        return True
    if not isinstance(value, str | int | float | bool) or value is None:
        return True
    return len(repr(value)) > 120


def _model_at(root: type[BaseModel], path: Sequence[str]) -> type[BaseModel] | None:
    model: type[BaseModel] | None = root
    for part in path:
        if model is None or part not in model.model_fields:
            return None
        model = _model_of(model.model_fields[part].annotation)
    return model


def _model_of(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def _known_keys(root: type[BaseModel], path: Sequence[str]) -> list[str]:
    model = _model_at(root, path)
    return sorted(model.model_fields) if model is not None else []


def _section_with(root: type[BaseModel], key: str) -> str | None:
    """The top-level section that has a field called `key`, if any."""
    for name, field in root.model_fields.items():
        model = _model_of(field.annotation)
        if model is not None and key in model.model_fields:
            return name
    return None
