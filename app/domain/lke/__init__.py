"""Pure LKE ZI domain: framework model, exact scoring, predicate verdict and gap planner."""

from app.domain.lke.framework import (
    Area,
    Component,
    Formula,
    Framework,
    FrameworkError,
    InputRule,
    NumericInput,
    Option,
    Part,
    Predicate,
    Question,
    SubIndicator,
    ThresholdCheck,
)
from app.domain.lke.framework_file import load_framework
from app.domain.lke.gaps import GapItem, GapPlan, plan_gaps, what_if
from app.domain.lke.scoring import (
    AnswerError,
    AnswerInput,
    NodeScore,
    ScoreReport,
    question_value,
    score,
    validate_answer,
)
from app.domain.lke.verdict import CheckResult, Verdict, evaluate

__all__ = [
    "AnswerError",
    "AnswerInput",
    "Area",
    "CheckResult",
    "Component",
    "Formula",
    "Framework",
    "FrameworkError",
    "GapItem",
    "GapPlan",
    "InputRule",
    "NodeScore",
    "NumericInput",
    "Option",
    "Part",
    "Predicate",
    "Question",
    "ScoreReport",
    "SubIndicator",
    "ThresholdCheck",
    "Verdict",
    "evaluate",
    "load_framework",
    "plan_gaps",
    "question_value",
    "score",
    "validate_answer",
    "what_if",
]
