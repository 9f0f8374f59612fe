"""Plan an import: compare the rows read from a workbook with the stored answers."""


import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain.lke.framework import TOTAL_REF, Area, Component, Framework, Part, Question
from app.domain.lke.scoring import AnswerInput, validate_answer
from app.services.lke.xlsx_layout.common import (
    FORMAT_NAME,
    INPUT_SEPARATOR,
    LAYOUT_VERSION,
    LEVEL_NAMES,
    MAX_EXPLANATION_CHARS,
    QuestionState,
    canonical_answer,
    describe_answer,
    unescape_text,
)
from app.services.lke.xlsx_layout.reader import ParsedWorkbook, SheetRow, blank, cell_text

# ------------------------------------------------------------------------------------------
# Planning an import
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowProblem:
    row: int
    ref: str
    message: str  # Indonesian

    def __str__(self) -> str:
        return f"Baris {self.row}: {self.message}"


@dataclass(frozen=True)
class Change:
    """One question whose answer and/or penjelasan the file changes."""

    ref: str
    row: int
    old_answer: str  # as shown to people ('' when unanswered)
    new_answer: str
    old_explanation: str
    new_explanation: str
    answer: AnswerInput | None  # the new answer, None when the answer does not change
    explanation: str | None  # the new penjelasan, None when it does not change

    @property
    def answer_changed(self) -> bool:
        return self.answer is not None

    @property
    def explanation_changed(self) -> bool:
        return self.explanation is not None


@dataclass(frozen=True)
class ImportPlan:
    assessment_id: int
    file_sha256: str
    changes: tuple[Change, ...]
    problems: tuple[RowProblem, ...]
    unchanged: int  # questions present in the file whose values equal the stored ones
    questions_in_file: int
    notes: tuple[str, ...]  # Indonesian remarks that do not block the import
    plan_hash: str

    @property
    def ok(self) -> bool:
        return not self.problems


