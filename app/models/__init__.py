"""All table models; importing this package registers them on SQLModel.metadata."""

from app.models.accounts import ApiToken, BrowserSession, LoginAttempt, Membership, Role, User
from app.models.audit import AuditRecord
from app.models.evidence import Evidence, EvidenceLink
from app.models.indicators import Assessment, LkeAnswer, LkeAnswerRevision, LkeFramework
from app.models.programme import (
    ActionItem,
    ActivityAttendance,
    Innovation,
    InnovationImpact,
    IntegrityPact,
    Milestone,
    Partnership,
    PartnershipInnovation,
    Pillar,
    TeamActivity,
    TeamDecree,
    TeamMember,
)
from app.models.review import LkeReview, LkeReviewDraft, LkeReviewItem, LkeSubmission
from app.models.survey_guard import SurveyThrottle
from app.models.surveys import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyInstrument,
    SurveyRespondentTally,
    SurveyResponse,
    SurveyService,
    SurveySource,
    SurveyTally,
)
from app.models.units import Predicate, PredicateAward, Unit, UnitLevel

__all__ = [
    "ActionItem",
    "ActivityAttendance",
    "Innovation",
    "InnovationImpact",
    "IntegrityPact",
    "Milestone",
    "Partnership",
    "PartnershipInnovation",
    "Pillar",
    "TeamActivity",
    "TeamDecree",
    "TeamMember",
    "ApiToken",
    "Assessment",
    "AuditRecord",
    "BrowserSession",
    "Evidence",
    "EvidenceLink",
    "LkeAnswer",
    "LkeAnswerRevision",
    "LkeFramework",
    "LkeReview",
    "LkeReviewDraft",
    "LkeReviewItem",
    "LkeSubmission",
    "LoginAttempt",
    "Membership",
    "Predicate",
    "PredicateAward",
    "Role",
    "SurveyAnswer",
    "SurveyTally",
    "SurveyCampaign",
    "SurveyInstrument",
    "SurveyRespondentTally",
    "SurveyResponse",
    "SurveyService",
    "SurveySource",
    "SurveyThrottle",
    "Unit",
    "UnitLevel",
    "User",
]
