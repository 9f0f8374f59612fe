"""Action plan (rencana aksi) items, their progress per area and pillar, and partnerships."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from fractions import Fraction

from app.domain.programme._numbers import ExactNumber, check_exact_number, share
from app.domain.programme.areas import ChangeArea, Pillar, parse_lke_ref
from app.domain.programme.messages import Problem, ProgrammeError, Text

Id = Hashable


class ItemStatus(StrEnum):
    BELUM_MULAI = "belum_mulai"
    BERJALAN = "berjalan"
    SELESAI = "selesai"
    BATAL = "batal"

    @property
    def label(self) -> Text:
        return _STATUS_LABELS[self]

    @property
    def is_open(self) -> bool:
        return self in (ItemStatus.BELUM_MULAI, ItemStatus.BERJALAN)


_STATUS_LABELS = {
    ItemStatus.BELUM_MULAI: Text("Belum mulai", "Not started"),
    ItemStatus.BERJALAN: Text("Berjalan", "In progress"),
    ItemStatus.SELESAI: Text("Selesai", "Done"),
    ItemStatus.BATAL: Text("Batal", "Cancelled"),
}


@dataclass(frozen=True)
class ActionItem:
    """One action-plan item. ``progress`` is a percentage 0-100 (int or Decimal).

    ``pillar`` (Pemenuhan / Reform) and ``lke_ref`` (e.g. ``PRF1B``) are optional; when a ref
    is given, its area and pillar must match the item's.
    """

    id: Id
    title: str
    area: ChangeArea
    status: ItemStatus
    progress: ExactNumber = 0
    due_on: date | None = None
    started_on: date | None = None
    pillar: Pillar | None = None
    lke_ref: str | None = None
    owner_id: Id | None = None


def validate_action_item(item: ActionItem) -> list[Problem]:
    problems: list[Problem] = []
    if not item.title.strip():
        problems.append(Problem("required", field="title"))
    type_problems = check_exact_number(item.progress, "progress")
    problems.extend(type_problems)
    if not type_problems:
        if not 0 <= item.progress <= 100:
            problems.append(
                Problem("plan.progress_range", {"value": item.progress}, field="progress")
            )
        elif item.status is ItemStatus.SELESAI and item.progress != 100:
            problems.append(
                Problem("plan.done_not_full", {"value": item.progress}, field="progress")
            )
        elif item.status is ItemStatus.BELUM_MULAI and item.progress != 0:
            problems.append(
                Problem("plan.not_started_with_progress", {"value": item.progress},
                        field="progress")
            )
    if item.started_on and item.due_on and item.due_on < item.started_on:
        problems.append(
            Problem("plan.due_before_start",
                    {"due_on": item.due_on.isoformat(), "started_on": item.started_on.isoformat()},
                    field="due_on")
        )
    if item.lke_ref is not None:
        problems.extend(_lke_ref_problems(item))
    return problems


def _lke_ref_problems(item: ActionItem) -> list[Problem]:
    parsed = parse_lke_ref(item.lke_ref or "")
    if parsed is None:
        return [Problem("plan.bad_lke_ref", {"ref": item.lke_ref}, field="lke_ref")]
    pillar, area = parsed
    problems = []
    if area is not item.area:
        problems.append(
            Problem("plan.lke_ref_mismatch",
                    {"ref": item.lke_ref, "expected": area.label, "given": item.area.label},
                    field="area")
        )
    if item.pillar is not None and pillar is not item.pillar:
        problems.append(
            Problem("plan.lke_ref_mismatch",
                    {"ref": item.lke_ref, "expected": pillar.label, "given": item.pillar.label},
                    field="pillar")
        )
    return problems


def item_pillar(item: ActionItem) -> Pillar | None:
    """The item's pillar, taken from its LKE ref when not set explicitly."""
    if item.pillar is not None:
        return item.pillar
    parsed = parse_lke_ref(item.lke_ref) if item.lke_ref else None
    return parsed[0] if parsed else None


def is_overdue(item: ActionItem, today: date) -> bool:
    """Open (not started / in progress) and past its due date; the due day itself is not late."""
    return item.status.is_open and item.due_on is not None and today > item.due_on


@dataclass(frozen=True)
class Progress:
    """Progress of a group of items. Cancelled items are counted but left out of the shares.

    ``mean_progress`` is the exact mean percentage (0-100) of the non-cancelled items and
    ``done_share`` the share of them that are done; both None when there are none.
    """

    items: int
    cancelled: int
    done: int
    overdue: int
    mean_progress: Fraction | None
    done_share: Fraction | None


def progress_of(items: Iterable[ActionItem], today: date | None = None) -> Progress:
    """Progress of any group of items; ``overdue`` is counted only when ``today`` is given."""
    items = tuple(items)
    for item in items:
        problems = validate_action_item(item)
        if problems:
            raise ProgrammeError(problems)
    live = [i for i in items if i.status is not ItemStatus.BATAL]
    done = sum(1 for i in live if i.status is ItemStatus.SELESAI)
    total = sum((Fraction(i.progress) for i in live), Fraction(0))
    return Progress(
        items=len(items),
        cancelled=len(items) - len(live),
        done=done,
        overdue=0 if today is None else sum(1 for i in live if is_overdue(i, today)),
        mean_progress=total / len(live) if live else None,
        done_share=share(done, len(live)),
    )


