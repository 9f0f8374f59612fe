"""The running counts behind every survey index (``survey_tally``).

An index needs, per item, how many reportable answers gave each value. Rather than counting
the answers on every read, the count is kept: whatever stores answers, includes a suspect
response or excludes one adds or takes away its answers here, in the same transaction.
So the counts equal ``COUNT(*)`` over the reportable rows of ``survey_answer`` at every
commit (the tests check it after every kind of change), and reading an index costs the same
at a hundred responses as at a million. ``recount`` rebuilds them from the answers.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.engine import Connection, Dialect
from sqlmodel import Session

from app.models.surveys import NO_SERVICE, SurveyAnswer, SurveyTally

__all__ = ["TallyKey", "add", "add_answers", "count_rows", "recount"]

_TALLY = SurveyTally.__table__
_ANSWER = SurveyAnswer.__table__
_KEY_COLUMNS = ("campaign_id", "service_key", "instrument_code", "item_code", "value")

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
def _upsert_sql(dialect: Dialect, rows: int) -> str:
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    values = ", ".join(["(" + ", ".join([mark] * 6) + ")"] * rows)
    return (
        f"INSERT INTO survey_tally ({', '.join(_KEY_COLUMNS)}, answers) VALUES {values} "
        f"ON CONFLICT ({', '.join(_KEY_COLUMNS)}) "
        f"DO UPDATE SET answers = survey_tally.answers + excluded.answers"
    )


#: Rows per upsert statement (6 values each, well under both databases' limits).
_ROWS_PER_STATEMENT = 500


def add(connection: Connection, changes: Mapping[TallyKey, int]) -> None:
    """Add ``changes`` (negative to take away) to the tallies, inside the caller's
    transaction. Keys are written in sorted order, so two transactions changing the same
    tallies lock them in the same order and wait for each other instead of deadlocking."""
    items = sorted((key, n) for key, n in changes.items() if n)
    for start in range(0, len(items), _ROWS_PER_STATEMENT):
        chunk = items[start:start + _ROWS_PER_STATEMENT]
        values: list[Any] = []
        for key, n in chunk:
            values += key
            values.append(n)
        connection.exec_driver_sql(_upsert_sql(connection.dialect, len(chunk)), tuple(values))


def add_answers(connection: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Count newly stored answer rows (the reportable ones) in the tallies."""
    add(connection, count_rows(rows))


def recount(session: Session, *, campaign_ids: Sequence[int] | None = None) -> None:
    """Rebuild the tallies (of some campaigns, or all) from the stored answers; in the
    caller's transaction. For repairs and data loaded around the services."""
    connection = session.connection()
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
