"""PPA2A / PPA3A suggested from the action plan (hand-counted cases)."""

from datetime import date

from app.domain.programme import ActionItem, ChangeArea, ItemStatus, suggest_plan_answers

TODAY = date(2019, 6, 30)


def item(n, status, due, progress=0):
    return ActionItem(id=n, title=f"butir {n}", area=ChangeArea.MANAJEMEN_PERUBAHAN,
                      status=status, progress=progress, due_on=due)


def by_ref(items):
    return {s.ref: s for s in suggest_plan_answers(items, TODAY)}


def test_no_plan_means_ppa2a_tidak_and_nothing_to_judge():
    got = by_ref([])
    assert got["PPA2A"].option == "Tidak"
    assert "PPA3A" not in got


def test_three_of_four_due_items_done_is_most_b():
    items = [
        item(1, ItemStatus.SELESAI, date(2019, 3, 31), 100),
        item(2, ItemStatus.SELESAI, date(2019, 4, 30), 100),
        item(3, ItemStatus.SELESAI, date(2019, 6, 30), 100),  # due today counts as due
        item(4, ItemStatus.BERJALAN, date(2019, 5, 31), 40),
        item(5, ItemStatus.BERJALAN, date(2019, 9, 30), 10),  # not due yet: not judged
        item(6, ItemStatus.BATAL, date(2019, 1, 31)),  # cancelled: left out
    ]
    got = by_ref(items)
    assert got["PPA2A"].option == "Ya" and got["PPA2A"].due == 5
    # 3 of 4 due items done: 3/4 > 1/2 -> B ("sebagian besar").
    assert (got["PPA3A"].option, got["PPA3A"].done, got["PPA3A"].due) == ("B", 3, 4)
    assert got["PPA3A"].evidence_ids == (1, 2, 3, 4)


def test_thresholds_all_half_and_none():
    done, open_ = ItemStatus.SELESAI, ItemStatus.BERJALAN
    d = date(2019, 1, 31)
    assert by_ref([item(1, done, d, 100), item(2, done, d, 100)])["PPA3A"].option == "A"
    # exactly half is not "most": C
    assert by_ref([item(1, done, d, 100), item(2, open_, d)])["PPA3A"].option == "C"
    assert by_ref([item(1, open_, d), item(2, open_, d)])["PPA3A"].option == "D"
