"""All table models; importing this package registers them on SQLModel.metadata."""

from app.models.accounts import ApiToken, BrowserSession, LoginAttempt, Membership, Role, User
from app.models.audit import AuditRecord
from app.models.idempotency import IdempotencyRecord
from app.models.lke.assessments import Assessment, LkeAnswer, LkeAnswerRevision, LkeFramework
from app.models.lke.bundle import EvidenceBundleJob
from app.models.lke.evidence import Evidence, EvidenceLink
from app.models.lke.review import LkeReview, LkeReviewDraft, LkeReviewItem, LkeSubmission
from app.models.lke.summary import AssessmentSummary
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
from app.models.season import (
    EvaluationCalendar,
    JobRun,
    Notification,
    NotificationEmail,
    NotificationPreference,
)
from app.models.sso import SsoAccessRequest, SsoIdentity, SsoLogin, SsoSession
from app.models.surveys.followups import SurveyFollowup
from app.models.surveys.guard import SurveyCampaignRate, SurveyFormNonce, SurveyThrottle
from app.models.surveys.kiosks import SurveyKiosk
from app.models.surveys.publication import SurveyPublication
from app.models.surveys.records import (
    SurveyAnswer,
    SurveyCampaign,
    SurveyInstrument,
    SurveyItemTotal,
    SurveyRespondentTally,
    SurveyResponse,
    SurveyService,
    SurveySource,
    SurveyTally,
)
from app.models.units import Predicate, PredicateAward, Unit, UnitLevel
from app.models.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookMessage,
    WebhookSubscription,
)

__all__ = [
    "ActionItem",
    "ActivityAttendance",
    "IdempotencyRecord",
    "JobRun",
    "Notification",
    "NotificationEmail",
    "NotificationPreference",
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
    "AssessmentSummary",
    "AuditRecord",
    "BrowserSession",
    "EvaluationCalendar",
    "Evidence",
    "EvidenceBundleJob",
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
    "SsoAccessRequest",
    "SsoIdentity",
    "SsoLogin",
    "SsoSession",
    "SurveyAnswer",
    "SurveyItemTotal",
    "SurveyTally",
    "SurveyCampaign",
    "SurveyInstrument",
    "SurveyKiosk",
    "SurveyPublication",
    "SurveyRespondentTally",
    "SurveyResponse",
    "SurveyService",
    "SurveySource",
    "SurveyCampaignRate",
    "SurveyFollowup",
    "SurveyFormNonce",
    "SurveyThrottle",
    "Unit",
    "UnitLevel",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookMessage",
    "WebhookSubscription",
]
