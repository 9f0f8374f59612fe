"""Survey results: SQL GROUP BY aggregates fed to the exact indices of ``app.domain.surveys``.

Every index is computed from per-item (SUM, COUNT) tallies of *reportable* answers (not
suspect, or suspect and included on review); no Python loop runs over responses. The
queries read the running counts (app.services.surveys.tallies, kept in the transaction of
every submit and review: the same at a hundred responses as at a million): a campaign's
results, the dashboard headline and the LKE's year indices read ``survey_item_total`` (one
row per item and service, and per item over every service) and ``survey_respondent_tally``
in prebuilt statements; a service filter over several campaigns groups ``survey_tally``;
only a source filter, which the counts do not keep, groups ``survey_answer`` joined to its
responses.

Read-only: nothing here writes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cached_property

from sqlalchemy import and_, bindparam, literal, select, union_all
from sqlmodel import Session, col, func

from app.domain.surveys.indices import (
    ElementTally,
    GroupShare,
    IkmResult,
    PerceptionResult,
    TrendPoint,
    TrendStep,
    ikm,
    perception_index,
    profile_breakdown,
    sample_size,
    trend,
)
from app.domain.surveys.instruments import Instrument
from app.models.surveys.records import (
    ALL_SERVICES,
    NO_SERVICE,
    RespondentState,
    SurveyAnswer,
    SurveyCampaign,
    SurveyItemTotal,
    SurveyRespondentTally,
    SurveyResponse,
    SurveyService,
    SurveyTally,
)
from app.security.principal import Principal
from app.services.surveys import campaigns as survey_campaigns
from app.services.surveys import instruments as survey_instruments
from app.services.surveys.campaigns import forbid

_ANSWER = SurveyAnswer.__table__
_RESPONSE = SurveyResponse.__table__
_TALLY = SurveyTally.__table__
_RESPONDENTS = SurveyRespondentTally.__table__
_ITEM_TOTAL = SurveyItemTotal.__table__

#: Survey kind -> name of its index in reports and in the LKE.
INDEX_NAMES = {"ikm": "IKM", "spkp": "IPKP", "spak": "IPAK"}

# --------------------------------------------------------------------------- aggregates


def _tally_query(campaign_ids: Sequence[int], *, service_id=None, source=None, by=()):
    """SELECT <by...>, instrument_code, item_code, SUM(value), COUNT(answers) per item.

    ``by``: any of "campaign", "service" (NO_SERVICE or None for answers without one).
    """
    if source is not None:
        return _answer_query(campaign_ids, service_id=service_id, source=source, by=by)
    t = _TALLY.c
    group = {"campaign": t.campaign_id, "service": t.service_key}
    keys = [*(group[b] for b in by), t.instrument_code, t.item_code]
    query = select(*keys, func.sum(t.value * t.answers), func.sum(t.answers)).where(
        t.campaign_id.in_(list(campaign_ids)) if len(campaign_ids) != 1
        else t.campaign_id == campaign_ids[0]
    )
    if service_id is not None:
        query = query.where(t.service_key == service_id)
    # A tally taken back to zero (a response excluded on review) is no answer at all.
    return query.group_by(*keys).having(func.sum(t.answers) > 0)


def _answer_query(campaign_ids: Sequence[int], *, service_id, source, by):
    """The same grouping over the answers themselves, for a source tag."""
    group = {"campaign": _ANSWER.c.campaign_id, "service": _ANSWER.c.service_id}
    keys = [*(group[b] for b in by), _ANSWER.c.instrument_code, _ANSWER.c.item_code]
    query = (
        select(*keys, func.sum(_ANSWER.c.value), func.count())
        .select_from(_ANSWER)
        .join(_RESPONSE, _RESPONSE.c.id == _ANSWER.c.response_id)
    )
    conditions = [
        _RESPONSE.c.campaign_id.in_(list(campaign_ids)),
        _RESPONSE.c.source_tag == source,
        _ANSWER.c.reportable == True,  # noqa: E712
    ]
    if service_id is not None:
        conditions.append(_ANSWER.c.service_id == service_id)
    return query.where(and_(*conditions)).group_by(*keys)


def tallies(
    session: Session, *, campaign_ids: Sequence[int], service_id: int | None = None,
    source: str | None = None,
) -> dict[str, list[ElementTally]]:
    """instrument code -> one ElementTally per item, over reportable answers (one GROUP BY)."""
    out: dict[str, list[ElementTally]] = defaultdict(list)
    if not campaign_ids:
        return {}
    for inst, item, total, count in session.execute(
        _tally_query(campaign_ids, service_id=service_id, source=source)
    ):
        out[inst].append(ElementTally(item, int(total), int(count)))
    return dict(out)


def _respondents(
    session: Session, campaign_ids: Sequence[int], *, service_id=None, source=None,
    group_by=None,
):
    """Counted (reportable) respondents: a number, or a dict when ``group_by`` is
    "campaign", "service" (None for no service) or ("profile", field code).

    From the running respondent counts; with a source tag (not kept there) from the
    responses themselves."""
    if source is not None:
        return _respondents_by_source(session, campaign_ids, service_id, source, group_by)
    t = _RESPONDENTS.c
    profile = isinstance(group_by, tuple)
    query = select(func.sum(t.respondents)).where(
        t.campaign_id.in_(list(campaign_ids)), t.state == RespondentState.COUNTED,
        t.profile_field == (group_by[1] if profile else ""),
    )
    if service_id is not None:
        query = query.where(t.service_key == service_id)
    if group_by is None:
        return int(session.execute(query).scalar_one() or 0)
    key = {"campaign": t.campaign_id, "service": t.service_key}.get(group_by, t.profile_option)
    counts = {k: int(n) for n, k in session.execute(query.add_columns(key).group_by(key))}
    if group_by == "service":
        counts = {(None if k == NO_SERVICE else k): n for k, n in counts.items()}
    return counts


def _respondents_by_source(session, campaign_ids, service_id, source, group_by):
    query = select(func.count()).select_from(_RESPONSE).where(
        _RESPONSE.c.campaign_id.in_(list(campaign_ids)), _RESPONSE.c.reportable == True,  # noqa: E712
        _RESPONSE.c.source_tag == source,
    )
    if service_id is not None:
        query = query.where(_RESPONSE.c.service_id == service_id)
    if group_by is None:
        return session.execute(query).scalar_one()
    if isinstance(group_by, tuple):
        key = _RESPONSE.c.profile[group_by[1]].as_string()
    else:
        key = {"campaign": _RESPONSE.c.campaign_id, "service": _RESPONSE.c.service_id}[group_by]
    return {k: n for n, k in session.execute(query.add_columns(key).group_by(key))}


def tallies_by_campaign_and_service(
    session: Session, *, campaign_ids: Sequence[int]
) -> dict[tuple[int, int | None], dict[str, list[ElementTally]]]:
    """(campaign, service or None) -> instrument code -> one ElementTally per item, over the
    reportable answers: one GROUP BY over the running counts, whatever the number of
    responses. A campaign's own figures are the sum over its services."""
    out: dict[tuple[int, int | None], dict[str, list[ElementTally]]] = defaultdict(
        lambda: defaultdict(list)
    )
    if not campaign_ids:
        return {}
    for cid, sid, inst, item, total, count in session.execute(
        _tally_query(campaign_ids, by=("campaign", "service"))
    ):
        key = (cid, None if sid in (None, NO_SERVICE) else sid)
        out[key][inst].append(ElementTally(item, int(total), int(count)))
    return {key: dict(found) for key, found in out.items()}


