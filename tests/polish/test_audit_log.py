"""The audit log as people read it: a changed answer and a review decision in words, with
local dates and Indonesian numbers; filters by person, area, kind and date; CSV export."""

from __future__ import annotations

import csv
import io
from fractions import Fraction

from sqlmodel import select

from app.models import Assessment, AuditRecord, LkeReview
from app.services import audit
from app.services.demo.base import DEMO_PASSWORD
from tests.factories import login


def _demo(db):
    from app.services import demo
    from app.services.lke import frameworks

    frameworks.sync_bundled(db)
    return demo.load(db)


def _rows(html: str) -> list[str]:
    """Each table row of the log as its visible text, tags dropped."""
    import re

    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in body.split("</tr>") if row.strip()]


def test_values_read_as_people_write_them():
    assert audit.readable_value("351/400", "Asia/Jakarta") == "0,88"  # 0.8775 half up
    assert audit.readable_value("3.80", "Asia/Jakarta") == "3,80"
    assert audit.readable_value(1200, "Asia/Jakarta", "population") == "1.200"
    assert audit.readable_value(2026, "Asia/Jakarta", "year") == "2026"
    # 17:30 UTC is 00:30 the next day in Jakarta (UTC+7), 01:30 in Makassar (UTC+8)
    assert audit.readable_value("2019-12-31T17:30:00Z", "Asia/Jakarta") == "01-01-2020 00:30"
    assert audit.readable_value("2019-12-31T17:30:00Z", "Asia/Makassar") == "01-01-2020 01:30"
    assert audit.readable_value("2019-03-01", "Asia/Jakarta") == "01-03-2019"
    assert audit.readable_value(True, "Asia/Jakarta") == "ya"
    assert audit.readable_value("closed", "Asia/Jakarta", "status") == "ditutup"
    changes = audit.changes({"option": "Ya", "updated_at": "x", "penjelasan": "a"},
                            {"option": "Tidak", "updated_at": "y", "penjelasan": "a"},
                            "Asia/Jakarta")
    assert [(c.label, c.before, c.after) for c in changes] == [("Opsi", "Ya", "Tidak")]


def test_a_submission_reads_as_its_status_round_and_total_score():
    """A submission's record carries the whole total node of the score tree; the reader sees
    its score, the round and the levels in words, not its weight, name or ids."""
    total = {"ref": "TOTAL", "level": "total", "name": "LKE ZI", "weight": "100.00",
             "score": "87.75", "score_exact": "351/4", "questions": 113, "answered": 113}
    changes = audit.changes(
        {"status": "draft"},
        {"status": "submitted", "submission_id": 7, "round": 2, "levels": ["regional", "tpi"],
         "total": total},
        "Asia/Jakarta")
    assert [(c.label, c.before, c.after) for c in changes] == [
        ("Status", "draf", "diajukan"), ("Putaran", "-", "2"),
        ("Tingkat reviu", "-", "Kanwil, TPI"), ("Nilai total", "-", "87,75"),
    ]


