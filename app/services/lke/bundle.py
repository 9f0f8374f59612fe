"""The evidence bundle of an assessment: one ZIP for the desk evaluation.

Inside, under one root folder ``Eviden-LKE-<unit>-<year>/``:

- a folder per part / area / sub-indicator / question, named with the printed worksheet's
  number and Zona's ref (``A.I Pemenuhan [PP]/A.I.1 Manajemen perubahan [PPA]/...
  /A.I.1.i.a [PPA1A] Unit kerja telah membentuk tim/``), holding each evidence file that
  supports the question once (an evidence linked to two of its expected items is there once;
  one supporting two questions is in both folders), and ``TAUTAN.txt`` with its link-type
  evidence;
- ``index.xlsx`` and ``index.html``: one row per question and evidence (number, ref, question,
  answer, kind, title, file in the ZIP, sha256, size, uploaded by/at, link); a question
  without evidence has a row too, so gaps show;
- ``manifest.json`` last: every other entry with its size and the sha256 of the bytes
  actually written (and the stored sha256 of each evidence file, with any difference or a
  file missing from storage listed under ``problems``).

Only what the reader may see: the reader must be able to read the assessment (unit.read on
its unit); only live links to live evidence are packed (soft-deleted evidence never).

The ZIP is written as a generator of chunks (``stream``): zipfile over a sink that is never
seeked, so entries carry data descriptors and ZIP64 where needed, and each evidence file is
read in CHUNK pieces; memory stays constant whatever the bundle's size. Evidence bytes are
read only through ``evidence.open_file`` (the storage's one door), from whichever file store
the settings name (the local upload folder or S3). Files are stored, not
deflated: evidence is mostly PDF and images, already compressed, and storing streams at disk
speed; the index and manifest are deflated.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import Session

from app.domain.files import sanitise_filename
from app.domain.lke.numbering import numbers_of
from app.models.lke.evidence import Evidence
from app.security.principal import Principal
from app.services import units
from app.services.errors import NotFound
from app.services.lke import answers as lke_answers
from app.services.lke import assessments, evidence, evidence_links
from app.services.lke.xlsx_layout import describe_answer, escape_text
from app.services.storage import FileStore

ZIP_MEDIA_TYPE = "application/zip"
FORMAT_NAME = "zona-evidence-bundle"
FORMAT_VERSION = 1
INDEX_XLSX = "index.xlsx"
INDEX_HTML = "index.html"
MANIFEST = "manifest.json"
LINKS_FILE = "TAUTAN.txt"
#: Name lengths that keep a whole path under ~250 characters (Windows' limit is 260).
NAME_CHARS = 28
QUESTION_CHARS = 24
FILE_CHARS = 60
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')
_SPACES = re.compile(r"\s+")

KIND_LABELS = {"file": "berkas", "link": "tautan"}


def _segment(text: str, limit: int) -> str:
    """A folder-name piece: no reserved or control characters, cut at a word if too long,
    no trailing dots or spaces (Windows drops them)."""
    text = _SPACES.sub(" ", _UNSAFE.sub(" ", text)).strip()
    if len(text) > limit:
        if text[limit] == " ":
            text = text[:limit]  # the cut falls between two words
        else:
            cut = text[:limit]
            text = cut.rsplit(" ", 1)[0] if " " in cut[limit // 2:] else cut
    return text.rstrip(". ")


@dataclass(frozen=True)
class BundleFile:
    """One evidence file in one question's folder."""

    path: str  # inside the ZIP, under the root folder
    evidence_id: int
    size: int
    sha256: str
    uploaded_at: datetime


@dataclass(frozen=True)
class IndexRow:
    number: str
    ref: str
    question: str
    answer: str
    folder: str = ""
    kind: str = ""  # "file" | "link" | "" (no evidence)
    title: str = ""
    path: str = ""  # the file in the ZIP (files)
    sha256: str = ""
    size: int | None = None
    uploaded_by: str = ""
    uploaded_at: str = ""  # in the unit's time zone, with its offset
    url: str = ""  # links


