"""The running counts behind every survey index and results page.

An index needs, per item, how many reportable answers gave each value (``survey_tally``);
the results page, how many responses are counted, pending review or set aside, in all and
per profile answer (``survey_respondent_tally``). Rather than counting on every read, the
counts are kept: whatever stores responses, includes a suspect one or excludes one adds or
takes away here, in the same transaction. So they equal a ``COUNT(*)`` over the stored rows
at every commit (the tests check it after every kind of change), and reading them costs the
same at a hundred responses as at a million. ``recount`` rebuilds them from the rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import delete, func, literal, select
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import Session

from app.models.surveys.records import (
    ALL_SERVICES,
    NO_SERVICE,
    RespondentState,
    SurveyAnswer,
    SurveyItemTotal,
    SurveyRespondentTally,
    SurveyResponse,
    SurveyTally,
)

__all__ = [
    "Counts", "ItemKey", "RespondentKey", "TallyKey", "add", "add_answers", "add_respondents",
    "count_responses",
    "count_rows", "item_totals", "recount", "recount_item_totals", "recount_respondents",
    "response_state",
]

_TALLY = SurveyTally.__table__
_ITEM_TOTAL = SurveyItemTotal.__table__
_RESPONDENTS = SurveyRespondentTally.__table__
_ANSWER = SurveyAnswer.__table__
_RESPONSE = SurveyResponse.__table__
_KEY_COLUMNS = ("campaign_id", "service_key", "instrument_code", "item_code", "value")
_ITEM_KEYS = ("campaign_id", "service_key", "instrument_code", "item_code")
_RESPONDENT_KEYS = ("campaign_id", "service_key", "state", "profile_field", "profile_option")

#: (campaign_id, service_key, instrument_code, item_code, value)
TallyKey = tuple[int, int, str, str, int]


def count_rows(rows: Iterable[Mapping[str, Any]]) -> Counter[TallyKey]:
    """The tally changes of storing these answer rows (``survey_answer`` dicts): one per
    reportable answer; answers left out of the indices count nothing."""
    counts: Counter[TallyKey] = Counter()
    for row in rows:
        if row["reportable"]:
            service = row["service_id"]
            counts[(row["campaign_id"], NO_SERVICE if service is None else service,
                    row["instrument_code"], row["item_code"], row["value"])] += 1
    return counts


@cache
def _upsert_sql(dialect: Dialect, table: str, keys: tuple[str, ...], counts: tuple[str, ...],
                rows: int) -> str:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    values = ", ".join(["(" + ", ".join([mark] * (len(keys) + len(counts))) + ")"] * rows)
    added = ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in counts)
    return (
        f"INSERT INTO {table} ({', '.join(keys)}, {', '.join(counts)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {added}"
    )


#: Rows per upsert statement (at most 6 values each, well under both databases' limits).
_ROWS_PER_STATEMENT = 500


def _add(connection: Connection, table: str, keys: tuple[str, ...], counts: tuple[str, ...],
         changes: Mapping[tuple, int | tuple[int, ...]]) -> None:
    # Keys in sorted order: two transactions changing the same counts lock them in the same
    # order and wait for each other instead of deadlocking.
    items = sorted((key, n if isinstance(n, tuple) else (n,))
                   for key, n in changes.items() if n and n != (0, 0))
    for start in range(0, len(items), _ROWS_PER_STATEMENT):
        chunk = items[start:start + _ROWS_PER_STATEMENT]
        values: list[Any] = []
        for key, n in chunk:
            values += key
            values += n
        connection.exec_driver_sql(
            _upsert_sql(connection.dialect, table, keys, counts, len(chunk)), tuple(values)
        )


#: (campaign_id, service_key, instrument_code, item_code)
ItemKey = tuple[int, int, str, str]


def item_totals(changes: Mapping[TallyKey, int]) -> dict[ItemKey, tuple[int, int]]:
    """The ``survey_item_total`` changes matching these tally changes: per item, the answers
    and the sum of their values, for the service and for ALL_SERVICES."""
    out: dict[ItemKey, tuple[int, int]] = {}
    for (campaign, service, instrument, item, value), n in changes.items():
        if not n:
            continue
        for key in ((campaign, service, instrument, item),
                    (campaign, ALL_SERVICES, instrument, item)):
            answers, total = out.get(key, (0, 0))
            out[key] = (answers + n, total + n * value)
    return out


def add(connection: Connection, changes: Mapping[TallyKey, int]) -> None:
    """Add ``changes`` (negative to take away) to the answer tallies and the item totals
    derived from them, inside the caller's transaction."""
    _add(connection, "survey_tally", _KEY_COLUMNS, ("answers",), changes)
    _add(connection, "survey_item_total", _ITEM_KEYS, ("answers", "value_total"),
         item_totals(changes))


