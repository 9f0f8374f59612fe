"""Shared helpers for the evidence and review-chain tests."""

from __future__ import annotations

import io
import zipfile

from sqlmodel import Session

from app.services.lke import answers, assessments
from tests.factories import World, principal

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def complete_answers(framework) -> list[answers.AnswerChange]:
    """A valid answer to every question: the first option, zero counts, index 4."""
    changes = []
    for q in framework.questions():
        if q.options:
            changes.append(answers.AnswerChange(ref=q.ref, option=q.option_codes[0]))
        elif q.is_index:
            changes.append(answers.AnswerChange(ref=q.ref, index="4"))
        else:
            changes.append(
                answers.AnswerChange(ref=q.ref, inputs={i.key: 0 for i in q.inputs})
            )
    return changes


def new_assessment(db: Session, world: World, unit: str = "UNIT-A1", year: int = 2025,
                   *, complete: bool = False, skip: tuple[str, ...] = ()):
    actor = principal(db, world, "coord_a1" if unit.endswith("A1") else "admin")
    a = assessments.create(db, actor=actor, unit_id=world.unit(unit), year=year, target="WBK")
    if complete or skip:
        framework = assessments.framework_of(db, a)
        changes = [c for c in complete_answers(framework) if c.ref not in skip]
        answers.answer_many(db, actor=actor, assessment_id=a.id, changes=changes)
    return a