@dataclass(frozen=True)
class BundlePlan:
    """Everything the ZIP will hold, decided before a byte is written."""

    assessment_id: int
    unit_id: int
    unit_code: str
    unit_name: str
    year: int
    target: str
    framework: str
    timezone: str
    root: str
    files: tuple[BundleFile, ...]
    links: tuple[tuple[str, str], ...]  # (path of TAUTAN.txt, its text)
    rows: tuple[IndexRow, ...]
    questions: int
    questions_with_evidence: int
    link_count: int

    @property
    def total_bytes(self) -> int:
        """Evidence bytes to pack (the ZIP adds a little: names, index, manifest)."""
        return sum(f.size for f in self.files)

    @property
    def filename(self) -> str:
        return f"{self.root}.zip"

    @property
    def fingerprint(self) -> str:
        """What went in: a bundle with the same fingerprint has the same content (answers,
        evidence and their hashes, folder names), whoever asks and whenever."""
        digest = hashlib.sha256()
        digest.update(json.dumps([
            FORMAT_VERSION, self.assessment_id, self.root,
            [(f.path, f.evidence_id, f.size, f.sha256) for f in self.files],
            list(self.links),
            [(r.ref, r.answer, r.kind, r.title, r.path, r.url) for r in self.rows],
        ], ensure_ascii=False).encode())
        return digest.hexdigest()


def _local(moment: datetime, zone: ZoneInfo) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
    return moment.astimezone(zone)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("Asia/Jakarta")


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``stem (2).ext`` ... when the folder already has it (case-insensitive, as
    Windows and macOS compare names)."""
    candidate, n = name, 1
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    while candidate.casefold() in taken:
        n += 1
        candidate = f"{stem} ({n}).{ext}" if dot else f"{stem} ({n})"
    taken.add(candidate.casefold())
    return candidate


def _file_name(row: Evidence) -> str:
    name = sanitise_filename(evidence.download_name(row))
    if len(name) > FILE_CHARS:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: FILE_CHARS - len(ext) - 1] + "." + ext) if dot and len(ext) <= 10 \
            else name[:FILE_CHARS]
    if name.casefold() in {LINKS_FILE.casefold()}:
        name = "eviden-" + name
    return name


def plan(session: Session, *, actor: Principal | None, assessment_id: int) -> BundlePlan:
    """What the assessment's bundle holds, for someone who may read the assessment."""
    assessment = assessments.get(session, actor=actor, assessment_id=assessment_id)
    unit = units.get(session, unit_id=assessment.unit_id)
    framework = assessments.framework_of(session, assessment)
    numbers = numbers_of(framework)
    zone = _zone(unit.timezone)
    answers = lke_answers.answers_of(session, assessment_id=assessment.id)
    per_question = evidence_links.question_evidence(
        session, assessment=assessment, framework=framework)
    root = _segment(f"Eviden-LKE-{unit.code}-{assessment.year}", 60).replace(" ", "-")

    files: list[BundleFile] = []
    links: list[tuple[str, str]] = []
    rows: list[IndexRow] = []
    with_evidence = link_count = 0

    def folder(*pieces: str) -> str:
        return "/".join((root, *pieces))

    for component in framework.components:
        for part in component.parts:
            part_dir = _segment(f"{numbers[part.ref].full} {part.name}", NAME_CHARS + 6) \
                + f" [{part.ref}]"
            for area in part.areas:
                area_dir = _segment(f"{numbers[area.ref].full} {area.name}", NAME_CHARS + 6) \
                    + f" [{area.ref}]"
                for sub in area.sub_indicators:
                    sub_dir = _segment(f"{numbers[sub.ref].full} {sub.name}", NAME_CHARS + 8) \
                        + f" [{sub.ref}]"
                    for q in sub.questions:
                        number = numbers[q.ref].full
                        q_dir = f"{number} [{q.ref}] " + _segment(q.text, QUESTION_CHARS)
                        q_dir = q_dir.rstrip(". ")
                        where = folder(part_dir, area_dir, sub_dir, q_dir)
                        row = answers.get(q.ref)
                        answer = describe_answer(q, lke_answers.to_input(row)) if row else ""
                        base = IndexRow(number=number, ref=q.ref, question=q.text,
                                        answer=answer, folder=where)
                        linked = per_question[q.ref].links if q.ref in per_question else ()
                        seen: set[int] = set()
                        taken: set[str] = {LINKS_FILE.casefold()}
                        link_lines: list[str] = []
                        for item in linked:
                            ev = item.evidence
                            if ev.id in seen:
                                continue  # linked to two expected items: once per question
                            seen.add(ev.id)
                            uploaded_at = _local(ev.uploaded_at, zone).isoformat(
                                timespec="seconds")
                            common = dict(
                                number=number, ref=q.ref, question=q.text, answer=answer,
                                folder=where, kind=ev.kind, title=ev.title,
                                uploaded_by=ev.uploaded_by_label, uploaded_at=uploaded_at)
                            if ev.kind == "file" and ev.stored_name:
                                path = f"{where}/{_unique(_file_name(ev), taken)}"
                                files.append(BundleFile(
                                    path=path, evidence_id=ev.id, size=ev.size or 0,
                                    sha256=ev.sha256 or "", uploaded_at=ev.uploaded_at))
                                rows.append(IndexRow(**common, path=path,
                                                     sha256=ev.sha256 or "", size=ev.size))
                            elif ev.kind == "link" and ev.url:
                                link_lines.append(f"{ev.title}\n{ev.url}\n")
                                rows.append(IndexRow(**common, url=ev.url))
                        if link_lines:
                            link_count += len(link_lines)
                            links.append((f"{where}/{LINKS_FILE}", (
                                f"Tautan eviden {number} [{q.ref}]\n{q.text}\n\n"
                                + "\n".join(link_lines))))
                        if seen:
                            with_evidence += 1
                        else:
                            rows.append(base)
    return BundlePlan(
        assessment_id=assessment.id, unit_id=unit.id, unit_code=unit.code,
        unit_name=unit.name, year=assessment.year, target=assessment.target,
        framework=f"{framework.code} v{framework.version}", timezone=unit.timezone,
        root=root, files=tuple(files), links=tuple(links), rows=tuple(rows),
        questions=sum(1 for _ in framework.questions()), questions_with_evidence=with_evidence,
        link_count=link_count,
    )