def add_answers(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Count newly stored answer rows (the reportable ones) in the tallies."""
    add(connection, count_rows(rows))


def recount(session: Session, *, campaign_ids: Sequence[int] | None = None) -> None:
    """Rebuild both kinds of counts (of some campaigns, or all) from the stored answers and
    responses; in the caller's transaction. For repairs and data loaded around the services."""
    connection = session.connection()
    recount_respondents(connection, campaign_ids=campaign_ids)
    clear = delete(_TALLY)
    source = _ANSWER.c.reportable == True  # noqa: E712
    if campaign_ids is not None:
        clear = clear.where(_TALLY.c.campaign_id.in_(list(campaign_ids)))
        source = source & _ANSWER.c.campaign_id.in_(list(campaign_ids))
    connection.execute(clear)
    service_key = func.coalesce(_ANSWER.c.service_id, NO_SERVICE)
    grouped = select(
        _ANSWER.c.campaign_id, service_key, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
        _ANSWER.c.value, func.count(),
    ).where(source).group_by(
        _ANSWER.c.campaign_id, service_key, _ANSWER.c.instrument_code, _ANSWER.c.item_code,
        _ANSWER.c.value,
    )
    connection.execute(
        _TALLY.insert().from_select([*_KEY_COLUMNS, "answers"], grouped)
    )
    recount_item_totals(connection, campaign_ids=campaign_ids)


def recount_item_totals(connection: Connection, *,
                        campaign_ids: Sequence[int] | None = None) -> None:
    """Rebuild ``survey_item_total`` from ``survey_tally`` (per service, then all services)."""
    clear = delete(_ITEM_TOTAL)
    source = _TALLY.c.answers != 0
    if campaign_ids is not None:
        clear = clear.where(_ITEM_TOTAL.c.campaign_id.in_(list(campaign_ids)))
        source = source & _TALLY.c.campaign_id.in_(list(campaign_ids))
    connection.execute(clear)
    t = _TALLY.c
    sums = (func.sum(t.answers), func.sum(t.answers * t.value))
    columns = [*_ITEM_KEYS, "answers", "value_total"]
    connection.execute(_ITEM_TOTAL.insert().from_select(columns, select(
        t.campaign_id, t.service_key, t.instrument_code, t.item_code, *sums,
    ).where(source).group_by(t.campaign_id, t.service_key, t.instrument_code, t.item_code)))
    connection.execute(_ITEM_TOTAL.insert().from_select(columns, select(
        t.campaign_id, literal(ALL_SERVICES), t.instrument_code, t.item_code, *sums,
    ).where(source).group_by(t.campaign_id, t.instrument_code, t.item_code)))


# --- respondents --------------------------------------------------------------------------

#: (campaign_id, service_key, state, profile_field, profile_option)
RespondentKey = tuple[int, int, int, str, str]


def response_state(reportable: bool, suspect: bool, review_decision: str | None) -> int:
    """Where a response stands: counted, pending review, or set aside after one."""
    if reportable:
        return RespondentState.COUNTED
    if suspect and review_decision is None:
        return RespondentState.PENDING
    return RespondentState.SET_ASIDE


def response_keys(campaign_id: int, service_id: int | None, state: int,
                  profile: Mapping[str, Any] | None) -> list[RespondentKey]:
    """The counts one response is in: the total of its state and one per profile answer."""
    service = NO_SERVICE if service_id is None else service_id
    keys = [(campaign_id, service, state, "", "")]
    for code, option in (profile or {}).items():
        if isinstance(option, str) and option:
            keys.append((campaign_id, service, state, code, option))
    return keys


def count_responses(rows: Iterable[Mapping[str, Any]]) -> Counter[RespondentKey]:
    """The respondent count changes of storing these ``survey_response`` rows (dicts)."""
    counts: Counter[RespondentKey] = Counter()
    for row in rows:
        state = response_state(row["reportable"], row["suspect"], row["review_decision"])
        service = row["service_id"]
        key = (row["campaign_id"], NO_SERVICE if service is None else service, state)
        counts[key + ("", "")] += 1
        for code, option in (row["profile"] or {}).items():
            if isinstance(option, str) and option:
                counts[key + (code, option)] += 1
    return counts


def add_respondents(connection: Connection, changes: Mapping[RespondentKey, int]) -> None:
    """Add ``changes`` (negative to take away) to the respondent counts, in the caller's
    transaction."""
    _add(connection, "survey_respondent_tally", _RESPONDENT_KEYS, ("respondents",), changes)


def _state_sql() -> str:
    return ("CASE WHEN reportable THEN 0 WHEN suspect AND review_decision IS NULL THEN 1 "
            "ELSE 2 END")


def recount_respondents(connection: Connection, *,
                        campaign_ids: Sequence[int] | None = None) -> None:
    """Rebuild the respondent counts from ``survey_response`` (two GROUP BYs: the totals and
    the profile answers, read from the profile JSON with the database's own functions)."""
    where = ""
    clear = delete(_RESPONDENTS)
    if campaign_ids is not None:
        ids = [int(i) for i in campaign_ids] or [-1]
        where = f" AND r.campaign_id IN ({', '.join(str(i) for i in ids)})"
        clear = clear.where(_RESPONDENTS.c.campaign_id.in_(ids))
    connection.execute(clear)
    columns = ", ".join(_RESPONDENT_KEYS)
    state = _state_sql()
    service = f"COALESCE(r.service_id, {NO_SERVICE})"
    connection.exec_driver_sql(
        f"INSERT INTO survey_respondent_tally ({columns}, respondents) "
        f"SELECT r.campaign_id, {service}, {state}, '', '', COUNT(*) FROM survey_response r "
        f"WHERE 1 = 1{where} GROUP BY r.campaign_id, {service}, {state}"
    )
    if connection.dialect.name == "postgresql":
        pairs = "json_each_text(r.profile) AS p(key, value)"
        is_object = "json_typeof(r.profile) = 'object'"
    else:
        pairs = "json_each(r.profile) AS p"
        is_object = "json_type(r.profile) = 'object'"
    connection.exec_driver_sql(
        f"INSERT INTO survey_respondent_tally ({columns}, respondents) "
        f"SELECT r.campaign_id, {service}, {state}, p.key, p.value, COUNT(*) "
        f"FROM survey_response r, {pairs} "
        f"WHERE r.profile IS NOT NULL AND {is_object} AND p.value IS NOT NULL "
        f"AND p.value <> ''{where} "
        f"GROUP BY r.campaign_id, {service}, {state}, p.key, p.value"
    )


@dataclass
class Counts:
    """Count changes gathered while a transaction stores several responses one by one, to
    be written once at the end (one write per table, keys in order: no deadlocks between
    concurrent transactions; answers before respondents, as everywhere)."""

    answers: Counter = field(default_factory=Counter)
    respondents: Counter = field(default_factory=Counter)

    def write(self, connection: Connection) -> None:
        add(connection, self.answers)
        add_respondents(connection, self.respondents)
