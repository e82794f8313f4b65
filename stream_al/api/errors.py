"""The errors of the annotation API, under `StreamALError`.

::

    StreamALError
    └── ApiError                     a request cannot be served as asked (code, message, item)
        ├── UnauthorizedError  401       no token, an unknown token, or a revoked annotator
        ├── ForbiddenError     403       the caller's role may not do this
        ├── NotFoundError      404       no such item (or route)
        │   └── UnknownAnnotatorError    no annotator of that name
        ├── ConflictError      409       the item is not leased to the caller, or was labelled,
        │   │                            the caller holds the most leases allowed, the last admin
        │   └── AnnotatorExistsError     the annotator name is taken
        ├── BodyTooLargeError  413       the request body is over ``[api] max_body_bytes``
        ├── InvalidRequestError 422      the label is not one of the task's classes, bad batch
        │   └── InvalidNameError         an annotator name that is not allowed
        ├── TooManyFailuresError 429     too many failed sign-ins from the caller's address
        └── UnavailableError   503       labels are stored but could not be published yet

Each error carries a short machine-readable `code` (the ``"error"`` field of
the JSON answer) and a message saying what was wrong and what to do; errors
about one item of a batch name it in `item_id`. `status` is the HTTP status
the app answers with.

>>> error = ConflictError("not_your_lease", "item '7' is leased to 'bob'", item_id="7")
>>> error.status, error.to_json()
(409, {'error': 'not_your_lease', 'message': "item '7' is leased to 'bob'", 'item_id': '7'})
"""

from __future__ import annotations

from typing import Any, ClassVar

from stream_al.exceptions import StreamALError

__all__ = [
    "AnnotatorExistsError",
    "ApiError",
    "BodyTooLargeError",
    "ConflictError",
    "ForbiddenError",
    "InvalidNameError",
    "InvalidRequestError",
    "NotFoundError",
    "TooManyFailuresError",
    "UnauthorizedError",
    "UnavailableError",
    "UnknownAnnotatorError",
]


class ApiError(StreamALError):
    """A request cannot be served as asked.

    Parameters
    ----------
    code
        Short machine-readable reason, e.g. ``"not_your_lease"``.
    message
        What was wrong and what to do about it.
    item_id
        The item of the batch entry at fault, when there is one.
    """

    status: ClassVar[int] = 400

    def __init__(self, code: str, message: str, item_id: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.item_id = item_id

    def to_json(self) -> dict[str, Any]:
        """The JSON body of the error answer."""
        doc: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.item_id is not None:
            doc["item_id"] = self.item_id
        return doc


class UnauthorizedError(ApiError):
    """No bearer token, an unknown one, or one of a revoked annotator.

    `reason` says which, for the server log (``no_token``, ``unknown_token``,
    ``revoked``); the answer's ``"error"`` is `code` whatever the reason.
    """

    status = 401

    def __init__(
        self, code: str, message: str, item_id: str | None = None, *, reason: str = "unauthorized"
    ) -> None:
        super().__init__(code, message, item_id)
        self.reason = reason


class ForbiddenError(ApiError):
    """The caller is known but their role may not do this."""

    status = 403


class NotFoundError(ApiError):
    """No such item, annotator or route."""

    status = 404


class UnknownAnnotatorError(NotFoundError):
    """No annotator of that name is registered."""


class ConflictError(ApiError):
    """The item is not leased to the caller, or the caller labelled it differently."""

    status = 409


class AnnotatorExistsError(ConflictError):
    """An annotator of that name is already registered (revoked names stay taken)."""


class BodyTooLargeError(ApiError):
    """The request body is larger than ``[api] max_body_bytes``."""

    status = 413


class InvalidRequestError(ApiError):
    """The request is well-formed JSON but not acceptable (e.g. a label outside the classes)."""

    status = 422


class InvalidNameError(InvalidRequestError):
    """An annotator name with characters or a length that are not allowed."""


class TooManyFailuresError(ApiError):
    """Too many failed sign-ins from one address: try again after `retry_after` seconds."""

    status = 429

    def __init__(self, code: str, message: str, retry_after: int) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class UnavailableError(ApiError):
    """A dependency (the broker) is not answering; the request may be repeated as it is."""

    status = 503
