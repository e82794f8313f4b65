"""Model blobs are checked before use: a SHA-256 digest, and an HMAC with the store's key.

The digest catches damage; the HMAC (keyed with a secret only this store
knows) catches a blob or metadata that someone else wrote into the database
file. Only blobs passing both are handed out, which is what makes it safe to
unpickle them: pickle is used for checkpoints this store wrote itself, never
for data from elsewhere.

The key lives in a file beside the database (``<db>.key``, mode 0600),
created on first use. Whoever can read it can forge checkpoints: keep it as
private as the database. Losing it makes earlier checkpoints unverifiable.

>>> key = b"k" * 32
>>> digest = blob_digest(b"weights")
>>> mac = seal(key, "clf", "1", digest, "{}")
>>> verify(key, "clf", "1", b"weights", digest, mac, "{}")
>>> verify(key, "clf", "1", b"weightz", digest, mac, "{}")
Traceback (most recent call last):
...
stream_al.store.errors.IntegrityCheckError: model 'clf' version '1': ...
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
from pathlib import Path

from stream_al.store.errors import IntegrityCheckError, StoreError

__all__ = ["KEY_BYTES", "blob_digest", "load_or_create_key", "seal", "verify"]

logger = logging.getLogger(__name__)

#: Length of the store's secret key.
KEY_BYTES = 32


def blob_digest(blob: bytes) -> str:
    """SHA-256 of `blob`, hex."""
    return hashlib.sha256(blob).hexdigest()


def seal(key: bytes, name: str, version: str, digest: str, metadata_json: str) -> str:
    """HMAC-SHA-256 binding name, version, digest and metadata together."""
    message = json.dumps([name, version, digest, metadata_json]).encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def verify(
    key: bytes,
    name: str,
    version: str,
    blob: bytes,
    digest: str,
    mac: str,
    metadata_json: str,
) -> None:
    """Raise `IntegrityCheckError` unless `blob` matches `digest` and `mac` is ours."""
    where = f"model {name!r} version {version!r}"
    actual = blob_digest(blob)
    if not hmac.compare_digest(actual, digest):
        logger.error("store.integrity_failed model=%s version=%s check=digest", name, version)
        raise IntegrityCheckError(
            f"{where}: the blob does not match its SHA-256 digest (stored {digest[:12]}..., "
            f"computed {actual[:12]}...); it was damaged or modified outside stream-al. "
            "Refusing to load it: restore the store from a backup, or save a new version"
        )
    if not hmac.compare_digest(seal(key, name, version, digest, metadata_json), mac):
        logger.error("store.integrity_failed model=%s version=%s check=hmac", name, version)
        raise IntegrityCheckError(
            f"{where}: the blob or its metadata was not written by this store (HMAC mismatch; "
            "another key file, or a modified database). Refusing to load it: save a new version"
        )


def load_or_create_key(path: Path) -> bytes:
    """The secret key in `path`, created (0600, atomically) if there is none yet."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        _create_key(path)
        key = path.read_bytes()
    except OSError as error:
        raise StoreError(f"store key file {path} cannot be read: {error.strerror}") from error
    if len(key) != KEY_BYTES:
        raise StoreError(
            f"store key file {path} is damaged ({len(key)} bytes, expected {KEY_BYTES}); "
            "restore it from a backup (models saved with another key will not verify)"
        )
    if os.name == "posix" and path.stat().st_mode & 0o077:
        logger.warning("store.key_permissions path=%s advice='chmod 600'", path)
    return key


def _create_key(path: Path) -> None:
    """Write a new key to a private temporary file, then link it into place.

    Linking fails if another process created the key first; theirs is kept,
    so every process of a store ends up with the same key.
    """
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(secrets.token_bytes(KEY_BYTES))
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(tmp, path)
            logger.info("store.key_created path=%s", path)
        except FileExistsError:
            pass  # another process won the race; use its key
    finally:
        tmp.unlink(missing_ok=True)