def respondents_by_campaign_and_service(
    session: Session, *, campaign_ids: Sequence[int]
) -> dict[tuple[int, int | None], int]:
    """(campaign, service or None) -> counted (reportable) respondents, from the running
    respondent counts."""
    if not campaign_ids:
        return {}
    t = _RESPONDENTS.c
    query = select(t.campaign_id, t.service_key, func.sum(t.respondents)).where(
        t.campaign_id.in_(list(campaign_ids)), t.state == RespondentState.COUNTED,
        t.profile_field == "",
    ).group_by(t.campaign_id, t.service_key)
    return {
        (cid, None if sid == NO_SERVICE else sid): int(n)
        for cid, sid, n in session.execute(query) if n
    }


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class InstrumentResult:
    """The index of one instrument over the responses in scope (None without data)."""

    instrument: Instrument
    ikm: IkmResult | None = None
    perception: PerceptionResult | None = None

    @property
    def code(self) -> str:
        return self.instrument.code

    @property
    def kind(self) -> str:
        return self.instrument.kind

    @property
    def index_name(self) -> str:
        return INDEX_NAMES[self.instrument.kind]

    @property
    def has_data(self) -> bool:
        return self.ikm is not None or self.perception is not None

    @property
    def value(self) -> Fraction | None:
        """IKM (25-100) or the perception index on its own scale."""
        if self.ikm is not None:
            return self.ikm.ikm
        if self.perception is not None:
            return self.perception.index
        return None

    @property
    def value_1_4(self) -> Fraction | None:
        """The index on 1-4 (IKM: mean NRR; SPKP/SPAK: linear conversion)."""
        if self.ikm is not None:
            return self.ikm.nrr_mean
        if self.perception is not None:
            return self.perception.index_1_4
        return None

    @property
    def elements(self):
        if self.ikm is not None:
            return self.ikm.elements
        if self.perception is not None:
            return self.perception.items
        return ()

    @property
    def priority(self) -> str | None:
        result = self.ikm or self.perception
        return result.priority if result is not None else None

    @property
    def weakest(self) -> tuple[str, ...]:
        result = self.ikm or self.perception
        return result.weakest if result is not None else ()


