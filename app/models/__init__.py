"""All table models; importing this package registers them on SQLModel.metadata."""

from app.models.accounts import ApiToken, BrowserSession, LoginAttempt, Membership, Role, User
from app.models.audit import AuditRecord
from app.models.indicators import Assessment, LkeAnswer, LkeAnswerRevision, LkeFramework
from app.models.units import Predicate, PredicateAward, Unit, UnitLevel

__all__ = [
    "ApiToken",
    "Assessment",
    "AuditRecord",
    "BrowserSession",
    "LkeAnswer",
    "LkeAnswerRevision",
    "LkeFramework",
    "LoginAttempt",
    "Membership",
    "Predicate",
    "PredicateAward",
    "Role",
    "Unit",
    "UnitLevel",
    "User",
]
