"""Errors a use case raises; both faces turn them into a clear message (4xx), never a 500.

Messages are written in Indonesian, the product's first language; the English catalog
translates them for pages shown in English.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldProblem:
    """One invalid input, named: the API lists these in its problem details (``errors``)
    and a page shows their messages.

    ``field`` is a dotted path into the input (``answers.U1``, ``closes_on``); ``code`` a
    stable machine-readable word (``out_of_range``, ``missing``); ``message`` Indonesian,
    translated for English readers through the catalogue like every other message.
    """

    field: str
    code: str
    message: str
    location: str = "body"


class ServiceError(Exception):
    status_code = 400

    def __init__(
        self,
        message: str,
        *,
        problems: list[str] | None = None,
        errors: list[FieldProblem] | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.errors = list(errors or [])
        self.problems = problems or [error.message for error in self.errors]

    def detail(self) -> str | dict:
        if self.problems:
            return {"message": self.message, "problems": self.problems}
        return self.message


class NotFound(ServiceError):
    status_code = 404


class Forbidden(ServiceError):
    """Not allowed; ``permission`` names what was missing (a permission or a token scope)."""

    status_code = 403

    def __init__(self, message: str, *, permission: str | None = None, **kwargs):
        super().__init__(message, **kwargs)
        self.permission = permission


class Invalid(ServiceError):
    status_code = 422


class Conflict(ServiceError):
    status_code = 409


class Locked(ServiceError):
    status_code = 409


class TooManyAttempts(ServiceError):
    status_code = 429

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after