def instrument_result(instrument: Instrument, item_tallies: Iterable[ElementTally] | None
                      ) -> InstrumentResult:
    """Feed the tallies of one instrument to the exact domain formulas."""
    item_tallies = list(item_tallies or [])
    if not item_tallies:
        return InstrumentResult(instrument)
    if instrument.kind == "ikm":
        return InstrumentResult(
            instrument,
            ikm=ikm(item_tallies, elements=instrument.item_codes, bands=instrument.grades),
        )
    return InstrumentResult(
        instrument,
        perception=perception_index(
            item_tallies, instrument.scale_min, instrument.scale_max,
            items=instrument.item_codes,
        ),
    )


@dataclass(frozen=True)
class ServiceRow:
    service_id: int | None
    name: str
    respondents: int
    results: tuple[InstrumentResult, ...]


@dataclass(frozen=True)
class ProfileRow:
    code: str
    label: str
    groups: tuple[tuple[str, GroupShare], ...]  # (option label, share)
    unanswered: int
    # The field's and its options' Indonesian labels -> their English (the instrument's own).
    english: dict[str, str] = field(default_factory=dict)

    def label_in(self, text: str, lang: str) -> str:
        """A label of this row (the field's or an option's) in the page language."""
        return self.english.get(text, text) if lang == "en" else text


@dataclass
class CampaignResults:
    campaign: SurveyCampaign
    instruments: list[InstrumentResult]
    respondents: int  # reportable responses in scope
    stored: int  # every stored response of the campaign
    suspect_pending: int  # suspect, not reviewed yet
    excluded: int  # not reportable (suspect pending or excluded on review)
    minimum_sample: int
    services: list[ServiceRow] = field(default_factory=list)
    profile: list[ProfileRow] = field(default_factory=list)
    service_id: int | None = None
    source: str | None = None

    @property
    def sample_reached(self) -> bool:
        return self.respondents >= self.minimum_sample

    def result(self, kind: str) -> InstrumentResult | None:
        for r in self.instruments:
            if r.kind == kind:
                return r
        return None


