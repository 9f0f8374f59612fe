"""Notification kinds, the delivery modes a person chooses per kind, and the messages
(Indonesian and English) built from a notification's stored parameters.

A notification stores its kind and parameters, never a rendered text: the inbox shows it in
the reader's language of the moment, an e-mail in the recipient's ``User.language``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

NOW = "now"
DIGEST = "digest"
NONE = "none"
MODES = {
    NOW: ("Segera (e-mail per kejadian)", "At once (one e-mail each)"),
    DIGEST: ("Ringkasan harian (satu e-mail sehari)", "Daily digest (one e-mail a day)"),
    NONE: ("Tanpa e-mail (hanya kotak masuk)", "No e-mail (inbox only)"),
}

ASSESSMENT_SUBMITTED = "assessment_submitted"
ASSESSMENT_RETURNED = "assessment_returned"
ASSESSMENT_ACCEPTED = "assessment_accepted"
QUESTION_FLAGGED = "question_flagged"
DEADLINE = "deadline"
ACTION_ITEM_OVERDUE = "action_item_overdue"
PARTNERSHIP_EXPIRING = "partnership_expiring"
CAMPAIGN_SAMPLE_REACHED = "campaign_sample_reached"
CAMPAIGN_CLOSED = "campaign_closed"
ANSWERS_HELD = "answers_held"
EVIDENCE_EXPIRING = "evidence_expiring"
EVIDENCE_EXPIRED = "evidence_expired"

#: kind -> (Indonesian, English) name, in the order the preferences page lists them.
KINDS: dict[str, tuple[str, str]] = {
    ASSESSMENT_SUBMITTED: ("Penilaian LKE diajukan untuk Anda reviu",
                           "LKE assessment submitted for your review"),
    ASSESSMENT_RETURNED: ("Penilaian LKE dikembalikan", "LKE assessment returned"),
    ASSESSMENT_ACCEPTED: ("Penilaian LKE diterima", "LKE assessment accepted"),
    QUESTION_FLAGGED: ("Pertanyaan LKE ditandai reviewer", "LKE question flagged by a reviewer"),
    DEADLINE: ("Tenggat kalender evaluasi", "Evaluation calendar deadline"),
    ACTION_ITEM_OVERDUE: ("Rencana aksi melewati tenggat", "Action item overdue"),
    PARTNERSHIP_EXPIRING: ("Perjanjian kemitraan segera berakhir",
                           "Partnership agreement expiring"),
    CAMPAIGN_SAMPLE_REACHED: ("Survei mencapai sampel minimum",
                              "Survey reached its minimum sample"),
    CAMPAIGN_CLOSED: ("Survei ditutup", "Survey closed"),
    ANSWERS_HELD: ("Jawaban survei ditahan untuk diperiksa", "Survey answers held for review"),
    EVIDENCE_EXPIRING: ("Eviden segera habis masa berlakunya", "Evidence about to expire"),
    EVIDENCE_EXPIRED: ("Eviden kedaluwarsa", "Evidence expired"),
}

_LEVELS = {"regional": ("Kantor Wilayah", "regional office"), "tpi": ("TPI", "TPI")}
_STEPS = {
    "self_assessment": ("pengajuan penilaian mandiri", "self-assessment submission"),
    "regional_review": ("reviu Kantor Wilayah", "regional office review"),
    "tpi_review": ("reviu TPI", "TPI review"),
    "national_proposal": ("usulan ke Tim Penilai Nasional", "proposal to the national team"),
}

# kind -> ((Indonesian title, body), (English title, body)); {name} from the parameters.
_TEXTS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    ASSESSMENT_SUBMITTED: (
        ("{unit}: LKE {year} menunggu reviu {level_id}",
         "{actor} mengajukan penilaian LKE {year} (putaran {round}). Nilai mandiri {total}."),
        ("{unit}: LKE {year} waits for the {level_en} review",
         "{actor} submitted the LKE {year} assessment (round {round}). Self score {total}."),
    ),
    ASSESSMENT_RETURNED: (
        ("{unit}: LKE {year} dikembalikan oleh {level_id}",
         "{actor} mengembalikan penilaian untuk diperbaiki. {note}"),
        ("{unit}: LKE {year} returned by the {level_en}",
         "{actor} returned the assessment for correction. {note}"),
    ),
    ASSESSMENT_ACCEPTED: (
        ("{unit}: LKE {year} diterima {level_id}",
         "{actor} menerima penilaian. Nilai reviu {total}. {note}"),
        ("{unit}: LKE {year} accepted by the {level_en}",
         "{actor} accepted the assessment. Review score {total}. {note}"),
    ),
    QUESTION_FLAGGED: (
        ("{unit}: {count} pertanyaan LKE {year} ditandai",
         "Reviewer {level_id} menandai: {refs}. Lihat catatannya pada lembar kerja."),
        ("{unit}: {count} LKE {year} questions flagged",
         "The {level_en} reviewer flagged: {refs}. See the notes in the worksheet."),
    ),
    DEADLINE: (
        ("{unit}: tenggat {step_id} {when_id}",
         "Tenggat {step_id} tahun {year}: {due}."),
        ("{unit}: {step_en} deadline {when_en}",
         "The {year} {step_en} deadline: {due}."),
    ),
    ACTION_ITEM_OVERDUE: (
        ("{unit}: rencana aksi melewati tenggat",
         "\"{activity}\" (PIC {pic}) seharusnya selesai {due}."),
        ("{unit}: action item overdue",
         "\"{activity}\" (PIC {pic}) was due {due}."),
    ),
    PARTNERSHIP_EXPIRING: (
        ("{unit}: kemitraan dengan {partner} {when_id}",
         "Perjanjian {number} berakhir {due}."),
        ("{unit}: partnership with {partner} {when_en}",
         "Agreement {number} expires {due}."),
    ),
    CAMPAIGN_SAMPLE_REACHED: (
        ("{unit}: survei \"{title}\" mencapai sampel minimum",
         "{count} responden dari sampel minimum {minimum}."),
        ("{unit}: survey \"{title}\" reached its minimum sample",
         "{count} respondents of the minimum sample {minimum}."),
    ),
    CAMPAIGN_CLOSED: (
        ("{unit}: survei \"{title}\" ditutup",
         "Periode {period}; {count} responden."),
        ("{unit}: survey \"{title}\" closed",
         "Period {period}; {count} respondents."),
    ),
    ANSWERS_HELD: (
        ("{unit}: jawaban survei ditahan",
         "Jawaban baru pada survei \"{title}\" ditahan untuk diperiksa."),
        ("{unit}: survey answers held",
         "New answers to the survey \"{title}\" are held for review."),
    ),
    EVIDENCE_EXPIRING: (
        ("{unit}: eviden \"{title}\" berakhir {when_id}",
         "Eviden berlaku sampai {due}. Unggah versi yang baru sebelum tanggal itu."),
        ("{unit}: evidence \"{title}\" expires {when_en}",
         "The evidence is valid until {due}. Upload a new version before then."),
    ),
    EVIDENCE_EXPIRED: (
        ("{unit}: eviden \"{title}\" kedaluwarsa",
         "Eviden hanya berlaku sampai {due}. Ganti dengan yang masih berlaku."),
        ("{unit}: evidence \"{title}\" expired",
         "The evidence was valid until {due}. Replace it with a valid one."),
    ),
}


def _when(days_left: int) -> tuple[str, str]:
    if days_left < 0:
        return (f"terlewat {-days_left} hari", f"passed {-days_left} days ago"
                if days_left < -1 else "passed yesterday")
    if days_left == 0:
        return ("hari ini", "today")
    if days_left == 1:
        return ("besok", "tomorrow")
    return (f"dalam {days_left} hari", f"in {days_left} days")


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return "-"


def message(kind: str, params: Mapping[str, Any], lang: str = "id") -> tuple[str, str]:
    """(title, body) of a notification in ``lang`` ("en" English, else Indonesian)."""
    values = _Blank({k: ("" if v is None else v) for k, v in params.items()})
    level = _LEVELS.get(str(params.get("level", "")), ("", ""))
    step = _STEPS.get(str(params.get("step", "")), ("", ""))
    values.update(level_id=level[0], level_en=level[1], step_id=step[0], step_en=step[1])
    if "days_left" in params:
        when = _when(int(params["days_left"]))
        values.update(when_id=when[0], when_en=when[1])
    texts = _TEXTS.get(kind)
    if texts is None:
        return (kind, "")
    title, body = texts[1] if lang == "en" else texts[0]
    return title.format_map(values).strip(), body.format_map(values).strip()
