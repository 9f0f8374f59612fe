"""The one error shape of the API: RFC 9457 problem details (`application/problem+json`).

Every 4xx/5xx under `/api` answers with a `Problem`; `errors` names each invalid input
(request validation and service checks alike). Titles and messages are Indonesian, the
product's first language, with the English beside them for integrators.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(BaseModel):
    """One invalid input."""

    location: str = Field(
        description="Where the input was: body, query, path or header.", examples=["body"]
    )
    field: str = Field(
        description="Dotted path of the input inside its location ('' for the whole input).",
        examples=["answers.U1"],
    )
    code: str = Field(
        description="Stable machine-readable reason (missing, int_parsing, out_of_range...).",
        examples=["out_of_range"],
    )
    message: str = Field(description="What is wrong, in Indonesian.")
    message_en: str = Field(description="What is wrong, in English.")


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = Field(
        default="about:blank",
        description="URI reference naming the kind of problem.",
        examples=["about:blank"],
    )
    title: str = Field(description="Short summary of the kind of problem (Indonesian).")
    status: int = Field(description="The HTTP status code.", examples=[422])
    detail: str = Field(description="What happened in this request (Indonesian).")
    detail_en: str | None = Field(default=None, description="`detail` in English.")
    errors: list[ProblemError] = Field(
        default_factory=list, description="Each invalid input, when the problem is about input."
    )
    permission: str | None = Field(
        default=None,
        description="On 403: the permission (or, for a token, the scope) that was missing.",
    )
