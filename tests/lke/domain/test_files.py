"""Evidence file identification by content and safe names (app.domain.files)."""

from __future__ import annotations

import io
import zipfile

import pytest

from app.domain.files import (
    HEAD_BYTES,
    KINDS,
    RefusedFile,
    download_name,
    identify,
    sanitise_filename,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 100 + b"This program cannot be run in DOS mode"


def _zip(parts: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _ole(stream_name: str) -> bytes:
    """A compound-file header and one directory sector naming ``stream_name`` (UTF-16LE)."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * (512 - 8)
    entry = stream_name.encode("utf-16-le").ljust(64, b"\x00") + b"\x00" * 64
    return header + entry + b"\x00" * 384


def kind_of(data: bytes) -> str:
    return identify(data[:HEAD_BYTES], lambda: io.BytesIO(data)).code


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "docx"),
        (_zip({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<x/>"}), "xlsx"),
        (_zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p/>"}), "pptx"),
        (_ole("WordDocument"), "doc"),
        (_ole("Workbook"), "xls"),
        (_ole("PowerPoint Document"), "ppt"),
    ],
)
def test_accepted_kinds_are_recognised_by_content(data, code):
    assert kind_of(data) == code
    assert KINDS[code].media_type


def test_the_name_plays_no_part():
    # identify() never sees a name: a PNG called "laporan.pdf" is a PNG.
    assert kind_of(PNG) == "png"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (EXE, "Jenis berkas tidak diterima"),
        (b"<html><script>alert(1)</script></html>", "Jenis berkas tidak diterima"),
        (b"   %PDF-1.4 (not at the start)", "Jenis berkas tidak diterima"),
        (_zip({"evil.exe": EXE}), "hanya dokumen Office"),
        (_zip({"[Content_Types].xml": b"<Types/>", "other/x.xml": b""}), "hanya dokumen Office"),
        (
            _zip({"[Content_Types].xml": b"", "word/document.xml": b"", "word/vbaProject.bin": b""}),
            "makro",
        ),
        (b"PK\x03\x04 truncated zip", "rusak"),
        (_ole("SummaryInformation"), "bukan dokumen Word"),  # e.g. an MSI installer
    ],
)
def test_everything_else_is_refused(data, fragment):
    with pytest.raises(RefusedFile) as info:
        kind_of(data)
    assert fragment in str(info.value)


def test_empty_file_is_refused():
    with pytest.raises(RefusedFile, match="kosong"):
        identify(b"", None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\ani\\SK Tim ZI.pdf", "SK Tim ZI.pdf"),
        ("laporan\x00.pdf.exe", "laporan.pdf.exe"),
        ("..", "berkas"),
        ("", "berkas"),
        (None, "berkas"),
        ("   .hidden.pdf", "hidden.pdf"),
        ("a<b>c:d\"e|f?g*h.pdf", "abcdefgh.pdf"),
        ("surat\r\nX-Injected: 1.pdf", "suratX-Injected 1.pdf"),
        ("Bukti  Survei   2024.PDF", "Bukti Survei 2024.PDF"),
    ],
)
def test_sanitise_filename(raw, clean):
    assert sanitise_filename(raw) == clean


def test_long_names_keep_their_extension():
    name = sanitise_filename("x" * 400 + ".docx")
    assert len(name) == 150 and name.endswith(".docx")


@pytest.mark.parametrize(
    ("original", "code", "expected"),
    [
        ("scan.pdf", "png", "scan.png"),
        ("scan.pdf", "pdf", "scan.pdf"),
        ("foto.JPEG", "jpeg", "foto.JPEG"),
        ("foto.jpg", "jpeg", "foto.jpg"),
        ("tanpa-ekstensi", "xlsx", "tanpa-ekstensi.xlsx"),
        ("lama.doc", "doc", "lama.doc"),
    ],
)
def test_download_name_carries_the_real_extension(original, code, expected):
    assert download_name(original, KINDS[code]) == expected
