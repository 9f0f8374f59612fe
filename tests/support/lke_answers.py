"""Hand-written answer builders for the LKE tests (no scoring logic here)."""

from __future__ import annotations

from decimal import Decimal

from app.domain.lke import AnswerInput, Framework, Question

# Numeric answers that reach value 1 (each checked by hand against its formula).
BEST_NUMERIC = {
    "PRA1A": {"change_agents": 5, "changes_made": 5},  # 5/5
    "PRA1B": {"changes_made": 5, "changes_integrated": 5},  # 5/5
    "PRC3A": {"violations_last_year": 3, "violations_this_year": 1, "violations_sanctioned": 1},
    "PRD1A": {"targets_total": 10, "targets_reached": 10},  # 10/10
    "PRE2A": {"complaints_to_follow_up": 12, "complaints_in_process": 0, "complaints_finished": 12},
    "PRE3A": {"must_head_of_unit": 1, "must_lhkpn_officials": 4, "must_others": 2, "reported": 7},
    "PRE3B": {
        "must_administrators": 2,
        "must_supervisors": 6,
        "must_functional_and_staff": 40,
        "reported": 48,
    },
    "PRF1B": {"services_registered": 9, "services_simplified": 9},
}

# Numeric answers with value 0.
WORST_NUMERIC = {
    "PRA1A": {"change_agents": 5, "changes_made": 0},
    "PRA1B": {"changes_made": 5, "changes_integrated": 0},
    "PRC3A": {"violations_last_year": 0, "violations_this_year": 4, "violations_sanctioned": 4},
    "PRD1A": {"targets_total": 10, "targets_reached": 0},
    "PRE2A": {"complaints_to_follow_up": 5, "complaints_in_process": 5, "complaints_finished": 0},
    "PRE3A": {"must_head_of_unit": 1, "must_lhkpn_officials": 4, "must_others": 2, "reported": 0},
    "PRE3B": {
        "must_administrators": 2,
        "must_supervisors": 6,
        "must_functional_and_staff": 40,
        "reported": 0,
    },
    "PRF1B": {"services_registered": 9, "services_simplified": 0},
}


def best(q: Question) -> AnswerInput:
    if q.options:
        return AnswerInput(option=q.options[0].code)  # A / Ya is listed first, value 1
    if q.is_index:
        return AnswerInput(index=Decimal("4"))
    return AnswerInput(inputs=BEST_NUMERIC[q.ref])


def worst(q: Question) -> AnswerInput:
    if q.options:
        return AnswerInput(option=q.options[-1].code)  # last option: Tidak / C / D / E, value 0
    if q.is_index:
        return AnswerInput(index=Decimal("1"))
    return AnswerInput(inputs=WORST_NUMERIC[q.ref])


def all_max(fw: Framework) -> dict[str, AnswerInput]:
    return {q.ref: best(q) for q in fw.questions()}


def all_min(fw: Framework) -> dict[str, AnswerInput]:
    return {q.ref: worst(q) for q in fw.questions()}


def opt(code: str) -> AnswerInput:
    return AnswerInput(option=code)


def idx(value: str) -> AnswerInput:
    return AnswerInput(index=Decimal(value))


def nums(**inputs: int) -> AnswerInput:
    return AnswerInput(inputs=inputs)
