"""Follow-up of survey findings: weakest elements, exact period comparison, PPF4C option."""

from fractions import Fraction

import pytest

from app.domain.surveys.followup import (
    Finding,
    FollowupAction,
    compare_elements,
    suggest_followup_answer,
    weakest_elements,
)
from app.domain.surveys.indices import ElementNrr


def nrrs(**values):
    return [ElementNrr(code, Fraction(v), 1) for code, v in values.items()]


def test_weakest_three_lowest_first_ties_in_element_order():
    elements = nrrs(U1="4", U2="3", U3="5/2", U4="3", U5="3", U6="7/2")
    assert [e.code for e in weakest_elements(elements)] == ["U3", "U2", "U4"]
    assert [e.code for e in weakest_elements(elements, 1)] == ["U3"]
    assert [e.code for e in weakest_elements(nrrs(U1="2"))] == ["U1"]
    with pytest.raises(ValueError):
        weakest_elements(elements, -1)


def test_compare_is_exact_and_strict():
    before = nrrs(U1="3", U2="10/3", U3="7/2")
    # 3.3333... vs 3.33: looks equal when rounded, is lower exactly; 7/2 -> 7/2 is flat.
    after = nrrs(U1="301/100", U2="333/100", U3="7/2")
    changes = compare_elements(before, after)
    assert changes["U1"].change == Fraction(1, 100) and changes["U1"].improved is True
    assert changes["U2"].change == Fraction(333, 100) - Fraction(10, 3) == Fraction(-1, 300)
    assert changes["U2"].improved is False and changes["U2"].direction == "down"
    assert changes["U3"].improved is False and changes["U3"].direction == "flat"
    assert list(changes) == ["U1", "U2", "U3"]


def test_compare_element_missing_next_period():
    changes = compare_elements(nrrs(U1="3", P9="2"), nrrs(U1="4"))
    assert changes["P9"].after is None and changes["P9"].improved is None
    assert changes["P9"].change is None and changes["P9"].direction is None


def findings(*pairs):
    return [Finding(c, e) for c, e in pairs]


SIX = findings((1, "U9"), (1, "U8"), (1, "U7"), (2, "U9"), (2, "U7"), (2, "U8"))


@pytest.mark.parametrize(("done", "option"), [
    (6, "A"),  # all six followed up
    (4, "B"),  # 4/6 > 1/2
    (3, "C"),  # exactly half is not "sebagian besar"
    (1, "C"),
    (0, "D"),
])
def test_ppf4c_option_by_share_of_findings_followed_up(done, option):
    keys = [(f.campaign_id, f.element_code) for f in SIX]
    actions = [FollowupAction(n, c, e, "selesai") for n, (c, e) in enumerate(keys[:done])]
    actions += [FollowupAction(100 + n, c, e, "berjalan") for n, (c, e) in enumerate(keys)]
    s = suggest_followup_answer(SIX, actions)
    assert (s.ref, s.option, s.followed_up, s.findings) == ("PPF4C", option, done, 6)
    assert s.evidence_ids == tuple(range(done))


def test_ppf4c_counts_a_finding_once_and_ignores_other_elements():
    actions = [FollowupAction(1, 1, "U9", "selesai"), FollowupAction(2, 1, "U9", "selesai"),
               FollowupAction(3, 1, "U1", "selesai"), FollowupAction(4, 1, "U8", "batal")]
    s = suggest_followup_answer(findings((1, "U9"), (1, "U8"), (1, "U9")), actions)
    # Two distinct findings, one followed up (twice): 1/2 is "sebagian kecil".
    assert (s.option, s.followed_up, s.findings, s.evidence_ids) == ("C", 1, 2, (1, 2))
    assert suggest_followup_answer([], actions) is None
