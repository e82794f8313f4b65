"""Annotators and their bearer tokens: who may lease tasks and submit labels.

Every annotator has a name, a role (``annotator`` or ``admin``) and one
token, shown once when the annotator is added and stored only as its SHA-256
digest. Revoking an annotator makes its token fail with 401; the name stays
taken, so labels stay attributed to one person.

>>> from stream_al.api.annotator_tables import MemoryAnnotatorTable
>>> registry = AnnotatorRegistry(MemoryAnnotatorTable())
>>> token = registry.add("ana")
>>> registry.authenticate(token).name, registry.authenticate(token).role.value
('ana', 'annotator')
>>> _ = registry.revoke("ana")
>>> registry.authenticate(token)
Traceback (most recent call last):
...
stream_al.api.errors.UnauthorizedError: annotator 'ana' was revoked; ask an admin for a new token
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

from pydantic import SecretStr

from stream_al.api.errors import (
    AnnotatorExistsError,
    ConflictError,
    InvalidNameError,
    UnauthorizedError,
    UnknownAnnotatorError,
)

__all__ = ["Annotator", "AnnotatorRegistry", "AnnotatorTable", "Role", "hash_token"]

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")


class Role(StrEnum):
    """What an annotator may do: admins may do everything annotators can, and manage them."""

    ANNOTATOR = "annotator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Annotator:
    """A registered annotator (never its token)."""

    name: str
    role: Role
    created: float
    revoked: float | None = None


class AnnotatorTable(Protocol):
    """Where annotators and their token digests are kept."""

    def insert(self, annotator: Annotator, token_hash: str) -> None:
        """Add one; `AnnotatorExistsError` if the name is taken."""
        ...

    def find_by_hash(self, token_hash: str) -> tuple[Annotator, str] | None:
        """The annotator whose token has this digest, and the stored digest."""
        ...

    def find(self, name: str) -> Annotator | None:
        """The annotator called `name`, if any."""
        ...

    def all(self) -> list[Annotator]:
        """Every annotator, oldest first."""
        ...

    def revoke(self, name: str, at: float) -> None:
        """Mark `name` revoked at `at` (unless it already is)."""
        ...

    def revoked_among(self, names: Collection[str]) -> list[str]:
        """Those of `names` that are registered and revoked."""
        ...

    def close(self) -> None:
        """Release the table."""
        ...


def hash_token(token: str) -> str:
    """The stored form of a token: its SHA-256, in hex.

    Tokens are 256 random bits (`secrets.token_urlsafe`), not passwords a
    person chose: no dictionary can guess them, so a fast hash is the right
    tool and a slow password hash (bcrypt, argon2) would only slow every request.
    """
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AnnotatorRegistry:
    """Adds, lists, revokes and authenticates annotators.

    Parameters
    ----------
    table
        Where annotators are kept: `SqliteAnnotatorTable` (the store's file)
        or `MemoryAnnotatorTable` (a ``":memory:"`` store).
    bootstrap
        ``[api] token``: an optional admin token from the configuration (best
        from the environment, ``STREAM_AL_API__TOKEN``). It is kept so that a
        deployment can start with no registered annotator (containers, a
        ``":memory:"`` store, the quick try-out) and add the others through
        the admin routes. It authenticates as the admin `bootstrap_name`,
        a name that cannot be registered while the token is set. Leave it
        unset to rely on registered annotators only.
    bootstrap_name
        The name the bootstrap token acts as (labels are attributed to it).
    cache_s
        Seconds a token found live is trusted without reading the table again
        (one read per request otherwise). A revocation through this registry
        takes effect at once; one made by another process (``stream-al
        annotators revoke``) within `cache_s`. 0 reads every time.
    """

    #: Most cached tokens; the cache is emptied when it is full.
    CACHE_SIZE = 1024

    def __init__(
        self,
        table: AnnotatorTable,
        bootstrap: SecretStr | None = None,
        bootstrap_name: str = "admin",
        cache_s: float = 1.0,
    ) -> None:
        self.table = table
        self._bootstrap = None if bootstrap is None else hash_token(bootstrap.get_secret_value())
        self.bootstrap_name = bootstrap_name
        self.cache_s = cache_s
        self._cache: dict[str, tuple[Annotator, float]] = {}
        self._cache_lock = threading.Lock()
        self._revoke_lock = threading.Lock()

    def add(self, name: str, role: Role = Role.ANNOTATOR) -> str:
        """Register `name`; returns its token, which is not kept and cannot be shown again."""
        if not _NAME.fullmatch(name):
            raise InvalidNameError(
                "invalid_name",
                f"annotator name {name!r} is not allowed: use 1-64 letters, digits, '.', '_', "
                "'@' or '-', starting with a letter or digit",
            )
        if self._bootstrap is not None and name == self.bootstrap_name:
            raise AnnotatorExistsError(
                "annotator_exists",
                f"{name!r} is the name of the [api] token's admin; choose another name",
            )
        token = secrets.token_urlsafe(32)
        self.table.insert(Annotator(name, Role(role), time.time()), hash_token(token))
        return token

    def authenticate(self, token: str | None) -> Annotator:
        """The live annotator holding `token`; `UnauthorizedError` otherwise."""
        if not token:
            raise UnauthorizedError(
                "unauthorized",
                "no bearer token: send the header 'Authorization: Bearer <token>'",
                reason="no_token",
            )
        digest = hash_token(token)
        if self._bootstrap is not None and hmac.compare_digest(digest, self._bootstrap):
            return Annotator(self.bootstrap_name, Role.ADMIN, 0.0)
        now = time.monotonic()
        with self._cache_lock:
            cached = self._cache.get(digest)
        if cached is not None and cached[1] > now:
            return cached[0]
        annotator = self._look_up(digest)
        if self.cache_s > 0:
            with self._cache_lock:
                if len(self._cache) >= self.CACHE_SIZE:
                    self._cache.clear()
                self._cache[digest] = (annotator, now + self.cache_s)
        return annotator

    def _look_up(self, digest: str) -> Annotator:
        found = self.table.find_by_hash(digest)
        if found is None or not hmac.compare_digest(found[1], digest):
            raise UnauthorizedError(
                "unauthorized",
                "unknown token: check it was copied whole, or ask an admin for a new one "
                "(`stream-al annotators add NAME`)",
                reason="unknown_token",
            )
        annotator = found[0]
        if annotator.revoked is not None:
            raise UnauthorizedError(
                "unauthorized",
                f"annotator {annotator.name!r} was revoked; ask an admin for a new token",
                reason="revoked",
            )
        return annotator

    def get(self, name: str) -> Annotator:
        """The annotator called `name`; `UnknownAnnotatorError` if there is none."""
        annotator = self.table.find(name)
        if annotator is None:
            raise UnknownAnnotatorError(
                "unknown_annotator",
                f"no annotator {name!r}; list them with `stream-al annotators list`",
            )
        return annotator

    def annotators(self) -> list[Annotator]:
        """Every registered annotator, revoked ones too, oldest first."""
        return self.table.all()

    def revoke(self, name: str, keep_an_admin: bool = False) -> Annotator:
        """Make `name`'s token fail from now on; returns the revoked annotator.

        With `keep_an_admin` (the API's revoke route) the last live admin is
        refused with `ConflictError` (409 ``last_admin``), so the API always
        keeps someone who can manage annotators; the ``[api] token`` admin
        counts as live while it is set, and cannot itself be revoked (409
        ``bootstrap_admin``: unset the token instead). `stream-al annotators
        revoke` passes False: whoever holds the store file may revoke anyone.
        """
        with self._revoke_lock:
            if keep_an_admin and self._bootstrap is not None and name == self.bootstrap_name:
                raise ConflictError(
                    "bootstrap_admin",
                    f"{name!r} is the admin of the [api] token: it cannot be revoked through "
                    "the API; unset [api] token (STREAM_AL_API__TOKEN) and restart to end it",
                )
            annotator = self.get(name)
            if keep_an_admin and self.is_last_admin(annotator):
                raise ConflictError(
                    "last_admin",
                    f"{name!r} is the last admin: revoking them would leave no one to manage "
                    "annotators; add another admin first (POST /v1/annotators with role "
                    "'admin'), or use `stream-al annotators revoke` on the server",
                )
            self.table.revoke(name, time.time())
            with self._cache_lock:
                self._cache.clear()
        return self.get(name)

    def is_last_admin(self, annotator: Annotator) -> bool:
        """Whether `annotator` is the one live admin (the [api] token's admin counts)."""
        if annotator.role is not Role.ADMIN or annotator.revoked is not None:
            return False
        if self._bootstrap is not None:
            return False
        return not any(
            a.role is Role.ADMIN and a.revoked is None and a.name != annotator.name
            for a in self.table.all()
        )

    def revoked_among(self, names: Collection[str]) -> list[str]:
        """Those of `names` that are registered and revoked, read from the table now.

        The serving process asks it about the holders of leases, to give back
        the tasks of annotators revoked by another process (`stream-al
        annotators revoke`).
        """
        return self.table.revoked_among(names) if names else []

    def close(self) -> None:
        """Release the table."""
        self.table.close()