def _profile_rows(
    session: Session, campaign: SurveyCampaign, instruments: Sequence[Instrument],
    respondents: int, service_id, source, counted: _CampaignCounts | None = None,
) -> list[ProfileRow]:
    fields = {}
    for inst in instruments:
        for pf in inst.profile:
            fields.setdefault(pf.code, pf)
    rows = []
    for code, pf in fields.items():
        counts = counted.counted(service_id, code) if counted is not None else _respondents(
            session, [campaign.id], service_id=service_id, source=source,
            group_by=("profile", code),
        )
        pairs = [(o.code, counts.get(o.code, 0)) for o in pf.options]
        shares = profile_breakdown(pairs)
        labels = {o.code: o.label.id for o in pf.options}
        answered = sum(n for _, n in pairs)
        english = {pf.label.id: pf.label.en, **{o.label.id: o.label.en for o in pf.options}}
        rows.append(ProfileRow(
            code, pf.label.id, tuple((labels[s.code], s) for s in shares),
            max(respondents - answered, 0), english,
        ))
    return rows


#: A campaign's item totals (``survey_item_total``: per service and, under ALL_SERVICES, over
#: every service) and its respondent counts in every state, service and profile answer: what
#: its results read without a source filter, in two statements built once.
_CAMPAIGN_TOTALS = select(
    _ITEM_TOTAL.c.service_key, _ITEM_TOTAL.c.instrument_code, _ITEM_TOTAL.c.item_code,
    _ITEM_TOTAL.c.value_total, _ITEM_TOTAL.c.answers,
).where(
    _ITEM_TOTAL.c.campaign_id == bindparam("campaign"),
    # A total taken back to zero (a response excluded on review) is no answer at all.
    _ITEM_TOTAL.c.answers > 0,
).order_by(_ITEM_TOTAL.c.service_key, _ITEM_TOTAL.c.instrument_code, _ITEM_TOTAL.c.item_code)
_CAMPAIGN_RESPONDENTS = select(
    _RESPONDENTS.c.service_key, _RESPONDENTS.c.state, _RESPONDENTS.c.profile_field,
    _RESPONDENTS.c.profile_option, _RESPONDENTS.c.respondents,
).where(_RESPONDENTS.c.campaign_id == bindparam("campaign"), _RESPONDENTS.c.respondents != 0)


@dataclass(frozen=True)
class _CampaignCounts:
    """The running counts of one campaign, read at once (``_CAMPAIGN_TOTALS`` and
    ``_CAMPAIGN_RESPONDENTS``); the same numbers as ``tallies``, ``_respondents`` and the
    per-state sums, without a statement per question."""

    #: service key (ALL_SERVICES: every service) -> instrument code -> item tallies.
    totals: dict[int, dict[str, list[ElementTally]]]
    #: (service key, state, profile field or "", option or "") -> respondents.
    respondents: dict[tuple[int, int, str, str], int]

    @classmethod
    def read(cls, session: Session, campaign_id: int) -> _CampaignCounts:
        connection = session.connection()
        totals: dict[int, dict[str, list[ElementTally]]] = defaultdict(lambda: defaultdict(list))
        for service, inst, item, total, count in connection.execute(
            _CAMPAIGN_TOTALS, {"campaign": campaign_id}
        ):
            totals[service][inst].append(ElementTally(item, int(total), int(count)))
        respondents = {
            (service, state, field_code, option): int(n)
            for service, state, field_code, option, n in connection.execute(
                _CAMPAIGN_RESPONDENTS, {"campaign": campaign_id})
        }
        return cls(totals, respondents)

    def tallies(self, service_id: int | None) -> dict[str, list[ElementTally]]:
        """``tallies(campaign_ids=[campaign], service_id=service_id)``."""
        return self.totals.get(ALL_SERVICES if service_id is None else service_id, {})

    def counted(self, service_id: int | None, profile_field: str) -> dict[str, int]:
        """Counted respondents of one service (or all) per option of a profile field."""
        out: dict[str, int] = {}
        for (service, state, field_code, option), n in self.respondents.items():
            if (state == RespondentState.COUNTED and field_code == profile_field
                    and (service_id is None or service == service_id)):
                out[option] = out.get(option, 0) + n
        return out

    def by_state(self) -> dict[int, int]:
        """Every response of the campaign per state (all services)."""
        out: dict[int, int] = {}
        for (_service, state, field_code, _option), n in self.respondents.items():
            if field_code == "":
                out[state] = out.get(state, 0) + n
        return out

    def by_service(self) -> dict[int | None, int]:
        """Counted respondents per service (None: no service)."""
        out: dict[int | None, int] = {}
        for (service, state, field_code, _option), n in self.respondents.items():
            if state == RespondentState.COUNTED and field_code == "":
                key = None if service == NO_SERVICE else service
                out[key] = out.get(key, 0) + n
        return out


