"""Action plan status, progress per area/pillar and partnership states."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest

from app.domain.programme.areas import ChangeArea, Pillar, parse_lke_ref
from app.domain.programme.messages import ProgrammeError
from app.domain.programme.plan import (
    ActionItem,
    ItemStatus,
    PartnershipState,
    is_overdue,
    partnership_state,
    progress_by_area,
    progress_by_pillar,
    progress_of,
    validate_action_item,
)

S = ItemStatus
A = ChangeArea
TODAY = date(2019, 6, 30)


def item(id, status=S.BERJALAN, progress=50, area=A.MANAJEMEN_PERUBAHAN, **kw):
    return ActionItem(id=id, title=f"Kegiatan {id}", area=area, status=status,
                      progress=progress, **kw)


def codes(problems):
    return [p.code for p in problems]


def test_overdue_only_for_open_items_after_the_due_day():
    due = date(2019, 6, 30)
    assert is_overdue(item(1, due_on=due), date(2019, 7, 1))
    assert not is_overdue(item(1, due_on=due), due)  # due today is not late yet
    assert is_overdue(item(1, S.BELUM_MULAI, 0, due_on=due), date(2019, 7, 1))
    assert not is_overdue(item(1, S.SELESAI, 100, due_on=due), date(2020, 1, 1))
    assert not is_overdue(item(1, S.BATAL, 10, due_on=due), date(2020, 1, 1))
    assert not is_overdue(item(1), date(2030, 1, 1))  # no due date


def test_progress_validation():
    assert validate_action_item(item(1, progress=Decimal("37.5"))) == []
    assert codes(validate_action_item(item(1, progress=101))) == ["plan.progress_range"]
    assert codes(validate_action_item(item(1, progress=-1))) == ["plan.progress_range"]
    assert codes(validate_action_item(item(1, progress=50.0))) == ["not_exact_number"]
    assert codes(validate_action_item(item(1, S.SELESAI, 90))) == ["plan.done_not_full"]
    assert codes(validate_action_item(item(1, S.BELUM_MULAI, 5))) == [
        "plan.not_started_with_progress"]
    assert codes(validate_action_item(
        item(1, started_on=date(2019, 2, 1), due_on=date(2019, 1, 31)))) == [
        "plan.due_before_start"]
    msg = validate_action_item(item(1, progress=120))[0]
    assert msg.text("id") == "Progres harus di antara 0 dan 100, bukan 120."
    assert msg.text("en") == "Progress must be between 0 and 100, not 120."


def test_lke_ref_must_be_wellformed_and_match_area_and_pillar():
    assert parse_lke_ref("PRF1B") == (Pillar.REFORM, A.PELAYANAN_PUBLIK)
    assert parse_lke_ref("PPA1A") == (Pillar.PEMENUHAN, A.MANAJEMEN_PERUBAHAN)
    assert parse_lke_ref("XX") is None
    ok = item(1, area=A.PELAYANAN_PUBLIK, lke_ref="PRF1B", pillar=Pillar.REFORM)
    assert validate_action_item(ok) == []
    assert codes(validate_action_item(item(1, lke_ref="ppa1a"))) == ["plan.bad_lke_ref"]
    wrong = item(1, area=A.PENATAAN_SDM, lke_ref="PRF1B", pillar=Pillar.PEMENUHAN)
    assert [p.field for p in validate_action_item(wrong)] == ["area", "pillar"]


def test_progress_per_area_hand_worked():
    items = [
        item(1, S.SELESAI, 100),
        item(2, S.BERJALAN, 40, due_on=date(2019, 6, 1)),  # overdue on TODAY
        item(3, S.BELUM_MULAI, 0),
        item(4, S.BATAL, 20),  # cancelled: not in the shares
        item(5, S.BERJALAN, Decimal("12.5"), area=A.PENGUATAN_PENGAWASAN),
    ]
    by_area = progress_by_area(items, TODAY)
    assert list(by_area) == list(ChangeArea)  # all six, in order
    mp = by_area[A.MANAJEMEN_PERUBAHAN]
    assert (mp.items, mp.cancelled, mp.done, mp.overdue) == (4, 1, 1, 1)
    assert mp.mean_progress == Fraction(140, 3)  # (100 + 40 + 0) / 3
    assert mp.done_share == Fraction(1, 3)
    assert by_area[A.PENGUATAN_PENGAWASAN].mean_progress == Fraction(25, 2)
    empty = by_area[A.PENATAAN_SDM]
    assert (empty.items, empty.mean_progress, empty.done_share) == (0, None, None)


def test_progress_per_pillar_uses_ref_when_pillar_is_not_set():
    items = [
        item(1, S.SELESAI, 100, lke_ref="PPA1A"),
        item(2, S.BERJALAN, 50, pillar=Pillar.REFORM),
        item(3, S.BERJALAN, 0, area=A.PELAYANAN_PUBLIK, lke_ref="PRF1B"),
        item(4, S.BERJALAN, 70),  # no pillar: left out of the pillar view
    ]
    by_pillar = progress_by_pillar(items)
    assert by_pillar[Pillar.PEMENUHAN].mean_progress == 100
    assert by_pillar[Pillar.REFORM].mean_progress == 25
    assert by_pillar[Pillar.REFORM].done_share == 0
    assert by_pillar[Pillar.REFORM].overdue == 0  # no "today" given
    assert progress_of(items).mean_progress == Fraction(220, 4)


def test_progress_refuses_invalid_items():
    with pytest.raises(ProgrammeError):
        progress_of([item(1, progress=150)])


@pytest.mark.parametrize(
    ("signed", "expires", "today", "state"),
    [
        (None, None, TODAY, PartnershipState.NOT_YET_SIGNED),
        (date(2019, 7, 1), date(2021, 7, 1), TODAY, PartnershipState.NOT_YET_SIGNED),
        (date(2018, 1, 15), None, TODAY, PartnershipState.ACTIVE),
        (date(2018, 1, 15), date(2020, 1, 15), TODAY, PartnershipState.ACTIVE),
        # 2019-06-30 + 90 days = 2019-09-28: the first day that warns.
        (date(2018, 1, 15), date(2019, 9, 29), TODAY, PartnershipState.ACTIVE),
        (date(2018, 1, 15), date(2019, 9, 28), TODAY, PartnershipState.EXPIRING_SOON),
        (date(2018, 1, 15), TODAY, TODAY, PartnershipState.EXPIRING_SOON),
        (date(2018, 1, 15), TODAY - timedelta(days=1), TODAY, PartnershipState.EXPIRED),
    ],
)
def test_partnership_state(signed, expires, today, state):
    assert partnership_state(signed, expires, today) is state


def test_partnership_warn_days_and_validation():
    assert partnership_state(date(2018, 1, 1), date(2019, 7, 30), TODAY, warn_days=30) is (
        PartnershipState.EXPIRING_SOON)
    assert partnership_state(date(2018, 1, 1), date(2019, 7, 31), TODAY, warn_days=30) is (
        PartnershipState.ACTIVE)
    with pytest.raises(ProgrammeError) as err:
        partnership_state(date(2019, 1, 1), date(2019, 1, 1), TODAY)
    assert err.value.problems[0].code == "partnership.expiry_not_after_signing"
    with pytest.raises(ProgrammeError):
        partnership_state(date(2019, 1, 1), None, TODAY, warn_days=-1)