def progress_by_area(
    items: Iterable[ActionItem], today: date | None = None
) -> dict[ChangeArea, Progress]:
    """Progress for each of the six areas, in LKE order; areas without items are included."""
    return _group(items, today, list(ChangeArea), lambda i: i.area)


def progress_by_pillar(
    items: Iterable[ActionItem], today: date | None = None
) -> dict[Pillar, Progress]:
    """Progress for Pemenuhan and Reform; items without a pillar (or ref) are left out."""
    return _group(items, today, list(Pillar), item_pillar)


def _group(items, today, keys, key_of: Callable[[ActionItem], object]):
    items = tuple(items)
    return {k: progress_of((i for i in items if key_of(i) == k), today) for k in keys}


# --- partnerships ---------------------------------------------------------------------------

class PartnershipState(StrEnum):
    NOT_YET_SIGNED = "not_yet_signed"
    ACTIVE = "active"
    EXPIRING_SOON = "expiring_soon"
    EXPIRED = "expired"

    @property
    def label(self) -> Text:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    PartnershipState.NOT_YET_SIGNED: Text("Belum ditandatangani", "Not signed yet"),
    PartnershipState.ACTIVE: Text("Aktif", "Active"),
    PartnershipState.EXPIRING_SOON: Text("Segera berakhir", "Expiring soon"),
    PartnershipState.EXPIRED: Text("Berakhir", "Expired"),
}

DEFAULT_WARN_DAYS = 90


def validate_partnership(
    signed: date | None, expires: date | None, warn_days: int = DEFAULT_WARN_DAYS
) -> list[Problem]:
    problems: list[Problem] = []
    if signed is not None and expires is not None and expires <= signed:
        problems.append(
            Problem("partnership.expiry_not_after_signing",
                    {"expires_on": expires.isoformat(), "signed_on": signed.isoformat()},
                    field="expires_on")
        )
    if isinstance(warn_days, bool) or not isinstance(warn_days, int):
        problems.append(
            Problem("not_exact_number", {"got": type(warn_days).__name__}, field="warn_days")
        )
    elif warn_days < 0:
        problems.append(
            Problem("partnership.negative_warn_days", {"value": warn_days}, field="warn_days")
        )
    return problems


def partnership_state(
    signed: date | None, expires: date | None, today: date, warn_days: int = DEFAULT_WARN_DAYS
) -> PartnershipState:
    """State of a partnership (MoU / PKS) on ``today``.

    Not signed yet when there is no signing date or it lies in the future. Expiry day
    inclusive: still valid on ``expires``, expired the day after. Expiring soon when at most
    ``warn_days`` days remain. No expiry date = open-ended, active.
    """
    problems = validate_partnership(signed, expires, warn_days)
    if problems:
        raise ProgrammeError(problems)
    if signed is None or signed > today:
        return PartnershipState.NOT_YET_SIGNED
    if expires is None:
        return PartnershipState.ACTIVE
    if today > expires:
        return PartnershipState.EXPIRED
    if (expires - today).days <= warn_days:
        return PartnershipState.EXPIRING_SOON
    return PartnershipState.ACTIVE


@dataclass(frozen=True)
class PlanSuggestion:
    """A suggested LKE answer backed by the action plan: the option, the counts behind it, and
    the items to cite as evidence."""

    ref: str
    option: str
    done: int
    due: int
    evidence_ids: tuple[Id, ...]


def suggest_plan_answers(items: Iterable[ActionItem], today: date) -> tuple[PlanSuggestion, ...]:
    """PPA2A (a ZI work plan exists) and PPA3A (the activities were carried out as planned).

    PPA2A is Ya when the plan holds at least one item that is not cancelled. PPA3A looks at the
    items due by ``today`` (cancelled ones left out): all done -> A, more than half -> B
    ("sebagian besar"), some -> C ("sebagian kecil"), none -> D; with nothing due yet there is
    no PPA3A suggestion (nothing to judge).
    """
    live = [i for i in items if i.status != ItemStatus.BATAL]
    suggestions = [
        PlanSuggestion(
            ref="PPA2A", option="Ya" if live else "Tidak", done=0, due=len(live),
            evidence_ids=tuple(i.id for i in live),
        )
    ]
    due = [i for i in live if i.due_on is not None and i.due_on <= today]
    if due:
        done = [i for i in due if i.status == ItemStatus.SELESAI]
        share = Fraction(len(done), len(due))
        option = "A" if share == 1 else "B" if share > Fraction(1, 2) else "C" if done else "D"
        suggestions.append(
            PlanSuggestion(
                ref="PPA3A", option=option, done=len(done), due=len(due),
                evidence_ids=tuple(i.id for i in due),
            )
        )
    return tuple(suggestions)
