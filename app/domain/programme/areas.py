"""The six change areas of a Zona Integritas and the two LKE 'Pengungkit' pillars.

LKE question refs encode both: ``PPA1A`` is Pemenuhan (``PP``), area A (manajemen perubahan),
sub-indicator 1, question A; ``PRF1B`` is Reform, area F (pelayanan publik).
"""

from __future__ import annotations

import re
from enum import StrEnum

from app.domain.programme.messages import Text


class ChangeArea(StrEnum):
    """The six change areas (area perubahan), in LKE order A-F."""

    MANAJEMEN_PERUBAHAN = "manajemen_perubahan"
    PENATAAN_TATALAKSANA = "penataan_tatalaksana"
    PENATAAN_SDM = "penataan_sdm"
    PENGUATAN_AKUNTABILITAS = "penguatan_akuntabilitas"
    PENGUATAN_PENGAWASAN = "penguatan_pengawasan"
    PELAYANAN_PUBLIK = "pelayanan_publik"

    @property
    def label(self) -> Text:
        return _AREA_LABELS[self]

    @property
    def lke_letter(self) -> str:
        """The area letter in LKE refs (A-F)."""
        return "ABCDEF"[list(ChangeArea).index(self)]

    @classmethod
    def from_lke_letter(cls, letter: str) -> ChangeArea:
        return list(cls)["ABCDEF".index(letter)]


_AREA_LABELS = {
    ChangeArea.MANAJEMEN_PERUBAHAN: Text("Manajemen Perubahan", "Change management"),
    ChangeArea.PENATAAN_TATALAKSANA: Text("Penataan Tatalaksana", "Business process reform"),
    ChangeArea.PENATAAN_SDM: Text(
        "Penataan Sistem Manajemen SDM", "Human resource management reform"
    ),
    ChangeArea.PENGUATAN_AKUNTABILITAS: Text(
        "Penguatan Akuntabilitas", "Strengthening accountability"
    ),
    ChangeArea.PENGUATAN_PENGAWASAN: Text("Penguatan Pengawasan", "Strengthening supervision"),
    ChangeArea.PELAYANAN_PUBLIK: Text(
        "Peningkatan Kualitas Pelayanan Publik", "Improving public service quality"
    ),
}


class Pillar(StrEnum):
    """The two parts of the LKE 'Pengungkit' component that every area appears in."""

    PEMENUHAN = "pemenuhan"
    REFORM = "reform"

    @property
    def label(self) -> Text:
        return _PILLAR_LABELS[self]

    @property
    def lke_code(self) -> str:
        return "PP" if self is Pillar.PEMENUHAN else "PR"


_PILLAR_LABELS = {
    Pillar.PEMENUHAN: Text("Pemenuhan", "Fulfilment"),
    Pillar.REFORM: Text("Reform", "Reform"),
}

_LKE_REF = re.compile(r"^(PP|PR)([A-F])([1-9][0-9]?)([A-Z])$")


def parse_lke_ref(ref: str) -> tuple[Pillar, ChangeArea] | None:
    """Pillar and area of an LKE Pengungkit question ref such as ``PPA1A``; None if malformed."""
    match = _LKE_REF.match(ref)
    if match is None:
        return None
    pillar = Pillar.PEMENUHAN if match.group(1) == "PP" else Pillar.REFORM
    return pillar, ChangeArea.from_lke_letter(match.group(2))