async def test_a_changed_answer_and_a_review_decision_read_in_words(client, db):
    loaded = _demo(db)
    unit_id = loaded.unit_ids["KPPN-TJP"]
    a2019 = db.exec(select(Assessment).where(Assessment.unit_id == unit_id,
                                             Assessment.year == 2019)).one()
    csrf = await login(client, "koordinator", DEMO_PASSWORD)
    answered = await client.post(  # the worksheet's form, as the coordinator saves it
        f"/assessments/{a2019.id}/answers/PPA1A",
        data={"option": "Tidak", "penjelasan": "Tim belum dibentuk.", "csrf_token": csrf})
    assert answered.status_code in (200, 303), answered.text

    page = await client.get(f"/units/{unit_id}/audit", params={"area": "PPA"})
    assert page.status_code == 200
    rows = _rows(page.text)
    first = rows[0]  # newest first: the change just made
    assert "koordinator" in first and "Jawaban diubah" in first
    assert "LKE ZI 2019 · PPA1A" in first and "KPPN Tanjungpandan" in first
    assert "Opsi Ya → menjadi Tidak" in first
    assert "Penjelasan" in first and "Tim belum dibentuk." in first
    assert "updated_at" not in page.text and "question_ref" not in page.text
    assert all("PPA" in row for row in rows)  # the area filter keeps PPA's answers only

    # the 2018 assessment the demo took through the chain: accepted by the Kanwil and the TPI
    reviews = db.exec(select(LkeReview).order_by(LkeReview.id)).all()
    assert [(r.level, r.decision) for r in reviews] == [("regional", "accept"), ("tpi", "accept")]
    page = await client.get(f"/units/{unit_id}/audit",
                            params={"entity": "assessment", "action": "review_accept"})
    rows = _rows(page.text)
    assert len(rows) == 2
    tpi = rows[0]
    assert "tpi" in tpi and "Reviu: diterima" in tpi and "LKE ZI 2018" in tpi
    assert "Status direviu TPI → menjadi final" in tpi
    assert "Status diajukan → menjadi direviu TPI" in rows[1]
    total = Fraction(reviews[1].self_total)  # exact ('351/4' or '87.75'); 2 places, half up:
    hundredths = (2 * total.numerator * 100 + total.denominator) // (2 * total.denominator)
    shown = f"{hundredths // 100},{hundredths % 100:02d}"
    assert f"Nilai mandiri {shown}" in tpi
    assert "/" not in tpi.split("Nilai mandiri", 1)[1].split()[0]  # never '351/400'


async def test_filters_and_csv(client, db):
    loaded = _demo(db)
    unit_id = loaded.unit_ids["KPPN-TJP"]
    csrf = await login(client, "koordinator", DEMO_PASSWORD)
    a2019 = db.exec(select(Assessment).where(Assessment.unit_id == unit_id,
                                             Assessment.year == 2019)).one()
    saved = await client.post(f"/assessments/{a2019.id}/answers/PPB1A",
                              data={"option": "B", "csrf_token": csrf})
    assert saved.status_code in (200, 303), saved.text
    mine = db.exec(select(AuditRecord).where(AuditRecord.actor_label == "koordinator",
                                             AuditRecord.unit_id == unit_id)).all()
    person = mine[0].actor_user_id
    page = await client.get(f"/units/{unit_id}/audit", params={"person": person})
    rows = _rows(page.text)
    assert rows and all("koordinator" in r for r in rows)
    assert f'<option value="{person}" selected>koordinator</option>' in page.text
    assert 'type="date"' in page.text  # date pickers
    none = await client.get(f"/units/{unit_id}/audit",
                            params={"person": person, "since": "2000-01-01",
                                    "until": "2000-01-02"})
    assert "Tidak ada catatan." in none.text
    refused = await client.get(f"/units/{unit_id}/audit", params={"area": "ppa; drop"})
    assert refused.status_code == 422 and "Area LKE tidak dikenal" in refused.text

    exported = await client.get(f"/units/{unit_id}/audit.csv",
                                params={"person": person, "area": "PPB"})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0] == ["Waktu", "Pelaku", "Tindakan", "Jenis", "Data", "Unit", "Perubahan"]
    assert [r[1:6] for r in table[1:]] == [
        ["koordinator", "Jawaban diubah", "Jawaban LKE", "LKE ZI 2019 · PPB1A",
         "KPPN Tanjungpandan"]]


def test_a_spreadsheet_formula_is_never_run():
    row = audit.ReadableRecord(record=None, at="01-01-2020 00:00", actor="=HYPERLINK(1)",
                               action="Dibuat", kind="Pilar", name="+SUM(A1)", unit="",
                               changes=[])
    text = audit.to_csv([row]).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text and "'+SUM(A1)" in text