def campaign_results(
    session: Session, *, campaign: SurveyCampaign, service_id: int | None = None,
    source: str | None = None, with_services: bool = True, with_profile: bool = True,
    actor: Principal | None = None,
) -> CampaignResults:
    """Indices of a campaign (optionally one service or one source), per service, by profile."""
    forbid(actor, "unit.read", campaign.unit_id)
    instruments = survey_campaigns.instruments_of(session, campaign)
    counted = _CampaignCounts.read(session, campaign.id) if source is None else None
    if counted is not None:
        found = counted.tallies(service_id)
        respondents = counted.counted(service_id, "").get("", 0)
        by_state = counted.by_state()
    else:
        found = tallies(session, campaign_ids=[campaign.id], service_id=service_id,
                        source=source)
        respondents = _respondents(session, [campaign.id], service_id=service_id,
                                   source=source)
        t = _RESPONDENTS.c
        by_state = dict(session.execute(
            select(t.state, func.sum(t.respondents))
            .where(t.campaign_id == campaign.id, t.profile_field == "").group_by(t.state)
        ).all())
    results = [instrument_result(i, found.get(i.code)) for i in instruments]
    pending = int(by_state.get(RespondentState.PENDING) or 0)
    out = CampaignResults(
        campaign=campaign, instruments=results, respondents=respondents,
        stored=sum(int(n or 0) for n in by_state.values()), suspect_pending=pending,
        excluded=pending + int(by_state.get(RespondentState.SET_ASIDE) or 0),
        minimum_sample=sample_size(campaign.population),
        service_id=service_id, source=source,
    )
    if with_services and service_id is None:
        if counted is not None:
            out.services = _service_rows(
                session, instruments,
                {(None if sid == NO_SERVICE else sid): by_inst
                 for sid, by_inst in counted.totals.items() if sid != ALL_SERVICES},
                counted.by_service())
        else:
            out.services = service_rows(session, campaign=campaign, instruments=instruments,
                                        source=source)
    if with_profile:
        out.profile = _profile_rows(session, campaign, instruments, respondents, service_id,
                                    source, counted)
    return out