# --- the index files ----------------------------------------------------------------------

INDEX_COLUMNS = (
    ("number", "No.", 12), ("ref", "Ref", 9), ("question", "Pertanyaan", 50),
    ("answer", "Jawaban", 12), ("kind", "Jenis", 8), ("title", "Judul eviden", 36),
    ("path", "Berkas", 50), ("sha256", "SHA-256", 20), ("size", "Ukuran (byte)", 12),
    ("uploaded_by", "Diunggah oleh", 20), ("uploaded_at", "Diunggah pada", 22),
    ("url", "Tautan", 40),
)


def _in_root(plan: BundlePlan, path: str) -> str:
    """A ZIP path relative to the root folder (where the index files sit)."""
    return path[len(plan.root) + 1:] if path.startswith(plan.root + "/") else path


def _cell(row: IndexRow, key: str, plan: BundlePlan):
    value = getattr(row, key)
    if key == "kind":
        return KIND_LABELS.get(value, "")
    if key == "path":
        return _in_root(plan, value)
    return value


def index_xlsx(plan: BundlePlan, *, generated: str) -> bytes:
    """The index as a workbook: one row per question and evidence, the file cells linked to
    the file beside it (once the ZIP is extracted) and the link cells to the link."""
    # openpyxl is imported where a file is written: loaded at start it costs every
    # server process ~12 MB of memory (bench/README.md, server RSS).
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "Indeks"
    ws["A1"] = escape_text(f"Indeks eviden LKE {plan.year} - {plan.unit_name} ({plan.unit_code})")
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = escape_text(f"Target {plan.target} | {plan.framework} | {generated}")
    header = 4
    for c, (_key, title, width) in enumerate(INDEX_COLUMNS, start=1):
        cell = ws.cell(row=header, column=c, value=title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
        ws.column_dimensions[get_column_letter(c)].width = width
    for r, row in enumerate(plan.rows, start=header + 1):
        for c, (key, _t, _w) in enumerate(INDEX_COLUMNS, start=1):
            value = _cell(row, key, plan)
            cell = ws.cell(row=r, column=c)
            if isinstance(value, str):
                cell.value = escape_text(value) if value else None
                cell.data_type = "s"
            else:
                cell.value = value
            if key == "path" and value:
                cell.hyperlink = quote(value)
            elif key == "url" and value:
                cell.hyperlink = value
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    ws.auto_filter.ref = f"A{header}:{get_column_letter(len(INDEX_COLUMNS))}{header}"
    wb.properties.creator = "Zona"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def index_html(plan: BundlePlan, *, generated: str) -> bytes:
    """The index as one self-contained HTML page (opens in any browser, no script)."""
    e = html.escape
    head = "".join(f"<th>{e(title)}</th>" for _k, title, _w in INDEX_COLUMNS)
    body = []
    for row in plan.rows:
        cells = []
        for key, _t, _w in INDEX_COLUMNS:
            value = _cell(row, key, plan)
            text = "" if value is None else str(value)
            if key == "path" and text:  # the file's name, its folder on hover
                cells.append(f'<td class="file"><a href="{e(quote(text))}" title="{e(text)}">'
                             f'{e(text.rsplit("/", 1)[-1])}</a></td>')
            elif key == "url" and text:
                cells.append(f'<td class="url"><a href="{e(text)}" rel="noopener noreferrer">'
                             f"{e(text)}</a></td>")
            elif key == "sha256" and text:
                cells.append(f'<td class="hash">{e(text)}</td>')
            else:
                cells.append(f"<td>{e(text)}</td>")
        body.append(f'<tr class="{e(row.kind or "none")}">{"".join(cells)}</tr>')
    title = f"Indeks eviden LKE {plan.year} - {plan.unit_name} ({plan.unit_code})"
    page = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title>
<style>
body{{font:14px/1.4 system-ui,sans-serif;margin:1rem;color:#1b1b1b}}
table{{border-collapse:collapse;width:100%}}
th,td{{border:1px solid #bbb;padding:.25rem .4rem;vertical-align:top;text-align:left}}
th{{background:#1f4e78;color:#fff;position:sticky;top:0}}
tr.none td{{color:#8a1c1c}} td.hash{{font:11px monospace;word-break:break-all;max-width:9rem}}
td.url,td.file{{word-break:break-all;max-width:16rem}}
</style></head><body>
<h1>{e(title)}</h1>
<p>Target {e(plan.target)} · {e(plan.framework)} · {e(generated)}</p>
<p>{plan.questions_with_evidence} dari {plan.questions} pertanyaan memiliki eviden ·
{len(plan.files)} berkas · {plan.link_count} tautan. Baris merah: pertanyaan tanpa eviden.
Isi setiap berkas dapat dicek dengan SHA-256 di manifest.json.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(body)}
</tbody></table></body></html>
"""
    return page.encode("utf-8")


# --- the ZIP, as a stream of chunks -------------------------------------------------------

class _Sink:
    """A write-only, never-seeked file for zipfile: collects what it is given until the
    generator hands it on."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self.size = 0  # bytes waiting

    def write(self, data) -> int:
        if data:
            self._parts.append(bytes(data))
            self.size += len(data)
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self.size = 0
        return data


class _BackgroundHash:
    """sha256 of a file's chunks computed on a helper thread while the next chunk is read and
    written (hashlib releases the GIL): hashing is the costliest step per byte, and this keeps
    the stream near the speed of a plain ZIP. At most one chunk waits, so memory stays flat."""

    def __init__(self, pool: ThreadPoolExecutor):
        self._pool = pool
        self._digest = hashlib.sha256()
        self._pending: Future | None = None

    def update(self, chunk: bytes) -> None:
        if self._pending is not None:
            self._pending.result()
        self._pending = self._pool.submit(self._digest.update, chunk)

    def hexdigest(self) -> str:
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        return self._digest.hexdigest()


@dataclass
class Progress:
    """How far a stream is: evidence files and bytes packed."""

    files: int = 0
    bytes: int = 0
    problems: list[str] = field(default_factory=list)


def _zip_time(moment: datetime, zone: ZoneInfo) -> tuple[int, int, int, int, int, int]:
    local = _local(moment, zone)
    return (max(local.year, 1980), local.month, local.day, local.hour, local.minute,
            local.second)


def read_evidence(session: Session, *, actor: Principal | None, evidence_id: int,
                  upload_dir: Path | None = None,
                  store: FileStore | None = None) -> Iterator[bytes]:
    """The bytes of one stored evidence file, in CHUNK pieces, through the evidence service's
    one door to the file store (``evidence.open_file``: permission and storage). A file
    missing from the store raises NotFound or FileNotFoundError here, before its entry
    starts; a store that does not answer, StoreUnavailable or StorageError."""
    _row, file = evidence.open_file(session, actor=actor, evidence_id=evidence_id,
                                    upload_dir=upload_dir, store=store)
    source = file.open()  # opened now: a file gone since the stat is known here too

    def chunks() -> Iterator[bytes]:
        with closing(source):
            while chunk := source.read(evidence.CHUNK):
                yield chunk

    return chunks()


def stream(
    plan: BundlePlan,
    *,
    bind: Engine,
    actor: Principal | None,
    upload_dir: Path | None = None,
    store: FileStore | None = None,
    generated_by: str = "",
    progress: Callable[[Progress], None] | None = None,
) -> Iterator[bytes]:
    """The bundle as ZIP bytes, chunk by chunk (about evidence.CHUNK each), in constant
    memory. Opens its own database session (the stream outlives the request's), reads every
    file through ``read_evidence`` from ``store`` (or the local folder ``upload_dir``) and
    calls ``progress`` after each chunk of evidence.

    A file missing from the store becomes ``<name>.HILANG.txt`` and a manifest problem; a
    store that does not answer stops the stream (StoreUnavailable / StorageError): a
    background build is tried again rather than kept with holes."""
    store = evidence.file_store(upload_dir, store)
    zone = _zone(plan.timezone)
    now = datetime.now(UTC)
    generated = (f"Dibuat {_local(now, zone).strftime('%d-%m-%Y %H:%M')} ({plan.timezone})"
                 + (f" oleh {generated_by}" if generated_by else ""))
    sink = _Sink()
    state = Progress()
    entries: list[dict] = []

    def add_bytes(name: str, data: bytes, *, compress: bool = True) -> None:
        info = zipfile.ZipInfo(name, date_time=_zip_time(now, zone))
        info.compress_type = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        info.external_attr = 0o644 << 16
        archive.writestr(info, data)
        entries.append({"path": name, "size": len(data),
                        "sha256": hashlib.sha256(data).hexdigest()})

    with zipfile.ZipFile(sink, mode="w", allowZip64=True) as archive, \
            Session(bind, expire_on_commit=False) as session, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="zona-bundle-hash") as pool:
        for item in plan.files:
            info = zipfile.ZipInfo(item.path, date_time=_zip_time(item.uploaded_at, zone))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.file_size = item.size  # lets zipfile choose ZIP64 up front for big files
            digest = _BackgroundHash(pool)
            written = 0
            try:
                chunks = read_evidence(session, actor=actor, evidence_id=item.evidence_id,
                                       store=store)
                with archive.open(info, mode="w", force_zip64=item.size >= 2**31) as target:
                    for chunk in chunks:
                        target.write(chunk)
                        digest.update(chunk)
                        written += len(chunk)
                        state.bytes += len(chunk)
                        if progress is not None:
                            progress(state)
                        if sink.size:
                            yield sink.take()
            except (NotFound, OSError) as exc:
                # Gone from storage since the plan (or never there): say so in the bundle
                # instead of breaking a download already under way.
                if isinstance(exc, FileNotFoundError):  # gone between the stat and the read
                    message = "Berkas eviden tidak ditemukan di penyimpanan."
                else:
                    message = getattr(exc, "message", None) or str(exc)
                state.problems.append(f"{item.path}: {message}")
                if written == 0:
                    add_bytes(item.path + ".HILANG.txt",
                              f"Berkas eviden {item.evidence_id} tidak dapat dibaca: "
                              f"{message}\n".encode())
                    state.files += 1
                    continue
            actual = digest.hexdigest()
            entry = {"path": item.path, "size": written, "sha256": actual,
                     "evidence_id": item.evidence_id, "stored_sha256": item.sha256}
            if actual != item.sha256 or written != item.size:
                state.problems.append(f"{item.path}: isi berbeda dari yang tersimpan "
                                      f"({written} byte, sha256 {actual[:12]}...)")
            entries.append(entry)
            state.files += 1
            if progress is not None:
                progress(state)
        for path, text in plan.links:
            add_bytes(path, text.encode("utf-8"))
        add_bytes(f"{plan.root}/{INDEX_XLSX}", index_xlsx(plan, generated=generated),
                  compress=False)
        add_bytes(f"{plan.root}/{INDEX_HTML}", index_html(plan, generated=generated))
        manifest = {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "assessment": {"id": plan.assessment_id, "year": plan.year, "target": plan.target,
                           "framework": plan.framework},
            "unit": {"id": plan.unit_id, "code": plan.unit_code, "name": plan.unit_name},
            "generated_at": now.isoformat(timespec="seconds"),
            "generated_by": generated_by,
            "fingerprint": plan.fingerprint,
            "questions": plan.questions,
            "questions_with_evidence": plan.questions_with_evidence,
            "files": len(plan.files),
            "links": plan.link_count,
            "entries": entries,
            "problems": state.problems,
        }
        add_bytes(f"{plan.root}/{MANIFEST}",
                  json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8"))
    yield sink.take()  # the index, the manifest and the central directory
