"""The review chain as pure rules (app.domain.lke.review)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from app.domain.lke import AnswerInput, score
from app.domain.lke import review as rv

BOTH = ("regional", "tpi")


def test_levels_come_from_the_units_above():
    assert rv.review_levels(["ministry", "eselon1", "regional"]) == BOTH
    assert rv.review_levels(["ministry", "eselon1"]) == ("tpi",)
    assert rv.review_levels(["regional"]) == ("regional",)
    assert rv.review_levels([]) == ()


def test_editable_only_in_draft_and_returned():
    assert rv.is_editable("draft") and rv.is_editable("returned")
    for status in ("submitted", "in_review", "final"):
        assert not rv.is_editable(status)
        assert rv.edit_refusal(status)
    assert "final" in rv.edit_refusal("final")
    assert "Kantor Wilayah" in rv.edit_refusal("submitted")
    assert "TPI" in rv.edit_refusal("in_review")


def test_submit_lists_every_missing_answer():
    with pytest.raises(rv.ChainError) as info:
        rv.check_submit(
            "draft", unanswered=["PPA1A", "HBA1A"], invalid={"PRE3A": ["bad"]}, levels=BOTH
        )
    assert info.value.kind == "invalid"
    assert info.value.problems == ("PPA1A: belum dijawab", "HBA1A: belum dijawab", "PRE3A: bad")
    assert "3 pertanyaan" in info.value.message


def test_submit_only_from_editable_states_and_with_a_reviewer():
    for status in ("submitted", "in_review", "final"):
        with pytest.raises(rv.ChainError) as info:
            rv.check_submit(status, unanswered=[], invalid={}, levels=BOTH)
        assert info.value.kind == "conflict"
    with pytest.raises(rv.ChainError):
        rv.check_submit("draft", unanswered=[], invalid={}, levels=())
    rv.check_submit("draft", unanswered=[], invalid={}, levels=BOTH)
    rv.check_submit("returned", unanswered=[], invalid={}, levels=BOTH)
    assert rv.after_submit(BOTH) == "submitted"
    assert rv.after_submit(("tpi",)) == "in_review"


def test_the_whole_chain():
    status = rv.after_submit(BOTH)
    assert rv.waiting_level(status) == "regional"
    # the TPI cannot act before the regional office
    with pytest.raises(rv.ChainError, match="tidak sedang menunggu"):
        rv.check_decision(status, level="tpi", decision="accept", flagged=[], levels=BOTH)
    # regional returns one question
    rv.check_decision(status, level="regional", decision="return", flagged=["PPA1A"], levels=BOTH)
    status = rv.after_decision(level="regional", decision="return", levels=BOTH)
    assert status == "returned" and rv.is_editable(status)
    # resubmitted: the chain starts again at the regional office
    status = rv.after_submit(BOTH)
    rv.check_decision(status, level="regional", decision="accept", flagged=[], levels=BOTH)
    status = rv.after_decision(level="regional", decision="accept", levels=BOTH)
    assert status == "in_review" and rv.waiting_level(status) == "tpi"
    with pytest.raises(rv.ChainError):
        rv.check_decision(status, level="regional", decision="accept", flagged=[], levels=BOTH)
    rv.check_decision(status, level="tpi", decision="accept", flagged=[], levels=BOTH)
    status = rv.after_decision(level="tpi", decision="accept", levels=BOTH)
    assert status == "final" and not rv.is_editable(status)
    with pytest.raises(rv.ChainError, match="final"):
        rv.check_decision(status, level="tpi", decision="return", flagged=["X"], levels=BOTH)


def test_single_level_chains():
    assert rv.after_decision(level="tpi", decision="accept", levels=("tpi",)) == "final"
    assert rv.after_decision(level="regional", decision="accept", levels=("regional",)) == "final"
    with pytest.raises(rv.ChainError, match="tidak direviu"):
        rv.check_decision("in_review", level="regional", decision="accept", flagged=[],
                          levels=("tpi",))


def test_return_needs_a_flag_and_accept_none():
    with pytest.raises(rv.ChainError, match="Tandai minimal satu") as info:
        rv.check_decision("submitted", level="regional", decision="return", flagged=[], levels=BOTH)
    assert info.value.kind == "invalid"
    with pytest.raises(rv.ChainError, match="PPA1A, PPB1A"):
        rv.check_decision("submitted", level="regional", decision="accept",
                          flagged=["PPA1A", "PPB1A"], levels=BOTH)
    with pytest.raises(rv.ChainError, match="tidak dikenal"):
        rv.check_decision("submitted", level="regional", decision="approve", flagged=[],
                          levels=BOTH)


def test_comparison_side_by_side(fw):
    # Self: PPA1A Ya (1.00); regional: Tidak (0). PPA1A's maximum is 0.5 / 2 = 0.25 points
    # (sub-indicator PPA1 weighs 0.5 and has two questions).
    self_report = score(fw, {"PPA1A": AnswerInput(option="Ya")})
    regional = score(fw, {"PPA1A": AnswerInput(option="Tidak")})
    cmp = rv.compare({"self": self_report, "regional": regional, "tpi": None})
    row = cmp.row("PPA1A")
    assert row.scores == {"self": Fraction(1, 4), "regional": Fraction(0), "tpi": None}
    assert row.differs and row.delta("regional") == Fraction(-1, 4)
    assert row.delta("tpi") is None
    assert cmp.row("PPA").differs and cmp.row("TOTAL").differs
    assert not cmp.row("PPB").differs  # both 0
    assert {r.ref for r in cmp.differing} == {"TOTAL", "P", "PP", "PPA", "PPA1", "PPA1A"}


def test_exact_snapshot_text():
    assert rv.exact_text(Fraction(1, 3)) == "1/3"
    assert rv.exact_text(Fraction(33, 100)) == "0.33"
    assert rv.exact_text(Fraction(1, 8)) == "0.125"
    assert rv.exact_text(Fraction(100)) == "100"
    for value in (Fraction(1, 3), Fraction(7, 40), Fraction(-5, 2)):
        assert rv.parse_exact(rv.exact_text(value)) == value
