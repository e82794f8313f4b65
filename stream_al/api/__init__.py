"""The annotation API: annotators lease tasks, submit labels and read the stats over HTTP.

`create_app` builds the FastAPI app over an `AnnotationService` (what the
routes do, free of HTTP) and an `AnnotatorRegistry` (bearer tokens, roles);
`ApiServer` serves it with uvicorn on a background thread; `start_api` does
all of it for the service's roles (`stream-al run` and `stream-al queue`).
`stream-al annotators` manages the annotators (`stream_al.api.cli`).
"""

from stream_al.api.annotator_tables import (
    MemoryAnnotatorTable,
    SqliteAnnotatorTable,
    open_registry,
)
from stream_al.api.app import create_app
from stream_al.api.auth import Annotator, AnnotatorRegistry, Role, hash_token
from stream_al.api.embedded import build_service, start_api
from stream_al.api.errors import ApiError
from stream_al.api.server import ApiServer
from stream_al.api.service import AnnotationService, Probes, Snapshot
from stream_al.api.tallies import DriftWatch, LabelTally

__all__ = [
    "AnnotationService",
    "Annotator",
    "AnnotatorRegistry",
    "ApiError",
    "ApiServer",
    "DriftWatch",
    "LabelTally",
    "MemoryAnnotatorTable",
    "Probes",
    "Role",
    "Snapshot",
    "SqliteAnnotatorTable",
    "build_service",
    "create_app",
    "hash_token",
    "open_registry",
    "start_api",
]
