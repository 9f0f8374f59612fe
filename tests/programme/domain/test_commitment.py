"""Team commitment from leaders to cleaning staff."""

from fractions import Fraction

from app.domain.programme.areas import ChangeArea
from app.domain.programme.commitment import (
    Member,
    TeamLevel,
    ZiRole,
    commitment_summary,
    validate_team,
)

L = TeamLevel


def team():
    # A small KPPN: 1 head, 2 officials, 4 staff, 3 guards, 2 cleaners, no other PPNPN.
    levels = [L.PIMPINAN] + [L.PEJABAT] * 2 + [L.STAF] * 4 + [L.SATPAM] * 3 + [
        L.CLEANING_SERVICE] * 2
    return [Member(id=i, name=f"Pegawai {i}", level=lv) for i, lv in enumerate(levels, 1)]


def test_levels_and_roles_have_indonesian_labels():
    assert [lv.value for lv in TeamLevel] == [
        "pimpinan", "pejabat", "staf", "satpam", "cleaning_service", "ppnpn"]
    assert TeamLevel.SATPAM.label.text() == "Satpam"
    assert TeamLevel.CLEANING_SERVICE.label.text("id") == "Petugas kebersihan"
    assert ZiRole.AGEN_PERUBAHAN.label.text() == "Agen perubahan"
    assert {r.value for r in ZiRole} == {
        "penanggung_jawab", "koordinator", "ketua_area", "anggota_area", "agen_perubahan"}


def test_two_of_three_satpam_signed():
    # Guards are ids 8, 9, 10; 8 and 10 signed; 9 took part in the socialisation.
    summary = commitment_summary(team(), signed_ids=[1, 2, 3, 8, 10], attended_ids=[9, 1])
    satpam = summary.level(L.SATPAM)
    assert (satpam.people, satpam.signed, satpam.signed_share) == (3, 2, Fraction(2, 3))
    assert (satpam.took_part, satpam.took_part_share) == (1, Fraction(1, 3))
    assert summary.level(L.PIMPINAN).signed_share == 1
    assert summary.level(L.STAF).signed_share == 0
    assert summary.overall.people == 12
    assert summary.overall.signed_share == Fraction(5, 12)
    assert summary.overall.took_part_share == Fraction(2, 12)


def test_every_level_reported_even_without_people():
    summary = commitment_summary(team(), [], [])
    assert [item.level for item in summary.levels] == list(TeamLevel)
    ppnpn = summary.level(L.PPNPN)
    assert (ppnpn.people, ppnpn.signed_share, ppnpn.took_part_share) == (0, None, None)
    assert summary.empty_levels == (L.PPNPN,)
    assert summary.every_level_signed is False


def test_from_leaders_to_cleaning_staff():
    members = team() + [Member(id=13, name="Sopir", level=L.PPNPN)]
    summary = commitment_summary(members, signed_ids=range(1, 14), attended_ids=[])
    assert summary.every_level_signed is True
    assert summary.overall.signed_share == 1


def test_duplicates_counted_once_and_strangers_ignored_with_a_reason():
    summary = commitment_summary(team(), signed_ids=[8, 8, 8, 99], attended_ids=["x"])
    assert summary.level(L.SATPAM).signed == 1
    assert summary.overall.signed == 1
    assert [(r.params["list"], r.params["ids"]) for r in summary.reasons] == [
        ("signed_ids", (99,)), ("attended_ids", ("x",))]
    assert "bukan anggota tim" in summary.reasons[0].text("id")


def test_empty_team():
    summary = commitment_summary([], [], [])
    assert summary.overall.people == 0 and summary.overall.signed_share is None
    assert len(summary.empty_levels) == 6


def test_validate_team():
    members = [
        Member(1, "Kepala", L.PIMPINAN, frozenset({ZiRole.PENANGGUNG_JAWAB})),
        Member(2, "Kasi", L.PEJABAT, frozenset({ZiRole.PENANGGUNG_JAWAB})),
        Member(3, "A", L.STAF, frozenset({ZiRole.KETUA_AREA}), ChangeArea.PENATAAN_SDM),
        Member(4, "B", L.STAF, frozenset({ZiRole.KETUA_AREA}), ChangeArea.PENATAAN_SDM),
        Member(5, "C", L.SATPAM, frozenset({ZiRole.ANGGOTA_AREA})),
        Member(5, "D", L.STAF, frozenset({ZiRole.AGEN_PERUBAHAN})),
    ]
    assert [p.code for p in validate_team(members)] == [
        "team.area_required", "duplicate_id", "team.many_penanggung_jawab",
        "team.many_ketua_area"]
    assert validate_team(members[:1] + members[2:3]) == []
