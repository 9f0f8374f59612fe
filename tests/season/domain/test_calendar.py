"""The season's date rules with worked dates (no database, no app)."""

from datetime import date

from app.domain.season import calendar as cal
from app.domain.season import messages

DUES = {
    cal.SELF_ASSESSMENT: date(2026, 3, 31),
    cal.REGIONAL_REVIEW: date(2026, 4, 30),
    cal.TPI_REVIEW: date(2026, 6, 15),
    cal.NATIONAL_PROPOSAL: date(2026, 7, 31),
}
CAL = cal.CalendarDates(2026, None, DUES)


def test_the_nearest_scope_wins():
    # chain of a work unit: itself 5, its regional office 3, eselon I 2, ministry 1
    chain = [5, 3, 2, 1]
    assert cal.nearest_scope(chain, [None, 3]) == 3  # its own regional office's calendar
    assert cal.nearest_scope(chain, [None, 4]) is None  # another office's: the root's
    assert cal.nearest_scope(chain, [4]) is False  # none applies
    assert cal.nearest_scope(chain, [None, 3, 2]) == 3


def test_countdown_counts_whole_days_and_the_due_day_is_not_late():
    # 24 March -> 31 March is 7 days; on 31 March 0 days; 1 April one day late.
    states = cal.step_states(CAL, "draft", date(2026, 3, 24))
    first = states[0]
    assert (first.step, first.days_left, first.current, first.overdue) == (
        cal.SELF_ASSESSMENT, 7, True, False)
    assert cal.step_states(CAL, "draft", date(2026, 3, 31))[0].days_left == 0
    late = cal.step_states(CAL, "returned", date(2026, 4, 3))[0]
    assert (late.overdue, late.days_late) == (True, 3)
    # February has 28 days in 2026: 1 Feb -> 31 Mar = 28 + 30 - 1 + 1 = 58 days
    assert cal.step_states(CAL, None, date(2026, 2, 1))[0].days_left == 58


def test_steps_done_follow_the_review_chain():
    on_regional = cal.step_states(CAL, "submitted", date(2026, 4, 2))
    assert [s.done for s in on_regional] == [True, False, False, False]
    assert cal.next_due(on_regional).step == cal.REGIONAL_REVIEW
    assert cal.next_due(on_regional).days_left == 28
    final = cal.step_states(CAL, "final", date(2026, 7, 1))
    # final (the TPI accepted): the national proposal is done too, nothing is due any more
    assert [s.done for s in final] == [True, True, True, True]
    assert [s.current for s in final] == [False] * 4
    assert cal.next_due(final) is None
    # not final: the national proposal is still to do, whatever step the unit is on
    assert [s.done for s in cal.step_states(CAL, "in_review", date(2026, 7, 1))] == [
        True, True, False, False]
    # a unit without a regional office above it: the regional step counts as done
    direct = cal.step_states(CAL, "draft", date(2026, 3, 1), levels=("tpi",))
    assert direct[1].done is True and direct[0].current is True
    # a late self-assessment stays the step shown, ahead of the later steps
    late = cal.step_states(CAL, "draft", date(2026, 5, 2))
    assert cal.next_due(late).step == cal.SELF_ASSESSMENT
    assert cal.next_due(late).days_late == 32  # 31 Mar -> 2 May: 30 + 2


def test_reminder_stages():
    due = date(2026, 3, 31)
    assert cal.reminder_stage(due, date(2026, 3, 23)) is None  # 8 days left
    assert cal.reminder_stage(due, date(2026, 3, 24)) == cal.DUE_7  # 7 days
    assert cal.reminder_stage(due, date(2026, 3, 29)) == cal.DUE_7  # 2 days
    assert cal.reminder_stage(due, date(2026, 3, 30)) == cal.DUE_1  # 1 day
    assert cal.reminder_stage(due, date(2026, 3, 31)) == cal.DUE_1  # the due day
    assert cal.reminder_stage(due, date(2026, 4, 1)) == cal.PASSED


def test_calendar_problems_name_each_date_out_of_order():
    bad = dict(DUES, **{cal.REGIONAL_REVIEW: date(2026, 3, 1)})
    problems = cal.calendar_problems(bad, 2026)
    assert problems == ["Tanggal 'Reviu Kantor Wilayah selesai' tidak boleh sebelum "
                        "'Penilaian mandiri (LKE) diajukan'."]
    assert cal.calendar_problems(DUES, 2026) == []
    assert cal.calendar_problems(DUES, 1999) == ["Tahun kalender harus antara 2000 dan 2100."]
    periods = [cal.SurveyPeriod("2026-S1", date(2026, 6, 30), date(2026, 1, 1))]
    assert cal.calendar_problems({}, 2026, periods) == [
        "Periode survei '2026-S1' berakhir sebelum dimulai."]


def test_messages_in_both_languages():
    params = {"unit": "KPPN A1", "step": "self_assessment", "year": 2026,
              "due": "31-03-2026", "days_left": 7}
    assert messages.message("deadline", params, "id") == (
        "KPPN A1: tenggat pengajuan penilaian mandiri dalam 7 hari",
        "Tenggat pengajuan penilaian mandiri tahun 2026: 31-03-2026.")
    assert messages.message("deadline", dict(params, days_left=-1), "en")[0] == (
        "KPPN A1: self-assessment submission deadline passed yesterday")
    assert messages.message("deadline", dict(params, days_left=1), "id")[0].endswith("besok")
