"""The SKM report as a sequence of blocks (headings, paragraphs, tables, figures), in Indonesian
or English, built once from ``report.SkmReport``; the PDF and the DOCX lay out the same blocks,
so both say the same words and the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

from app.domain.programme import ItemStatus
from app.i18n import format_number
from app.services import charts
from app.services.surveys.report import InstrumentSection, SkmReport
from app.services.surveys.results import INDEX_NAMES


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Para:
    text: str
    style: str = ""  # "" | "muted" | "strong"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: frozenset[int] = frozenset()  # right-aligned columns
    strong_rows: frozenset[int] = frozenset()  # totals, the weakest elements
    caption: str = ""


@dataclass(frozen=True)
class Figure:
    svg: str
    caption: str


@dataclass(frozen=True)
class Signature:
    place_date: str
    roles: tuple[str, ...]


Block = Heading | Para | Bullets | Table | Figure | Signature


@dataclass
class Document:
    lang: str
    title: str
    subtitle: tuple[str, ...]
    blocks: list[Block] = field(default_factory=list)

    def text(self) -> str:
        """Every word of the document, one block a line (tests, search)."""
        lines = [self.title, *self.subtitle]
        for b in self.blocks:
            if isinstance(b, Heading | Para):
                lines.append(b.text)
            elif isinstance(b, Bullets):
                lines.extend(b.items)
            elif isinstance(b, Table):
                lines.append(" | ".join(b.header))
                lines.extend(" | ".join(r) for r in b.rows)
            elif isinstance(b, Figure):
                lines.append(b.caption)
            elif isinstance(b, Signature):
                lines.append(b.place_date)
                lines.extend(b.roles)
        return "\n".join(lines)


_MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
           "September", "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
}
_CHANNELS = {"web": ("formulir daring (tautan dan kode QR)", "the online form (link and QR code)"),
             "kiosk": ("kios survei di tempat layanan", "survey kiosks at the service point"),
             "api": ("sistem lain melalui API", "other systems through the API")}
_PERIOD_KINDS = {"quarter": ("Triwulan", "Quarter"), "semester": ("Semester", "Semester"),
                 "year": ("Tahun", "Year")}


class _Words:
    """Number, date and wording helpers in one language."""

    def __init__(self, lang: str):
        self.lang = lang

    def t(self, indonesian: str, english: str) -> str:
        return english if self.lang == "en" else indonesian

    def n(self, value, places: int = 2) -> str:
        return format_number(value, places, self.lang)

    def d(self, value: date | None) -> str:
        if value is None:
            return "-"
        return f"{value.day} {_MONTHS[self.lang][value.month - 1]} {value.year}"

    def signed(self, value: Fraction, places: int = 3) -> str:
        return ("+" if value > 0 else "") + self.n(value, places)


def skm_document(report: SkmReport) -> Document:
    w = _Words(report.lang)
    c = report.campaign
    kind_name = _PERIOD_KINDS.get(c.period_kind, ("Periode", "Period"))[report.lang == "en"]
    doc = Document(
        report.lang,
        w.t("Laporan Survei Kepuasan Masyarakat", "Public Satisfaction Survey Report"),
        (report.unit.name, *(u.name for u in reversed(report.parents)),
         f"{kind_name} {c.period_label} · {c.title}"),
    )
    add = doc.blocks.append
    ikm = report.section("ikm")
    res = report.results

    # ---------------------------------------------------------------- I. introduction
    add(Heading(w.t("I. Pendahuluan", "I. Introduction")))
    add(Heading(w.t("A. Dasar hukum", "A. Legal basis"), 2))
    add(Bullets((
        w.t("Undang-Undang Nomor 25 Tahun 2009 tentang Pelayanan Publik;",
            "Law No. 25 of 2009 on Public Services;"),
        w.t("Peraturan Pemerintah Nomor 96 Tahun 2012 tentang Pelaksanaan Undang-Undang Nomor "
            "25 Tahun 2009 tentang Pelayanan Publik;",
            "Government Regulation No. 96 of 2012 implementing Law No. 25 of 2009;"),
        w.t("Peraturan Menteri PANRB Nomor 14 Tahun 2017 tentang Pedoman Penyusunan Survei "
            "Kepuasan Masyarakat Unit Penyelenggara Pelayanan Publik;",
            "Regulation of the Minister of State Apparatus Empowerment and Bureaucratic Reform "
            "(PermenPANRB) No. 14 of 2017 on guidelines for public satisfaction surveys;"),
        w.t("Peraturan Menteri PANRB Nomor 90 Tahun 2021 tentang Pembangunan dan Evaluasi Zona "
            "Integritas Menuju Wilayah Bebas dari Korupsi dan Wilayah Birokrasi Bersih dan "
            "Melayani di Instansi Pemerintah.",
            "PermenPANRB No. 90 of 2021 on building and evaluating Integrity Zones (WBK/WBBM) "
            "in government agencies."),
    )))
    add(Heading(w.t("B. Maksud dan tujuan", "B. Purpose"), 2))
    add(Para(w.t(
        f"Survei ini mengukur kepuasan masyarakat atas layanan {report.unit.name} pada "
        f"{kind_name.lower()} {c.period_label}, untuk mengetahui unsur pelayanan yang masih "
        "perlu diperbaiki, menilai kinerja pelayanan secara berkala, dan menjadi dasar "
        "rencana tindak lanjut perbaikan pelayanan.",
        f"This survey measures public satisfaction with the services of {report.unit.name} "
        f"in {kind_name.lower()} {c.period_label}: it shows which service elements still need "
        "improving, tracks service performance over time, and is the basis of the follow-up "
        "plan.")))

    # ---------------------------------------------------------------- II. method
    add(Heading(w.t("II. Metode", "II. Method")))
    instruments = [r.instrument for r in res.instruments]
    add(Table(
        (w.t("Uraian", "Item"), w.t("Keterangan", "Detail")),
        (
            (w.t("Instrumen", "Instrument"),
             "; ".join(i.title.get(report.lang) for i in instruments)),
            (w.t("Periode", "Period"), f"{kind_name} {c.period_label}"),
            (w.t("Waktu pengumpulan", "Collection dates"), f"{w.d(c.opens_on)} – {w.d(c.closes_on)}"),
            (w.t("Populasi (perkiraan pengguna layanan)", "Population (estimated service users)"),
             w.n(c.population, 0)),
            (w.t("Sampel minimal (Krejcie-Morgan)", "Minimum sample (Krejcie-Morgan)"),
             w.n(res.minimum_sample, 0)),
            (w.t("Responden yang dihitung", "Respondents counted"), w.n(res.respondents, 0)),
            (w.t("Jawaban tersimpan", "Responses stored"), w.n(res.stored, 0)),
            (w.t("Tidak dihitung (disaring)", "Not counted (screened out)"),
             w.n(res.excluded, 0)),
        ),
        numeric=frozenset(), caption=w.t("Tabel 1. Ringkasan metode", "Table 1. Method summary"),
    ))
    add(Para(w.t(
        "Jumlah sampel minimal dihitung dengan rumus Krejcie dan Morgan (taraf kepercayaan 95%, "
        f"batas kesalahan 5%) dari populasi {w.n(c.population, 0)}: {w.n(res.minimum_sample, 0)} "
        "responden. " + (f"Sampel minimal tercapai ({w.n(res.respondents, 0)} responden)."
                         if res.sample_reached else
                         f"Sampel minimal belum tercapai: kurang "
                         f"{w.n(res.minimum_sample - res.respondents, 0)} responden."),
        "The minimum sample follows Krejcie and Morgan (95% confidence, 5% margin of error) "
        f"for a population of {w.n(c.population, 0)}: {w.n(res.minimum_sample, 0)} respondents. "
        + (f"The minimum sample was reached ({w.n(res.respondents, 0)} respondents)."
           if res.sample_reached else
           f"The minimum sample was not reached: "
           f"{w.n(res.minimum_sample - res.respondents, 0)} respondents short."))))
    channels = [f"{_CHANNELS.get(k, (k, k))[report.lang == 'en']} ({w.n(n, 0)})"
                for k, n in report.channels.items()]
    add(Para(w.t(
        "Jawaban dikumpulkan melalui " + (", ".join(channels) or "-") + ". Setiap jawaban "
        "disaring otomatis (batas kiriman per alamat dan per perangkat, isian jebakan, waktu "
        "pengisian yang tidak wajar, kiriman ganda); jawaban yang mencurigakan disimpan tetapi "
        "tidak dihitung sampai ditinjau koordinator. "
        f"Dari {w.n(res.stored, 0)} jawaban tersimpan, {w.n(res.respondents, 0)} dihitung"
        + (f", {w.n(res.suspect_pending, 0)} masih menunggu tinjauan" if res.suspect_pending
           else "")
        + f" dan {w.n(res.excluded - res.suspect_pending, 0)} dikeluarkan setelah ditinjau.",
        "Answers were collected through " + (", ".join(channels) or "-") + ". Every answer is "
        "screened automatically (limits per address and per device, a trap field, an "
        "implausible filling time, repeated submissions); suspect answers are kept but not "
        "counted until a coordinator reviews them. "
        f"Of {w.n(res.stored, 0)} stored responses, {w.n(res.respondents, 0)} were counted"
        + (f", {w.n(res.suspect_pending, 0)} await review" if res.suspect_pending else "")
        + f" and {w.n(res.excluded - res.suspect_pending, 0)} were excluded on review.")))
    if ikm is not None:
        n = len(ikm.elements)
        add(Para(w.t(
            f"Nilai rata-rata (NRR) setiap unsur = jumlah nilai jawaban / jumlah jawaban. NRR "
            f"tertimbang = NRR x bobot unsur (1/{n}, tertulis {w.n(Fraction(1, n), 3)} dalam "
            "pedoman; di sini dihitung tepat). IKM = jumlah NRR tertimbang x 25, pada skala "
            "25-100.",
            f"Each element's mean score (NRR) = sum of answer values / number of answers. "
            f"Weighted NRR = NRR x the element's weight (1/{n}, printed as "
            f"{w.n(Fraction(1, n), 3)} in the guideline; computed exactly here). IKM = sum of "
            "weighted NRRs x 25, on a 25-100 scale.")))

    # ---------------------------------------------------------------- III. results
    add(Heading(w.t("III. Hasil", "III. Results")))
    if not report.sections:
        add(Para(w.t("Belum ada jawaban yang dihitung.", "No counted answers yet."), "muted"))
    table_no = 2
    for s in report.sections:
        table_no = _results_section(doc, w, s, table_no)
    if report.services:
        add(Heading(w.t("Hasil per jenis layanan", "Results per service type"), 2))
        kinds = [r.kind for r in res.instruments]
        rows = []
        for row in report.services:
            cells = [row.name if report.lang == "id" or row.service_id else
                     "No service type", w.n(row.respondents, 0)]
            for r in row.results:
                if not r.has_data:
                    cells.append("–")
                elif r.ikm is not None:
                    cells.append(f"{w.n(r.value)} ({r.ikm.grade.letter})")
                else:
                    cells.append(w.n(r.value))
            rows.append(tuple(cells))
        add(Table(
            (w.t("Jenis layanan", "Service type"), w.t("Responden", "Respondents"),
             *(INDEX_NAMES[k] for k in kinds)),
            tuple(rows), numeric=frozenset(range(1, 2 + len(kinds))),
            caption=w.t(f"Tabel {table_no}. Indeks per jenis layanan",
                        f"Table {table_no}. Indices per service type")))
        table_no += 1
    if res.profile and res.respondents:
        add(Heading(w.t("Profil responden", "Respondent profile"), 2))
        rows = []
        for p in res.profile:
            field_name = p.label_in(p.label, report.lang)
            for label, g in p.groups:
                if g.count:  # the options nobody chose are left out: the table stays short
                    rows.append((field_name, p.label_in(label, report.lang), w.n(g.count, 0),
                                 w.n(g.percent, 1) + "%"))
            if p.unanswered:
                rows.append((field_name, w.t("Tidak diisi", "Not given"),
                             w.n(p.unanswered, 0), ""))
        add(Table((w.t("Profil", "Profile"), w.t("Kelompok", "Group"), w.t("Jumlah", "Count"),
                   w.t("% dari yang mengisi", "% of those answering")), tuple(rows),
                  numeric=frozenset({2, 3})))
    if report.suggestions:
        add(Heading(w.t("Saran responden", "Respondents' suggestions"), 2))
        for g in report.suggestions:
            name = g.service if report.lang == "id" or g.service != "Tanpa jenis layanan" \
                else "No service type"
            add(Para(f"{name} ({w.n(g.total, 0)} {w.t('saran', 'suggestions')})", "strong"))
            items = [f"{text}" + (f" ({w.n(k, 0)}x)" if k > 1 else "") for text, k in g.items]
            if g.more:
                items.append(w.t(f"dan {g.more} saran lain", f"and {g.more} more"))
            add(Bullets(tuple(items)))

    # ---------------------------------------------------------------- IV. comparison
    add(Heading(w.t("IV. Perbandingan dengan periode sebelumnya",
                    "IV. Comparison with the previous period")))
    compared = False
    for s in report.sections:
        if s.previous is None:
            continue
        compared = True
        name = s.result.index_name
        prev = s.previous
        add(Para(w.t(
            f"{name} {prev.period}: {w.n(prev.result.value)}; {name} {c.period_label}: "
            f"{w.n(s.result.value)} (perubahan {w.signed(s.step.change, 2)}).",
            f"{name} {prev.period}: {w.n(prev.result.value)}; {name} {c.period_label}: "
            f"{w.n(s.result.value)} (change {w.signed(s.step.change, 2)}).")))
        add(Table(
            (w.t("Unsur", "Element"), f"NRR {prev.period}", f"NRR {c.period_label}",
             w.t("Perubahan", "Change"), w.t("Keterangan", "Note")),
            tuple((f"{e.code} {e.label(report.lang)}", w.n(e.change.before, 3),
                   w.n(e.nrr, 3), w.signed(e.change.change),
                   _direction(w, e.change.direction))
                  for e in s.elements if e.change is not None),
            numeric=frozenset({1, 2, 3}),
        ))
    if len(report.trend) > 1:
        points = [(r.period, r.result.value, w.n(r.result.value)) for r in report.trend]
        name = report.trend[0].result.index_name
        bands = [charts.Band(b.lower, b.upper, f"{b.letter}", charts.IKM_BAND_FILLS.get(
            b.letter, "#ffffff")) for b in report.trend[0].result.instrument.grades]
        lo = 25 if min(r.result.value for r in report.trend) < 50 else 50
        add(Figure(charts.line_chart(
            points, y_min=lo if bands else report.trend[0].result.instrument.scale_min,
            y_max=100 if bands else report.trend[0].result.instrument.scale_max, bands=bands,
            title=w.t(f"Tren {name}", f"{name} trend"),
            desc="; ".join(f"{p}: {v}" for p, _x, v in points), chart_id="report-trend"),
            w.t(f"Gambar. Tren {name} per periode", f"Figure. {name} per period")))
    if not compared:
        add(Para(w.t("Belum ada periode sebelumnya yang dapat dibandingkan.",
                     "There is no previous period to compare with."), "muted"))

    # ---------------------------------------------------------------- V. conclusion
    add(Heading(w.t("V. Kesimpulan", "V. Conclusion")))
    conclusions = []
    for s in report.sections:
        r = s.result
        name = r.index_name
        if r.ikm is not None:
            grade = r.ikm.grade
            conclusions.append(w.t(
                f"{name} {report.unit.name} periode {c.period_label} adalah {w.n(r.value)}, "
                f"mutu pelayanan {grade.letter}, kinerja unit pelayanan {grade.label_id}.",
                f"The {name} of {report.unit.name} for {c.period_label} is {w.n(r.value)}: "
                f"service quality {grade.letter}, unit performance {grade.label_en}."))
        else:
            conclusions.append(w.t(
                f"{name} periode {c.period_label} adalah {w.n(r.value)} (skala "
                f"{r.instrument.scale_min}-{r.instrument.scale_max}; {w.n(r.value_1_4)} pada "
                "skala 1-4).",
                f"The {name} for {c.period_label} is {w.n(r.value)} (scale "
                f"{r.instrument.scale_min}-{r.instrument.scale_max}; {w.n(r.value_1_4)} on 1-4)."))
        weakest = ", ".join(f"{e.code} {_name(s, e.code, report.lang)} ({w.n(e.nrr, 3)})"
                            for e in s.weakest)
        conclusions.append(w.t(f"Unsur {name} terendah yang menjadi prioritas perbaikan: "
                               f"{weakest}.",
                               f"The lowest {name} elements, the priorities to improve: "
                               f"{weakest}."))
        if s.step is not None and s.step.change is not None:
            conclusions.append(w.t(
                f"Dibanding periode sebelumnya, {name} "
                + {"up": "naik", "down": "turun", "flat": "tetap"}[s.step.direction]
                + (f" {w.n(abs(s.step.change))}" if s.step.change else "") + " poin.",
                f"Compared with the previous period, the {name} went "
                + {"up": "up", "down": "down", "flat": "unchanged"}[s.step.direction]
                + (f" by {w.n(abs(s.step.change))}" if s.step.change else "") + " points."))
    if not res.sample_reached:
        conclusions.append(w.t("Sampel minimal belum tercapai, sehingga hasil perlu dibaca "
                               "dengan hati-hati.",
                               "The minimum sample was not reached: read the results with "
                               "care."))
    add(Bullets(tuple(conclusions) or (w.t("Belum ada hasil.", "No results yet."),)))

    # ---------------------------------------------------------------- VI. follow-up plan
    add(Heading(w.t("VI. Rencana tindak lanjut", "VI. Follow-up plan")))
    rows = []
    for ip in report.plan.instruments:
        for e in ip.shown:
            label = f"{e.code} {e.name_en if report.lang == 'en' else e.name}"
            if not e.actions:
                rows.append((label, w.t("(belum ada tindakan)", "(no action yet)"), "", "", ""))
            for a in e.actions:
                rows.append((label, a.action, a.owner or "-", w.d(a.due_on),
                             ItemStatus(a.status).label.text(report.lang)))
    add(Table((w.t("Unsur", "Element"), w.t("Tindakan", "Action"),
               w.t("Penanggung jawab", "Owner"), w.t("Batas waktu", "Due"),
               w.t("Status", "Status")), tuple(rows),
              caption=w.t("Rencana tindak lanjut atas unsur terendah",
                          "Follow-up plan for the lowest elements")))
    add(Signature(
        w.t(f"{report.unit.name}, {w.d(report.generated_on)}",
            f"{report.unit.name}, {w.d(report.generated_on)}"),
        (w.t("Kepala Unit", "Head of unit"), w.t("Koordinator Tim ZI", "ZI team coordinator")),
    ))
    return doc


def _name(section: InstrumentSection, code: str, lang: str) -> str:
    item = section.instrument.item(code)
    return item.name.en if lang == "en" else item.name.id


def _direction(w: _Words, direction: str | None) -> str:
    return {"up": w.t("membaik", "improved"), "down": w.t("menurun", "declined"),
            "flat": w.t("tetap", "unchanged")}.get(direction or "", "-")


def _results_section(doc: Document, w: _Words, s: InstrumentSection, table_no: int) -> int:
    add = doc.blocks.append
    r = s.result
    inst = r.instrument
    lang = doc.lang
    add(Heading(f"{r.index_name} · {inst.title.get(lang)}", 2))
    weak = {e.code for e in s.weakest}
    rows = [(e.code, e.label(lang), w.n(e.nrr, 3), w.n(e.weighted, 3), w.n(e.count, 0))
            for e in s.elements]
    strong = frozenset(n for n, e in enumerate(s.elements) if e.code in weak)
    total_label = w.t("Jumlah NRR tertimbang", "Sum of weighted NRR") if r.ikm else \
        w.t("Rata-rata", "Mean")
    rows.append(("", total_label, "", w.n(s.weighted_sum, 3), ""))
    if r.ikm is not None:
        rows.append(("", "IKM (x 25)", "", w.n(r.value), ""))
    add(Table(
        (w.t("Kode", "Code"), w.t("Unsur", "Element") if r.ikm else w.t("Butir", "Item"),
         "NRR", w.t("NRR tertimbang", "Weighted NRR"), w.t("Jawaban", "Answers")),
        tuple(rows), numeric=frozenset({2, 3, 4}),
        strong_rows=strong | {len(rows) - 1} | ({len(rows) - 2} if r.ikm else frozenset()),
        caption=w.t(f"Tabel {table_no}. NRR per unsur {r.index_name} (tebal: tiga terendah)",
                    f"Table {table_no}. NRR per {r.index_name} element (bold: the three lowest)"),
    ))
    bars = [charts.Bar(label=f"{e.code} {e.label(lang)}", value=e.nrr, shown=w.n(e.nrr),
                       highlight=e.code in weak) for e in s.elements]
    add(Figure(charts.bar_chart(
        bars, scale_min=0, scale_max=inst.scale_max,
        title=w.t(f"NRR per unsur {r.index_name}", f"NRR per {r.index_name} element"),
        desc="; ".join(f"{b.label}: {b.shown}" for b in bars),
        note=w.t("Jingga: tiga unsur terendah", "Orange: the three lowest elements"),
        width=800, label_width=410, chart_id=f"report-{inst.code}"),
        w.t(f"Gambar. NRR per unsur {r.index_name}", f"Figure. NRR per {r.index_name} element")))
    if r.ikm is not None:
        g = r.ikm.grade
        add(Para(w.t(
            f"IKM = {w.n(s.weighted_sum, 3)} x 25 = {w.n(r.value)}; mutu pelayanan {g.letter} "
            f"({g.label_id}), rentang {w.n(g.lower)}-{w.n(g.upper)}.",
            f"IKM = {w.n(s.weighted_sum, 3)} x 25 = {w.n(r.value)}; service quality {g.letter} "
            f"({g.label_en}), range {w.n(g.lower)}-{w.n(g.upper)}."), "strong"))
    else:
        add(Para(w.t(
            f"{r.index_name} = {w.n(r.value)} pada skala {inst.scale_min}-{inst.scale_max} "
            f"({w.n(r.value_1_4)} pada skala 1-4 yang dipakai LKE).",
            f"{r.index_name} = {w.n(r.value)} on a {inst.scale_min}-{inst.scale_max} scale "
            f"({w.n(r.value_1_4)} on the LKE's 1-4 scale)."), "strong"))
    add(Para(w.t("Tiga unsur terendah: ", "The three lowest elements: ") + "; ".join(
        f"{e.code} {_name(s, e.code, lang)} ({w.n(e.nrr, 3)})" for e in s.weakest) + "."))
    return table_no + 1
