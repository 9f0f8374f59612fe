"""Input fields shared by the API and the pages: each field and its limits declared once.

The API's request models extend these (refusing unknown keys, with examples); the pages parse
their forms into them directly (a form also carries its CSRF token, so unknown keys pass).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from app.services.lke.submission import MAX_NOTE


class SubmitFields(BaseModel):
    """Submitting an assessment for review."""

    note: str | None = Field(None, max_length=MAX_NOTE)


class DecisionFields(BaseModel):
    """A reviewer's decision on a submitted assessment."""

    decision: str = Field(pattern="^(accept|return)$")
    note: str | None = Field(None, max_length=MAX_NOTE)
