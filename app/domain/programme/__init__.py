"""Pure rules of the ZI programme: innovations, team commitment, action plan, partnerships,
milestones and the change areas / pillars they hang on. No database, no HTTP.

Conventions:
- frozen dataclasses in, frozen dataclasses out; exact numbers (int, Decimal, Fraction),
  floats and bools are refused where a number is expected;
- ``validate_*`` returns a list of ``Problem`` (empty = fine); calculations given invalid input
  raise ``ProgrammeError`` carrying the same problems;
- every problem / reason is a message code with Indonesian and English texts (``messages``).

Modules: ``areas`` (ChangeArea, Pillar, LKE refs), ``impact`` (before/after measures),
``innovation`` (lineage, pembeda, LKE suggestions), ``commitment`` (team levels and roles),
``plan`` (action plan, partnerships), ``milestones`` (order rules, timeline per year).
"""

from app.domain.programme.areas import ChangeArea, Pillar, parse_lke_ref
from app.domain.programme.commitment import (
    CommitmentSummary,
    LevelCommitment,
    Member,
    TeamLevel,
    ZiRole,
    commitment_summary,
    validate_team,
)
from app.domain.programme.impact import (
    Direction,
    Impact,
    Improvement,
    MetricKind,
    improvement,
    validate_impact,
)
from app.domain.programme.innovation import (
    Innovation,
    LkeSuggestions,
    Origin,
    Pembeda,
    Phase,
    RatioSuggestion,
    Stage,
    Suggestion,
    find_cycle,
    suggest_lke_answers,
    validate_innovation,
)
from app.domain.programme.messages import Problem, ProgrammeError, Reason, Text
from app.domain.programme.milestones import (
    LkeScore,
    Milestone,
    MilestoneKind,
    SurveyPoint,
    YearEntry,
    timeline_by_year,
    validate_timeline,
)
from app.domain.programme.plan import (
    ActionItem,
    ItemStatus,
    PartnershipState,
    PlanSuggestion,
    Progress,
    is_overdue,
    partnership_state,
    progress_by_area,
    progress_by_pillar,
    progress_of,
    suggest_plan_answers,
    validate_action_item,
    validate_partnership,
)

__all__ = [
    "ActionItem", "ChangeArea", "CommitmentSummary", "Direction", "Impact", "Improvement",
    "Innovation", "ItemStatus", "LevelCommitment", "LkeScore", "LkeSuggestions", "Member",
    "MetricKind", "Milestone", "MilestoneKind", "Origin", "PartnershipState", "Pembeda", "PlanSuggestion",
    "Phase", "Pillar", "Problem", "ProgrammeError", "Progress", "RatioSuggestion", "Reason",
    "Stage", "Suggestion", "SurveyPoint", "TeamLevel", "Text", "YearEntry", "ZiRole",
    "commitment_summary", "find_cycle", "improvement", "is_overdue", "parse_lke_ref",
    "partnership_state", "progress_by_area", "progress_by_pillar", "progress_of",
    "suggest_lke_answers", "suggest_plan_answers", "timeline_by_year", "validate_action_item", "validate_impact",
    "validate_innovation", "validate_partnership", "validate_team", "validate_timeline",
]
