"""The evaluation season as pure rules: the calendar's steps and which scope's calendar
applies, what is due next with its countdown, when a reminder is due, and the bilingual
notification messages. No database, no clock: ``today`` is always passed in."""

from app.domain.season.calendar import (
    DUE_1,
    DUE_7,
    PASSED,
    STEP_NAMES,
    STEPS,
    CalendarDates,
    StepState,
    SurveyPeriod,
    digest_period,
    nearest_scope,
    reminder_stage,
    step_of_status,
    step_states,
)
from app.domain.season.messages import KINDS, MODES, message

__all__ = [
    "DUE_1",
    "DUE_7",
    "KINDS",
    "MODES",
    "PASSED",
    "STEPS",
    "STEP_NAMES",
    "CalendarDates",
    "StepState",
    "SurveyPeriod",
    "digest_period",
    "message",
    "nearest_scope",
    "reminder_stage",
    "step_of_status",
    "step_states",
]