def _parse_number(raw: Any) -> Decimal | None:
    """A cell's number: int/float cells, or text like '12', '3,65', '3.65'; None otherwise."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        try:
            value = Decimal(repr(raw))
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    if isinstance(raw, Decimal):
        return raw if raw.is_finite() else None
    if isinstance(raw, str):
        text = unescape_text(raw).strip().replace(" ", "")
        if not re.fullmatch(r"[+-]?(\d+([.,]\d+)?|[.,]\d+)", text):
            return None
        return Decimal(text.replace(",", "."))
    return None


def _shown(raw: Any) -> str:
    text = cell_text(raw)
    return text if len(text) <= 40 else text[:39] + "\u2026"


def _explanation(raw: Any) -> str | None:
    """Penjelasan from a cell, trimmed as the worksheet stores it; None when blank (= leave
    as it is)."""
    if blank(raw):
        return None
    return unescape_text(cell_text(raw)).strip() or None


def _option_code(question: Question, raw: Any) -> str | None:
    text = unescape_text(cell_text(raw)).strip()
    for code in question.option_codes:
        if text.casefold() == code.casefold():
            return code
    return None


def _same_answer(question: Question, a: AnswerInput | None, b: AnswerInput | None) -> bool:
    return canonical_answer(question, a) == canonical_answer(question, b)


def plan_import(
    framework: Framework,
    parsed: ParsedWorkbook,
    current: Mapping[str, QuestionState],
    *,
    assessment_id: int,
    max_explanation: int = MAX_EXPLANATION_CHARS,
) -> ImportPlan:
    """Compare the file with the stored answers: every change, and every bad row with its
    row number. The plan is applicable only when ``problems`` is empty."""
    problems: list[RowProblem] = []
    notes: list[str] = []
    info = parsed.info
    if info.get("format") == FORMAT_NAME:
        code = info.get("framework_code", "")
        if code and code != framework.code:
            problems.append(RowProblem(
                0, "", f"Berkas ini untuk kerangka {code}, sedangkan penilaian ini memakai "
                f"{framework.code}; impor dibatalkan.",
            ))
        if info.get("assessment_id") not in (None, "", str(assessment_id)):
            year = info.get("year") or "?"
            unit = info.get("unit_code") or "?"
            notes.append(
                f"Berkas ini diekspor dari penilaian lain ({unit} tahun {year}); jawabannya "
                "akan dibandingkan dengan penilaian ini."
            )
    if not parsed.has_explanation_column:
        notes.append("Kolom Penjelasan tidak ada di berkas; penjelasan tidak diubah.")

    seen: dict[str, int] = {}
    answer_cells: dict[str, SheetRow] = {}  # question ref -> its row
    input_cells: dict[str, dict[str, SheetRow]] = {}  # question ref -> key -> row

    for row in parsed.rows:
        ref = row.ref
        if not ref:
            problems.append(RowProblem(
                row.row, "", "kolom Ref kosong, tetapi Jawaban atau Penjelasan terisi. "
                "Isi Ref atau kosongkan baris ini.",
            ))
            continue
        if ref in seen:
            problems.append(RowProblem(
                row.row, ref, f"Ref {ref} muncul lebih dari sekali (juga di baris {seen[ref]})."
            ))
            continue
        seen[ref] = row.row
        if framework.has_question(ref):
            answer_cells[ref] = row
            continue
        base, sep, key = ref.partition(INPUT_SEPARATOR)
        if sep and framework.has_question(base):
            question = framework.question(base)
            if key not in question.input_keys:
                problems.append(RowProblem(
                    row.row, ref, f"Ref {ref} tidak dikenal: {base} tidak punya isian '{key}'."
                ))
                continue
            if not blank(row.explanation):
                problems.append(RowProblem(
                    row.row, ref, f"Penjelasan untuk {base} diisi pada baris pertanyaan {base}, "
                    "bukan pada baris isiannya.",
                ))
            input_cells.setdefault(base, {})[key] = row
            continue
        try:
            node = framework.node(ref) if ref != TOTAL_REF else None
        except KeyError:
            node = False
        if node is False:
            problems.append(RowProblem(
                row.row, ref, f"Ref '{_shown(ref)}' tidak dikenal dalam kerangka {framework.code}."
            ))
            continue
        # a heading row (total, component, part, area, sub-indicator): nothing to import
        if not blank(row.answer) or not blank(row.explanation):
            level = "total" if node is None else _level_of(framework, ref)
            problems.append(RowProblem(
                row.row, ref, f"{ref} adalah baris {LEVEL_NAMES[level]}; Jawaban dan "
                "Penjelasan hanya diisi pada baris pertanyaan.",
            ))

    changes: list[Change] = []
    unchanged = 0
    questions_in_file = 0
    for question in framework.questions():
        ref = question.ref
        row = answer_cells.get(ref)
        inputs = input_cells.get(ref, {})
        if row is None and not inputs:
            continue
        questions_in_file += 1
        state = current.get(ref) or QuestionState()
        head_row = row.row if row is not None else min(r.row for r in inputs.values())
        new_answer: AnswerInput | None = None
        row_problems: list[RowProblem] = []

        if question.inputs:
            if row is not None and not blank(row.answer):
                keys = ", ".join(f"{ref}{INPUT_SEPARATOR}{k}" for k in question.input_keys)
                row_problems.append(RowProblem(
                    row.row, ref, f"{ref} dijawab dengan isian angka pada barisnya sendiri "
                    f"({keys}), bukan pada baris ini.",
                ))
            filled = {k: r for k, r in inputs.items() if not blank(r.answer)}
            if filled:
                values: dict[str, Decimal] = {}
                for spec in question.inputs:
                    cell = inputs.get(spec.key)
                    if cell is None:
                        row_problems.append(RowProblem(
                            head_row, ref, f"baris isian {ref}{INPUT_SEPARATOR}{spec.key} "
                            f"('{spec.label}') tidak ada; isi semua isian {ref} atau "
                            "kosongkan semuanya.",
                        ))
                    elif blank(cell.answer):
                        row_problems.append(RowProblem(
                            cell.row, cell.ref, f"isian '{spec.label}' untuk {ref} kosong; isi "
                            f"semua isian {ref} atau kosongkan semuanya.",
                        ))
                    else:
                        number = _parse_number(cell.answer)
                        if number is None:
                            row_problems.append(RowProblem(
                                cell.row, cell.ref, f"isian '{spec.label}' untuk {ref} harus "
                                f"berupa angka, bukan '{_shown(cell.answer)}'.",
                            ))
                        else:
                            values[spec.key] = number
                if not row_problems:
                    new_answer = AnswerInput(inputs=values)
                    # negative, fractional and inconsistent inputs: the domain's messages
                    messages = validate_answer(question, new_answer)
                    first = min(r.row for r in inputs.values())
                    row_problems += [RowProblem(first, ref, m) for m in messages]
        elif row is not None and not blank(row.answer):
            if question.options:
                code = _option_code(question, row.answer)
                if code is None:
                    allowed = ", ".join(question.option_codes)
                    row_problems.append(RowProblem(
                        row.row, ref, f"Pilihan '{_shown(row.answer)}' tidak tersedia untuk "
                        f"{ref} (pilihan: {allowed}).",
                    ))
                else:
                    new_answer = AnswerInput(option=code)
            else:  # index
                number = _parse_number(row.answer)
                if number is None:
                    row_problems.append(RowProblem(
                        row.row, ref, f"Nilai indeks untuk {ref} harus berupa angka, bukan "
                        f"'{_shown(row.answer)}'.",
                    ))
                else:
                    new_answer = AnswerInput(index=number)
                    row_problems += [
                        RowProblem(row.row, ref, m)
                        for m in validate_answer(question, new_answer)
                    ]

        new_explanation = _explanation(row.explanation) if row is not None else None
        if new_explanation is not None and len(new_explanation) > max_explanation:
            row_problems.append(RowProblem(
                head_row, ref, f"Penjelasan {ref} terlalu panjang ({len(new_explanation)} "
                f"karakter; maksimal {max_explanation}).",
            ))
        if row_problems:
            problems.extend(row_problems)
            continue
        answer_changed = new_answer is not None and not _same_answer(
            question, new_answer, state.answer if state.answered else None
        )
        explanation_changed = new_explanation is not None and new_explanation != (
            state.explanation or ""
        )
        if not answer_changed and not explanation_changed:
            unchanged += 1
            continue
        old_shown = describe_answer(question, state.answer if state.answered else None)
        changes.append(Change(
            ref=ref,
            row=head_row,
            old_answer=old_shown,
            new_answer=describe_answer(question, new_answer) if answer_changed else old_shown,
            old_explanation=state.explanation or "",
            new_explanation=new_explanation if explanation_changed else (state.explanation or ""),
            answer=new_answer if answer_changed else None,
            explanation=new_explanation if explanation_changed else None,
        ))

    problems.sort(key=lambda p: (p.row, p.ref))
    plan_hash = _plan_hash(framework, assessment_id, parsed.sha256, changes, current)
    return ImportPlan(
        assessment_id=assessment_id,
        file_sha256=parsed.sha256,
        changes=tuple(changes),
        problems=tuple(problems),
        unchanged=unchanged,
        questions_in_file=questions_in_file,
        notes=tuple(notes),
        plan_hash=plan_hash,
    )


def _level_of(framework: Framework, ref: str) -> str:
    node = framework.node(ref)
    if isinstance(node, Component):
        return "component"
    if isinstance(node, Part):
        return "part"
    if isinstance(node, Area):
        return "area"
    return "sub_indicator"


def _plan_hash(
    framework: Framework,
    assessment_id: int,
    file_sha256: str,
    changes: Sequence[Change],
    current: Mapping[str, QuestionState],
) -> str:
    """Fingerprint of what would be applied *and* of the stored values it replaces, so an
    apply step can prove it applies exactly the plan that was shown."""
    items = []
    for change in changes:
        question = framework.question(change.ref)
        state = current.get(change.ref) or QuestionState()
        items.append({
            "ref": change.ref,
            "old_answer": canonical_answer(question, state.answer if state.answered else None),
            "old_explanation": state.explanation or "",
            "answer": canonical_answer(question, change.answer),
            "explanation": change.explanation,
        })
    payload = json.dumps(
        {
            "format": FORMAT_NAME,
            "layout": LAYOUT_VERSION,
            "framework": [framework.code, framework.version],
            "assessment": assessment_id,
            "file": file_sha256,
            "changes": items,
        },
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()
