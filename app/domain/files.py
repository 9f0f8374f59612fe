"""Evidence files: what a file really is (by its content, never its name) and a safe name.

Pure: bytes and strings in, answers out. The upload service streams a file to disk, then
asks `identify` what it is; anything not on the allow-list is refused.

Accepted: PDF, PNG, JPEG, Office Open XML (docx/xlsx/pptx, a ZIP whose parts say which) and
legacy Office (doc/xls/ppt, an OLE2 compound file holding a WordDocument / Workbook /
PowerPoint Document stream). Refused: everything else, including ZIPs that are not Office
documents, macro-enabled Office files (a vbaProject part) and other OLE files (MSI installers).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO

from app.domain.text import clean_text

__all__ = [
    "FileKind",
    "HEAD_BYTES",
    "KINDS",
    "identify",
    "download_name",
    "sanitise_filename",
]

HEAD_BYTES = 8192  # how much of the start of a file `identify` needs besides the ZIP case


@dataclass(frozen=True)
class FileKind:
    code: str  # "pdf", "png", "jpeg", "docx", ...
    media_type: str
    extension: str  # with the dot
    label: str


KINDS: dict[str, FileKind] = {
    k.code: k
    for k in (
        FileKind("pdf", "application/pdf", ".pdf", "PDF"),
        FileKind("png", "image/png", ".png", "Gambar PNG"),
        FileKind("jpeg", "image/jpeg", ".jpg", "Gambar JPEG"),
        FileKind(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ".docx", "Dokumen Word",
        ),
        FileKind(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ".xlsx", "Lembar kerja Excel",
        ),
        FileKind(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ".pptx", "Presentasi PowerPoint",
        ),
        FileKind("doc", "application/msword", ".doc", "Dokumen Word (lama)"),
        FileKind("xls", "application/vnd.ms-excel", ".xls", "Lembar kerja Excel (lama)"),
        FileKind("ppt", "application/vnd.ms-powerpoint", ".ppt", "Presentasi PowerPoint (lama)"),
    )
}

PDF_MAGIC = b"%PDF-"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Directory-entry names of an OLE2 compound file are UTF-16LE.
_OLE_STREAMS = (
    ("doc", "WordDocument".encode("utf-16-le")),
    ("xls", "Workbook".encode("utf-16-le")),
    ("xls", "Book\x00".encode("utf-16-le")),  # Excel 5/95
    ("ppt", "PowerPoint Document".encode("utf-16-le")),
)
_OOXML_MAIN = (("docx", "word/"), ("xlsx", "xl/"), ("pptx", "ppt/"))
_MAX_ZIP_ENTRIES = 10_000


class RefusedFile(ValueError):
    """The file is not an accepted kind; the message is Indonesian, for users."""


def identify(head: bytes, opener=None) -> FileKind:
    """The kind of file whose first bytes are `head` (at least HEAD_BYTES when the file is
    that long). `opener()` returns a seekable binary stream of the WHOLE file; it is only
    needed for ZIP and OLE files (their type is inside). Raises RefusedFile."""
    if not head:
        raise RefusedFile("Berkas kosong (0 byte) tidak dapat diunggah.")
    if head.startswith(PDF_MAGIC):
        return KINDS["pdf"]
    if head.startswith(PNG_MAGIC):
        return KINDS["png"]
    if head.startswith(JPEG_MAGIC):
        return KINDS["jpeg"]
    if head.startswith(ZIP_MAGIC):
        if opener is None:
            raise RefusedFile("Berkas ZIP tidak dapat diperiksa.")
        with opener() as stream:
            return _ooxml_kind(stream)
    if head.startswith(OLE_MAGIC):
        if opener is None:
            raise RefusedFile("Berkas Office lama tidak dapat diperiksa.")
        with opener() as stream:
            return _ole_kind(stream)
    raise RefusedFile(
        "Jenis berkas tidak diterima. Unggah PDF, gambar PNG/JPEG, atau dokumen Office "
        "(Word, Excel, PowerPoint)."
    )


def _ooxml_kind(stream: BinaryIO) -> FileKind:
    """docx/xlsx/pptx from a ZIP's part names (nothing is decompressed)."""
    try:
        with zipfile.ZipFile(stream) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise RefusedFile("Berkas ZIP/Office rusak atau tidak lengkap.") from None
    if len(infos) > _MAX_ZIP_ENTRIES:
        raise RefusedFile("Berkas Office berisi terlalu banyak bagian.")
    names = [info.filename for info in infos]
    if "[Content_Types].xml" not in names:
        raise RefusedFile(
            "Berkas ZIP tidak diterima; hanya dokumen Office (docx, xlsx, pptx)."
        )
    if any(PurePosixPath(n).name.lower() == "vbaproject.bin" for n in names):
        raise RefusedFile(
            "Dokumen Office yang berisi makro tidak diterima. Simpan ulang tanpa makro "
            "(docx, xlsx, pptx) atau sebagai PDF."
        )
    for code, prefix in _OOXML_MAIN:
        if any(n.startswith(prefix) for n in names):
            return KINDS[code]
    raise RefusedFile("Berkas ZIP tidak diterima; hanya dokumen Office (docx, xlsx, pptx).")


def _ole_kind(stream: BinaryIO) -> FileKind:
    """doc/xls/ppt by the name of the main stream in the compound file's directory."""
    data = stream.read(64 * 1024 * 1024)
    for code, marker in _OLE_STREAMS:
        if marker in data:
            return KINDS[code]
    raise RefusedFile(
        "Berkas tidak diterima: bukan dokumen Word, Excel, atau PowerPoint."
    )


_UNSAFE = re.compile(r"[\x00-\x1f\x7f<>:\"|?*]")
_SPACES = re.compile(r"\s+")
MAX_NAME = 150


def sanitise_filename(raw: str | None, *, fallback: str = "berkas") -> str:
    """A harmless display name: the last path segment, no control or reserved characters,
    no leading dots, at most MAX_NAME characters (the extension kept)."""
    name = clean_text(unicodedata.normalize("NFC", raw or ""))
    name = name.replace("\\", "/").split("/")[-1]
    name = _UNSAFE.sub("", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if name in ("", ".", ".."):
        return fallback
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_NAME]
    return name


def download_name(original: str, kind: FileKind) -> str:
    """The name a download carries: the original stem with the extension of what the file
    really is ("scan.pdf" holding a PNG downloads as "scan.png")."""
    stem, dot, ext = original.rpartition(".")
    if not dot or not stem:
        stem = original
    if (dot and ext.lower() in {"jpg", "jpeg"} and kind.code == "jpeg") or (
        dot and ("." + ext.lower()) == kind.extension
    ):
        return original
    return f"{stem}{kind.extension}"
