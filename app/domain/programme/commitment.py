"""The ZI team and its commitment, from leaders to cleaning staff.

Levels are mutually exclusive: a person is counted once, at one level. ``ppnpn`` covers the
other non-civil-servant staff (drivers, front-office, ...) when the unit does not want to list
them with satpam or cleaning service.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from fractions import Fraction

from app.domain.programme._numbers import share
from app.domain.programme.areas import ChangeArea
from app.domain.programme.messages import Problem, Reason, Text

Id = Hashable


class TeamLevel(StrEnum):
    """Who the person is in the unit, from the top down (report order)."""

    PIMPINAN = "pimpinan"
    PEJABAT = "pejabat"
    STAF = "staf"
    SATPAM = "satpam"
    CLEANING_SERVICE = "cleaning_service"
    PPNPN = "ppnpn"

    @property
    def label(self) -> Text:
        return _LEVEL_LABELS[self]


_LEVEL_LABELS = {
    TeamLevel.PIMPINAN: Text("Pimpinan", "Head of unit"),
    TeamLevel.PEJABAT: Text("Pejabat struktural/fungsional", "Officials"),
    TeamLevel.STAF: Text("Staf/pelaksana", "Staff"),
    TeamLevel.SATPAM: Text("Satpam", "Security guards"),
    TeamLevel.CLEANING_SERVICE: Text("Petugas kebersihan", "Cleaning staff"),
    TeamLevel.PPNPN: Text("PPNPN lainnya", "Other non-civil-servant staff (PPNPN)"),
}


class ZiRole(StrEnum):
    """Roles in the ZI development team (a person may hold several, or none)."""

    PENANGGUNG_JAWAB = "penanggung_jawab"
    KOORDINATOR = "koordinator"
    KETUA_AREA = "ketua_area"
    ANGGOTA_AREA = "anggota_area"
    AGEN_PERUBAHAN = "agen_perubahan"

    @property
    def label(self) -> Text:
        return _ROLE_LABELS[self]


_ROLE_LABELS = {
    ZiRole.PENANGGUNG_JAWAB: Text("Penanggung jawab", "Person in charge"),
    ZiRole.KOORDINATOR: Text("Koordinator", "Coordinator"),
    ZiRole.KETUA_AREA: Text("Ketua area", "Area leader"),
    ZiRole.ANGGOTA_AREA: Text("Anggota area", "Area member"),
    ZiRole.AGEN_PERUBAHAN: Text("Agen perubahan", "Change agent"),
}

_AREA_ROLES = (ZiRole.KETUA_AREA, ZiRole.ANGGOTA_AREA)


@dataclass(frozen=True)
class Member:
    id: Id
    name: str
    level: TeamLevel
    roles: frozenset[ZiRole] = field(default_factory=frozenset)
    area: ChangeArea | None = None  # required for ketua_area / anggota_area


def validate_team(members: Iterable[Member]) -> list[Problem]:
    """Duplicate ids, area roles without an area, more than one penanggung jawab or area head."""
    members = tuple(members)
    problems: list[Problem] = []
    seen: set[Id] = set()
    for m in members:
        if m.id in seen:
            problems.append(Problem("duplicate_id", {"id": m.id}, field="id"))
        seen.add(m.id)
        if not m.name.strip():
            problems.append(Problem("required", field="name"))
        for role in _AREA_ROLES:
            if role in m.roles and m.area is None:
                problems.append(
                    Problem("team.area_required", {"id": m.id, "role": role.label}, field="area")
                )
    heads = tuple(m.id for m in members if ZiRole.PENANGGUNG_JAWAB in m.roles)
    if len(heads) > 1:
        problems.append(Problem("team.many_penanggung_jawab", {"ids": heads}, field="roles"))
    for area in ChangeArea:
        leaders = tuple(
            m.id for m in members if ZiRole.KETUA_AREA in m.roles and m.area is area
        )
        if len(leaders) > 1:
            problems.append(
                Problem("team.many_ketua_area", {"area": area.label, "ids": leaders},
                        field="roles")
            )
    return problems


@dataclass(frozen=True)
class LevelCommitment:
    """Commitment counts of one level (``level`` None = the whole team).

    Shares are exact Fractions, None when the level has nobody (nothing to share).
    """

    level: TeamLevel | None
    people: int
    signed: int
    signed_share: Fraction | None
    took_part: int
    took_part_share: Fraction | None

    @property
    def is_empty(self) -> bool:
        return self.people == 0


@dataclass(frozen=True)
class CommitmentSummary:
    levels: tuple[LevelCommitment, ...]  # every TeamLevel, in order, even with nobody
    overall: LevelCommitment
    reasons: tuple[Reason, ...] = ()  # e.g. ids in the lists that are not team members

    def level(self, level: TeamLevel) -> LevelCommitment:
        return next(item for item in self.levels if item.level is level)

    @property
    def empty_levels(self) -> tuple[TeamLevel, ...]:
        return tuple(item.level for item in self.levels if item.is_empty and item.level)

    @property
    def every_level_signed(self) -> bool:
        """True when every level has people and all of them signed: leaders to cleaners."""
        return all(item.people > 0 and item.signed == item.people for item in self.levels)


def commitment_summary(
    members: Iterable[Member], signed_ids: Collection[Id], attended_ids: Collection[Id]
) -> CommitmentSummary:
    """Who signed (pakta integritas / piagam) and who took part, per level and overall.

    ``signed_ids`` / ``attended_ids`` may contain duplicates (counted once) and ids of people
    who are not members (ignored, listed in the reasons).
    """
    members = tuple(members)
    signed = set(signed_ids)
    attended = set(attended_ids)
    member_ids = {m.id for m in members}

    def count(level: TeamLevel | None) -> LevelCommitment:
        ids = {m.id for m in members if level is None or m.level is level}
        n_signed = len(ids & signed)
        n_part = len(ids & attended)
        return LevelCommitment(
            level, len(ids), n_signed, share(n_signed, len(ids)), n_part, share(n_part, len(ids))
        )

    reasons = []
    for name, ids in (("signed_ids", signed), ("attended_ids", attended)):
        unknown = ids - member_ids
        if unknown:
            reasons.append(
                Reason("team.unknown_ids", {"ids": tuple(sorted(unknown, key=str)),
                                            "list": name})
            )
    return CommitmentSummary(
        levels=tuple(count(level) for level in TeamLevel),
        overall=count(None),
        reasons=tuple(reasons),
    )