def service_rows(
    session: Session, *, campaign: SurveyCampaign, instruments: Sequence[Instrument] | None = None,
    source: str | None = None,
) -> list[ServiceRow]:
    """One row per service that has reportable responses (one GROUP BY with service_id)."""
    instruments = list(instruments or survey_campaigns.instruments_of(session, campaign))
    grouped: dict[int | None, dict[str, list[ElementTally]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for sid, inst, item, total, count in session.execute(
        _tally_query([campaign.id], source=source, by=("service",))
    ):
        sid = None if sid in (None, NO_SERVICE) else sid
        grouped[sid][inst].append(ElementTally(item, int(total), int(count)))
    respondents = _respondents(
        session, [campaign.id], source=source, group_by="service"
    )
    return _service_rows(session, instruments, grouped, respondents)


def _service_rows(
    session: Session, instruments: Sequence[Instrument],
    grouped: Mapping[int | None, Mapping[str, list[ElementTally]]],
    respondents: Mapping[int | None, int],
) -> list[ServiceRow]:
    """The rows of ``service_rows`` from its tallies (service or None -> instrument -> items)
    and counted respondents per service."""
    names = {
        sid: name for sid, name in session.execute(
            select(SurveyService.id, SurveyService.name).where(col(SurveyService.id).in_(
                [sid for sid in grouped if sid is not None] or [-1]
            ))
        )
    }
    rows = [
        ServiceRow(
            sid, names.get(sid, "Tanpa jenis layanan") if sid is not None else "Tanpa jenis layanan",
            respondents.get(sid, 0),
            tuple(instrument_result(i, by_inst.get(i.code)) for i in instruments),
        )
        for sid, by_inst in grouped.items()
    ]
    rows.sort(key=lambda r: (r.service_id is None, r.name))
    return rows


# --------------------------------------------------------------------------- trend, LKE


@dataclass(frozen=True)
class TrendRow:
    campaign: SurveyCampaign
    period: str
    result: InstrumentResult
    respondents: int
    step: TrendStep | None = None

    @cached_property  # exact Krejcie-Morgan: worth computing once per row
    def minimum_sample(self) -> int | None:
        """The campaign's minimum sample (Krejcie-Morgan from its population)."""
        population = self.campaign.population
        return sample_size(population) if population and population > 0 else None

    @property
    def sample_short(self) -> bool:
        """The index rests on fewer answers than the minimum sample."""
        return self.minimum_sample is not None and self.respondents < self.minimum_sample


def unit_trend(
    session: Session, *, unit_id: int, kind: str = "ikm", service_id: int | None = None,
    actor: Principal | None = None,
) -> list[TrendRow]:
    """The index of one survey kind over the unit's campaigns, oldest period first.

    One GROUP BY over every campaign of the unit; campaigns without reportable answers are
    left out. When two campaigns share a period label, both are shown (labelled by title).
    """
    forbid(actor, "unit.read", unit_id)
    return _unit_trends(session, unit_id=unit_id, kinds=(kind,), service_id=service_id)[kind]


#: (item code, SUM(value x answers), SUM(answers)) of one instrument's item, as read.
_Tally = tuple[str, int, int]


def _result(instrument: Instrument, rows: Iterable[_Tally]) -> InstrumentResult:
    return instrument_result(
        instrument, [ElementTally(item, int(total), int(count)) for item, total, count in rows])


def _unit_tallies(
    session: Session, *, unit_id: int, kinds: Sequence[str], service_id: int | None = None,
) -> tuple[dict[str, list[SurveyCampaign]], dict[int, dict[str, list[_Tally]]],
           dict[int, int]]:
    """(kind -> the unit's campaigns asking it, campaign -> instrument -> item tallies,
    campaign -> respondents): the campaigns, their answer counts and respondents each read
    in one query, whatever the number of kinds and campaigns."""
    by_kind: dict[str, list[SurveyCampaign]] = {kind: [] for kind in kinds}
    for c in survey_campaigns.list_campaigns(session, unit_id=unit_id):
        for kind in {survey_instruments.get(session, instrument_id=i).kind
                     for i in c.instrument_ids or []} & set(kinds):
            by_kind[kind].append(c)
    ids = sorted({c.id for campaigns in by_kind.values() for c in campaigns})
    grouped: dict[int, dict[str, list[_Tally]]] = defaultdict(lambda: defaultdict(list))
    if not ids:
        return by_kind, grouped, {}
    if service_id is None:  # the dashboard's headline: one statement built once (see below)
        grouped, respondents = _campaign_figures(session, ids)
        return by_kind, grouped, respondents
    rows = session.execute(_tally_query(ids, service_id=service_id, by=("campaign",)))
    respondents = _respondents(session, ids, service_id=service_id, group_by="campaign")
    for cid, inst, item, total, count in rows:
        grouped[cid][inst].append((item, total, count))  # ElementTally once used
    return by_kind, grouped, respondents


# Per campaign of a list (an expanding IN), over every service: each item with counted
# answers (the sum of their values and their number: ``survey_item_total``, kept with the
# tallies in every submit's transaction, one row per item instead of a GROUP BY over the
# tallies' values), and in rows whose instrument code is "" the counted respondents. One
# statement, built once at import (building it cost more CPU than running it on every unit
# dashboard); the same numbers as ``_tally_query(ids, by=("campaign",))`` and
# ``_respondents(ids, group_by="campaign")``.
_BY_CAMPAIGN_FIGURES = union_all(
    select(
        _ITEM_TOTAL.c.campaign_id, _ITEM_TOTAL.c.instrument_code, _ITEM_TOTAL.c.item_code,
        _ITEM_TOTAL.c.value_total, _ITEM_TOTAL.c.answers,
    ).where(
        _ITEM_TOTAL.c.campaign_id.in_(bindparam("ids", expanding=True)),
        _ITEM_TOTAL.c.service_key == ALL_SERVICES,
        # A total taken back to zero (a response excluded on review) is no answer at all.
        _ITEM_TOTAL.c.answers > 0,
    ),
    select(
        _RESPONDENTS.c.campaign_id, literal(""), literal(""), literal(0),
        func.sum(_RESPONDENTS.c.respondents),
    ).where(
        _RESPONDENTS.c.campaign_id.in_(bindparam("ids", expanding=True)),
        _RESPONDENTS.c.state == RespondentState.COUNTED, _RESPONDENTS.c.profile_field == "",
    ).group_by(_RESPONDENTS.c.campaign_id),
)


def _campaign_figures(session: Session, ids: Sequence[int]
                      ) -> tuple[dict[int, dict[str, list[_Tally]]], dict[int, int]]:
    """(campaign -> instrument -> item tallies, campaign -> counted respondents) of these
    campaigns over every service, in one statement (``_BY_CAMPAIGN_FIGURES``)."""
    grouped: dict[int, dict[str, list[_Tally]]] = defaultdict(lambda: defaultdict(list))
    respondents: dict[int, int] = {}
    for cid, inst, item, total, count in session.connection().execute(
        _BY_CAMPAIGN_FIGURES, {"ids": list(ids)}
    ):
        if inst:
            grouped[cid][inst].append((item, total, count))
        else:
            respondents[cid] = int(count)
    return grouped, respondents


def _unit_trends(
    session: Session, *, unit_id: int, kinds: Sequence[str], service_id: int | None = None,
) -> dict[str, list[TrendRow]]:
    """``unit_trend`` of several kinds at once (``_unit_tallies``' three queries)."""
    by_kind, grouped, respondents = _unit_tallies(
        session, unit_id=unit_id, kinds=kinds, service_id=service_id)
    return {kind: _trend_rows(session, kind, campaigns, grouped, respondents)
            for kind, campaigns in by_kind.items()}


def _with_data(session: Session, kind: str, campaigns: list[SurveyCampaign],
               grouped: Mapping[int, Mapping[str, list[_Tally]]]
               ) -> list[tuple[SurveyCampaign, Instrument, list[_Tally]]]:
    """The campaigns that have reportable answers to their instrument of ``kind``, oldest
    period first, with that instrument and its tallies (the indices not computed yet)."""
    campaigns = sorted(campaigns, key=lambda c: (
        survey_campaigns.period_sort_key(c.period_label), c.opens_on, c.id))
    out = []
    for c in campaigns:
        inst = next(
            i for i in survey_campaigns.instruments_of(session, c) if i.kind == kind
        )
        # The tally query keeps only items with answers: tallies <=> an index (has_data).
        found = grouped.get(c.id, {}).get(inst.code)
        if found:
            out.append((c, inst, found))
    return out


def _period_keys(rows: Sequence[tuple[SurveyCampaign, Instrument, list[_Tally]]]
                 ) -> list[str]:
    """The trend's period of each row: its label, or label#campaign when a label repeats
    (same period twice: compared in order anyway)."""
    labels = [c.period_label for c, _i, _t in rows]
    if len(set(labels)) == len(labels):
        return labels
    return [f"{c.period_label}#{c.id}" for c, _i, _t in rows]


def _trend_rows(session: Session, kind: str, campaigns: list[SurveyCampaign],
                grouped: Mapping[int, Mapping[str, list[_Tally]]],
                respondents: Mapping[int, int]) -> list[TrendRow]:
    rows = _with_data(session, kind, campaigns, grouped)
    results = [_result(inst, found) for _c, inst, found in rows]
    steps = trend(TrendPoint(key, r.value)
                  for key, r in zip(_period_keys(rows), results, strict=True))
    return [TrendRow(c, c.period_label, r, respondents.get(c.id, 0), s)
            for (c, _i, _t), r, s in zip(rows, results, steps, strict=True)]


@dataclass(frozen=True)
class YearIndex:
    """A survey index of one unit and year, on 1-4, with the campaign it comes from."""

    kind: str  # ikm | spkp | spak
    index_name: str  # IKM | IPKP | IPAK
    campaign_id: int
    campaign_title: str
    period: str
    closed: bool
    respondents: int
    value: Fraction  # on the instrument's own scale (IKM: 25-100)
    value_1_4: Fraction
    population: int | None = None  # the campaign's estimated service users (sample size)


def year_indices(
    session: Session, *, unit_id: int, year: int, actor: Principal | None = None
) -> dict[str, list[YearIndex]]:
    """kind -> the indices of the unit's campaigns of that year, latest period first.

    For the LKE: ``year_indices(...)["spkp"][0]`` is the IPKP of the latest campaign of the
    year (closed campaigns are listed before open ones of the same period).
    """
    forbid(actor, "unit.read", unit_id)
    out: dict[str, list[YearIndex]] = {}
    campaigns = survey_campaigns.list_campaigns(session, unit_id=unit_id, year=year)
    if not campaigns:
        return out
    by_campaign, respondents = _campaign_figures(session, [c.id for c in campaigns])
    for c in campaigns:
        closed = survey_campaigns.campaign_state(c) in ("closed", "ended")
        for inst in survey_campaigns.instruments_of(session, c):
            found = by_campaign.get(c.id, {}).get(inst.code)
            if not found:  # no answers to this instrument: no index
                continue
            result = _result(inst, found)
            out.setdefault(inst.kind, []).append(YearIndex(
                inst.kind, INDEX_NAMES[inst.kind], c.id, c.title, c.period_label, closed,
                respondents.get(c.id, 0), result.value, result.value_1_4, c.population,
            ))
    for rows in out.values():
        rows.sort(key=lambda r: (survey_campaigns.period_sort_key(r.period), r.closed), reverse=True)
    return out


def latest_headline(
    session: Session, *, unit_id: int, actor: Principal | None = None
) -> dict[str, TrendRow]:
    """kind -> the latest trend row (with its change from the previous period), for dashboards.

    The same row as ``unit_trend(...)[-1]``, computing the indices of the last two
    campaigns with answers only (a step is the change from the one before).
    """
    forbid(actor, "unit.read", unit_id)
    kinds = ("ikm", "spkp", "spak")
    by_kind, grouped, respondents = _unit_tallies(session, unit_id=unit_id, kinds=kinds)
    out: dict[str, TrendRow] = {}
    for kind in kinds:
        rows = _with_data(session, kind, by_kind[kind], grouped)
        if not rows:
            continue
        keys = _period_keys(rows)[-2:]
        results = [_result(inst, found) for _c, inst, found in rows[-2:]]
        step = trend(TrendPoint(k, r.value) for k, r in zip(keys, results, strict=True))[-1]
        c = rows[-1][0]
        out[kind] = TrendRow(c, c.period_label, results[-1], respondents.get(c.id, 0), step)
    return out
