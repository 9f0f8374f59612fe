"""Problems and reasons as message codes with Indonesian and English texts.

Domain functions never build user-facing sentences themselves: they return a ``Problem``
(something wrong with the input) or a ``Reason`` (why a suggestion was made), each carrying a
stable ``code`` plus parameters. ``.text("id")`` / ``.text("en")`` renders it; the API can send
the code and the parameters as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_LANG = "id"

# code -> {lang: template}; templates use str.format with the message params.
CATALOGUE: dict[str, dict[str, str]] = {
    # --- generic ---------------------------------------------------------------------------
    "required": {
        "id": "Kolom {field} wajib diisi.",
        "en": "Field {field} is required.",
    },
    "not_exact_number": {
        "id": "Nilai {field} harus berupa angka (bilangan bulat atau desimal), bukan {got}.",
        "en": "{field} must be a number (integer or decimal), not {got}.",
    },
    "duplicate_id": {
        "id": "ID {id} muncul lebih dari sekali.",
        "en": "ID {id} appears more than once.",
    },
    # --- innovation ------------------------------------------------------------------------
    "innovation.no_area": {
        "id": "Inovasi harus dikaitkan dengan minimal satu area perubahan.",
        "en": "An innovation must be linked to at least one change area.",
    },
    "innovation.launch_before_start": {
        "id": "Tanggal peluncuran ({launched_on}) tidak boleh sebelum tanggal mulai "
        "({started_on}).",
        "en": "The launch date ({launched_on}) cannot be before the start date ({started_on}).",
    },
    "innovation.parent_self": {
        "id": "Inovasi tidak boleh merupakan pengembangan dari dirinya sendiri.",
        "en": "An innovation cannot build on itself.",
    },
    "innovation.parent_unknown": {
        "id": "Inovasi induk {parent_id} tidak ditemukan.",
        "en": "Parent innovation {parent_id} was not found.",
    },
    "innovation.parent_started_later": {
        "id": "Inovasi induk {parent_id} dimulai {parent_started_on}, setelah inovasi ini "
        "({started_on}); induk harus dimulai lebih dulu atau pada hari yang sama.",
        "en": "Parent innovation {parent_id} started on {parent_started_on}, after this one "
        "({started_on}); a parent must start no later than the innovation built on it.",
    },
    "innovation.parent_cycle": {
        "id": "Kaitan ke inovasi induk {parent_id} membentuk siklus: {cycle}.",
        "en": "Linking to parent innovation {parent_id} creates a cycle: {cycle}.",
    },
    "innovation.wbk_on_wbbm": {
        "id": "Inovasi fase WBK tidak boleh dikembangkan dari inovasi fase WBBM ({parent_id}).",
        "en": "A WBK-phase innovation cannot build on a WBBM-phase innovation ({parent_id}).",
    },
    "innovation.pembeda_required": {
        "id": "Inovasi WBBM yang mengembangkan inovasi WBK ({parent_id}) wajib menjelaskan "
        "pembeda: {missing}.",
        "en": "A WBBM innovation that develops a WBK innovation ({parent_id}) must state what "
        "makes it different: {missing}.",
    },
    "innovation.pembeda_what_is_new": {
        "id": "apa yang baru",
        "en": "what is new",
    },
    "innovation.pembeda_citizen_benefit": {
        "id": "bagaimana masyarakat merasakan perbedaannya",
        "en": "how citizens feel the difference",
    },
    # --- impact ----------------------------------------------------------------------------
    "impact.wrong_unit": {
        "id": "Satuan '{unit}' tidak sesuai untuk ukuran {kind}; gunakan salah satu: {allowed}.",
        "en": "Unit '{unit}' does not fit measure {kind}; use one of: {allowed}.",
    },
    "impact.not_whole": {
        "id": "Nilai {field} untuk ukuran {kind} harus bilangan bulat, bukan {value}.",
        "en": "{field} for measure {kind} must be a whole number, not {value}.",
    },
    "impact.negative": {
        "id": "Nilai {field} tidak boleh negatif ({value}).",
        "en": "{field} cannot be negative ({value}).",
    },
    "impact.out_of_range": {
        "id": "Nilai {field} ({value}) harus di antara {low} dan {high} untuk satuan {unit}.",
        "en": "{field} ({value}) must lie between {low} and {high} for unit {unit}.",
    },
    "impact.after_before_before": {
        "id": "Tanggal pengukuran sesudah ({after_on}) tidak boleh sebelum tanggal pengukuran "
        "sebelum ({before_on}).",
        "en": "The 'after' measurement date ({after_on}) cannot be before the 'before' "
        "measurement date ({before_on}).",
    },
    "impact.wrong_direction": {
        "id": "Untuk ukuran {kind}, arah perbaikan seharusnya {expected}.",
        "en": "For measure {kind}, the direction of improvement should be {expected}.",
    },
    # --- LKE suggestions -------------------------------------------------------------------
    "lke.not_operating": {
        "id": "Inovasi {ids} belum diterapkan (tahap inisiatif/uji coba), tidak dihitung.",
        "en": "Innovations {ids} are not in operation yet (initiative/trial), not counted.",
    },
    "lke.not_service_area": {
        "id": "Inovasi {ids} bukan inovasi pelayanan publik, tidak dihitung untuk PPF2F.",
        "en": "Innovations {ids} are not public-service innovations, not counted for PPF2F.",
    },
    "lke.ppf2f_a": {
        "id": "Inovasi {ids} berbeda dengan unit kerja lain, mendekatkan pelayanan dan telah "
        "direplikasi.",
        "en": "Innovations {ids} differ from other units, bring service closer and have been "
        "replicated.",
    },
    "lke.ppf2f_b": {
        "id": "Inovasi {ids} berbeda dengan unit kerja lain dan mendekatkan pelayanan, tetapi "
        "belum direplikasi.",
        "en": "Innovations {ids} differ from other units and bring service closer, but have not "
        "been replicated yet.",
    },
    "lke.ppf2f_c": {
        "id": "Inovasi {ids} merupakan replikasi/pengembangan inovasi yang sudah ada atau belum "
        "terbukti berbeda dan mendekatkan pelayanan.",
        "en": "Innovations {ids} replicate/develop an existing innovation or are not shown to "
        "differ and bring service closer.",
    },
    "lke.ppf2f_d": {
        "id": "Inovasi {ids} merupakan pelaksanaan inovasi dari instansi pemerintah lain.",
        "en": "Innovations {ids} run an innovation of another government agency.",
    },
    "lke.ppf2f_e": {
        "id": "Belum ada inovasi pelayanan yang diterapkan.",
        "en": "No service innovation is in operation yet.",
    },
    "lke.no_registered_services": {
        "id": "Belum ada layanan yang terdaftar; rasio dihitung 0.",
        "en": "No services are registered; the ratio is taken as 0.",
    },
    "lke.unknown_services": {
        "id": "Layanan {ids} tidak terdaftar dalam standar pelayanan dan diabaikan.",
        "en": "Services {ids} are not registered in the service standard and are ignored.",
    },
    "lke.no_measured_impact": {
        "id": "Inovasi {ids} belum memiliki bukti dampak sebelum/sesudah yang membaik; layanannya "
        "belum dihitung.",
        "en": "Innovations {ids} have no before/after impact showing improvement yet; their "
        "services are not counted.",
    },
    "lke.prf1a_share": {
        "id": "{improved} dari {registered} layanan terdaftar membaik berkat inovasi "
        "({share}); kategori: {band}.",
        "en": "{improved} of {registered} registered services improved through innovations "
        "({share}); band: {band}.",
    },
    "lke.prf1b_ratio": {
        "id": "{simplified} dari {registered} layanan terdaftar telah dipermudah.",
        "en": "{simplified} of {registered} registered services have been simplified.",
    },
    # --- commitment ------------------------------------------------------------------------
    "team.area_required": {
        "id": "Anggota {id} dengan peran {role} harus memiliki area perubahan.",
        "en": "Member {id} with role {role} needs a change area.",
    },
    "team.many_penanggung_jawab": {
        "id": "Hanya boleh ada satu penanggung jawab ({ids}).",
        "en": "There can be only one person in charge ({ids}).",
    },
    "team.many_ketua_area": {
        "id": "Area {area} memiliki lebih dari satu ketua ({ids}).",
        "en": "Area {area} has more than one leader ({ids}).",
    },
    "team.unknown_ids": {
        "id": "ID {ids} pada daftar {list} bukan anggota tim dan diabaikan.",
        "en": "IDs {ids} in list {list} are not team members and are ignored.",
    },
    # --- action plan / partnership ---------------------------------------------------------
    "plan.progress_range": {
        "id": "Progres harus di antara 0 dan 100, bukan {value}.",
        "en": "Progress must be between 0 and 100, not {value}.",
    },
    "plan.done_not_full": {
        "id": "Kegiatan berstatus selesai harus berprogres 100, bukan {value}.",
        "en": "A finished item must have progress 100, not {value}.",
    },
    "plan.not_started_with_progress": {
        "id": "Kegiatan yang belum mulai harus berprogres 0, bukan {value}.",
        "en": "An item not started yet must have progress 0, not {value}.",
    },
    "plan.due_before_start": {
        "id": "Tenggat ({due_on}) tidak boleh sebelum tanggal mulai ({started_on}).",
        "en": "The due date ({due_on}) cannot be before the start date ({started_on}).",
    },
    "plan.bad_lke_ref": {
        "id": "Kode pertanyaan LKE '{ref}' tidak dikenal (contoh yang benar: PPA1A).",
        "en": "LKE question code '{ref}' is not recognised (a valid one looks like PPA1A).",
    },
    "plan.lke_ref_mismatch": {
        "id": "Kode LKE {ref} termasuk {expected}, bukan {given}.",
        "en": "LKE code {ref} belongs to {expected}, not {given}.",
    },
    "partnership.expiry_not_after_signing": {
        "id": "Tanggal berakhir kerja sama ({expires_on}) harus setelah tanggal penandatanganan "
        "({signed_on}).",
        "en": "The partnership's expiry date ({expires_on}) must be after its signing date "
        "({signed_on}).",
    },
    "partnership.negative_warn_days": {
        "id": "Jumlah hari peringatan tidak boleh negatif ({value}).",
        "en": "Warning days cannot be negative ({value}).",
    },
    # --- milestones ------------------------------------------------------------------------
    "milestone.needs_earlier": {
        "id": "{kind_label} pada {on} harus didahului {needed_label}.",
        "en": "{kind_label} on {on} must be preceded by {needed_label}.",
    },
    "milestone.duplicate": {
        "id": "{kind_label} hanya boleh dicatat sekali (tercatat {count} kali).",
        "en": "{kind_label} can be recorded only once (found {count} times).",
    },
}


@dataclass(frozen=True)
class Message:
    """A message code with its parameters; rendered on demand in Indonesian or English."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)

    def text(self, lang: str = DEFAULT_LANG) -> str:
        """Render the message; unknown languages fall back to Indonesian."""
        templates = CATALOGUE[self.code]
        template = templates.get(lang, templates[DEFAULT_LANG])
        return template.format(**{k: _show(v, lang) for k, v in self.params.items()})


@dataclass(frozen=True)
class Problem(Message):
    """Something wrong with the input; ``field`` names the offending input when there is one."""

    field: str | None = None

    def text(self, lang: str = DEFAULT_LANG) -> str:
        params = dict(self.params)
        params.setdefault("field", self.field or "")
        return Message(self.code, params).text(lang)


@dataclass(frozen=True)
class Reason(Message):
    """Why a suggestion was made (or why something was left out)."""


class ProgrammeError(ValueError):
    """Raised by calculations given input that validation would have rejected."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(p.text("en") for p in self.problems))


@dataclass(frozen=True)
class Text:
    """A fixed bilingual text, e.g. the label of an enum member."""

    id: str
    en: str

    def text(self, lang: str = DEFAULT_LANG) -> str:
        return self.en if lang == "en" else self.id


def _show(value: Any, lang: str) -> str:
    if isinstance(value, Message | Text):
        return value.text(lang)
    if isinstance(value, list | tuple | frozenset | set):
        return ", ".join(_show(v, lang) for v in value)
    return str(value)
