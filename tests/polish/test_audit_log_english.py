"""The readable audit log in English when the reader chose English (``?lang=en``): action and
record names, status words, yes/no and numbers, on the page and in the CSV export. The
records keep their codes; only the reading changes."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction

from sqlmodel import select

from app.models import LkeReview
from app.services import audit
from app.services.demo.base import DEMO_PASSWORD
from tests.factories import login


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split())
            for row in body.split("</tr>") if row.strip()]


def test_values_in_english():
    assert audit.readable_value(True, "Asia/Jakarta", lang="en") == "yes"
    assert audit.readable_value(False, "Asia/Jakarta", lang="en") == "no"
    assert audit.readable_value("submitted", "Asia/Jakarta", "status", lang="en") == "submitted"
    assert audit.readable_value("in_review", "Asia/Jakarta", "status", "en") == "under TPI review"
    assert audit.readable_value("regional", "Asia/Jakarta", "level", "en") == "Regional office"
    assert audit.readable_value("351/400", "Asia/Jakarta", lang="en") == "0.88"  # 0.8775
    assert audit.readable_value(1200, "Asia/Jakarta", "population", "en") == "1,200"
    changes = audit.changes({"active": True}, {"active": False}, "Asia/Jakarta", "en")
    assert [(c.label, c.before, c.after) for c in changes] == [("Active", "yes", "no")]
    # Indonesian stays the default
    assert audit.readable_value(True, "Asia/Jakarta") == "ya"


async def test_the_page_and_the_csv_in_english(client, db):
    from app.services import demo
    from app.services.lke import frameworks

    frameworks.sync_bundled(db)
    unit_id = demo.load(db).unit_ids["KPPN-TJP"]
    await login(client, "koordinator", DEMO_PASSWORD)
    page = await client.get(f"/units/{unit_id}/audit",
                            params={"entity": "assessment", "action": "review_accept",
                                    "lang": "en"})
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 2
    tpi, kanwil = rows
    assert "Review: accepted" in tpi and "LKE ZI 2018" in tpi
    assert "Status under TPI review → becomes final" in tpi
    assert "Status submitted → becomes under TPI review" in kanwil
    assert "diajukan" not in page.text and "direviu TPI" not in page.text
    review = db.exec(select(LkeReview).where(LkeReview.level == "tpi")).one()
    total = Fraction(review.self_total)
    hundredths = (2 * total.numerator * 100 + total.denominator) // (2 * total.denominator)
    assert f"Self-assessment score {hundredths // 100}.{hundredths % 100:02d}" in tpi

    exported = await client.get(f"/units/{unit_id}/audit.csv",
                                params={"entity": "assessment", "action": "review_accept",
                                        "lang": "en"})
    table = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert table[0] == ["Time", "Actor", "Action", "Kind", "Record", "Unit", "Changes"]
    assert table[1][2] == "Review: accepted" and "under TPI review → final" in table[1][6]
