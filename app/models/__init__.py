"""All table models; importing this package registers them on SQLModel.metadata."""

from app.models.accounts import ApiToken, BrowserSession, LoginAttempt, Membership, Role, User
from app.models.audit import AuditRecord
from app.models.survey_guard import SurveyThrottle
from app.models.surveys import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyInstrument,
    SurveyResponse,
    SurveyService,
    SurveySource,
)
from app.models.units import Predicate, PredicateAward, Unit, UnitLevel

__all__ = [
    "ApiToken",
    "AuditRecord",
    "BrowserSession",
    "LoginAttempt",
    "Membership",
    "Predicate",
    "PredicateAward",
    "Role",
    "SurveyAnswer",
    "SurveyCampaign",
    "SurveyInstrument",
    "SurveyResponse",
    "SurveyService",
    "SurveySource",
    "SurveyThrottle",
    "Unit",
    "UnitLevel",
    "User",
]
