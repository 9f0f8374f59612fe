"""Demo of the ZI programme of KPPN Tanjungpandan, 2017-2019.

The story follows the public outline of the unit's road: pencanangan in February 2017, WBK
proposed in 2018 and awarded at the end of 2018, work toward WBBM in 2019. Every person,
number, decree and agreement below is INVENTED for the demo: names and titles carry "(demo)"
and notes say "data demo". Dates of the action plan and of the agreements that must look
"current" (overdue items, an agreement about to expire) are set relative to today so the
dashboard stays meaningful whenever the demo is loaded.

Idempotent: each record is looked up by its unit and demo title first and created only when
missing, through the programme services (validated and audited like any user input).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, col, select

from app.models.programme import (
    ActionItem,
    Innovation,
    Milestone,
    Partnership,
    Pillar,
    TeamActivity,
    TeamDecree,
    TeamMember,
)
from app.services import units
from app.services.demo.base import DemoResult
from app.services.programme import (
    action_plan,
    innovations,
    milestones,
    partnerships,
    pillars,
    team,
)
from app.services.programme.overview import unit_today

NOTE = "Data demo (rekaan)."
D = "(demo)"

# --- the unit's five pillars toward WBBM -----------------------------------------------------
PILLARS = [
    ("Pilar 1: Layanan prima tanpa tatap muka (demo)",
     "Seluruh layanan pencairan dana dan konsultasi satker dapat diselesaikan secara daring.",
     "Kepala Seksi Pencairan Dana", 2019),
    ("Pilar 2: Integritas dan budaya kerja (demo)",
     "Nilai-nilai Kementerian Keuangan hidup dalam keseharian, dari pimpinan hingga petugas "
     "kebersihan; tanpa gratifikasi.", "Kepala Subbagian Umum", 2019),
    ("Pilar 3: SDM kompeten dan berkinerja (demo)",
     "Setiap pegawai memiliki rencana pengembangan kompetensi dan capaian kinerja yang terukur.",
     "Kepala Subbagian Umum", 2019),
    ("Pilar 4: Kemitraan dengan pemangku kepentingan (demo)",
     "Kerja sama dengan pemerintah daerah, bank mitra, dan perguruan tinggi untuk mendekatkan "
     "layanan kepada satker dan masyarakat Belitung.", "Kepala Seksi Bank", 2020),
    ("Pilar 5: Akuntabilitas dan pengawasan melekat (demo)",
     "Pengendalian intern, manajemen risiko, dan tindak lanjut pengaduan berjalan tertib.",
     "Kepala Seksi Manajemen Satker dan Kepatuhan Internal", 2019),
]

# --- milestones (pencanangan Feb 2017, WBK 2018, toward WBBM in 2019) -------------------------
MILESTONES = [
    ("pencanangan", date(2017, 2, 14), "Pencanangan Pembangunan Zona Integritas (demo)",
     "Piagam pencanangan ditandatangani seluruh pegawai, disaksikan Kanwil DJPb Provinsi "
     "Kepulauan Bangka Belitung. " + NOTE),
    ("custom", date(2017, 10, 24), "Monitoring dan evaluasi ZI oleh Kanwil (demo)",
     "Reviu pertama atas bukti dukung enam area perubahan. " + NOTE),
    ("usulan_wbk", date(2018, 5, 28), "Diusulkan ke TPN sebagai unit WBK (demo)",
     "Usulan melalui aplikasi PMPZI setelah penilaian TPI. " + NOTE),
    ("custom", date(2018, 9, 12), "Evaluasi lapangan oleh TPN (demo)", NOTE),
    ("penetapan_wbk", date(2018, 12, 10), "Ditetapkan sebagai unit berpredikat WBK (demo)",
     "Penganugerahan predikat WBK akhir tahun 2018. " + NOTE),
    ("custom", date(2019, 2, 18), "Lima pilar menuju WBBM dicanangkan (demo)",
     "Rapat pimpinan menetapkan lima pilar sebagai kerangka pembangunan menuju WBBM. " + NOTE),
    ("usulan_wbbm", date(2019, 5, 27), "Diusulkan menuju WBBM (demo)", NOTE),
]

# --- innovations: a WBK one (2017-2018) and a WBBM one that develops it (2019) ----------------
WBK_INNOVATION = {
    "title": "SIAP-TJP: antrean daring dan pelacakan SPM (demo)",
    "problem": "Satker dari Belitung dan Belitung Timur harus datang ke kantor untuk menyerahkan "
               "SPM dan menunggu antrean tanpa kepastian; status SPM hanya dapat ditanyakan "
               "lewat telepon.",
    "solution": "Satker mengambil nomor antrean secara daring dan menerima notifikasi status SPM "
                "(diterima, diproses, SP2D terbit) melalui pesan singkat.",
    "services": ["Pencairan dana (penerbitan SP2D)"],
    "beneficiaries": "Bendahara dan operator satker mitra KPPN Tanjungpandan",
    "stage": "penerapan",
    "phase": "wbk",
    "change_area": "pelayanan_publik",
    "started_on": date(2017, 4, 3),
    "launched_on": date(2017, 9, 1),
    "owner": "Seksi Pencairan Dana",
    "team": "Seksi Pencairan Dana dan Seksi Manajemen Satker dan Kepatuhan Internal",
    "origin": "asli",
    "brings_service_closer": True,
    "evidence_title": "Laporan implementasi SIAP-TJP 2018 (demo)",
}
WBK_IMPACTS = [
    {"kind": "service_time_minutes", "measure_unit": "menit", "before_value": Decimal(60),
     "before_on": date(2017, 3, 15), "after_value": Decimal(25), "after_on": date(2018, 3, 15),
     "label": "Waktu dari penyerahan SPM hingga SP2D terbit", "service": "Pencairan dana (penerbitan SP2D)"},
    {"kind": "steps", "measure_unit": "langkah", "before_value": Decimal(7),
     "before_on": date(2017, 3, 15), "after_value": Decimal(4), "after_on": date(2018, 3, 15),
     "label": "Langkah yang dijalani satker", "service": "Pencairan dana (penerbitan SP2D)"},
]
WBBM_INNOVATION = {
    "title": "LANTIP: layanan satker tanpa tatap muka (demo)",
    "problem": "Meski antrean sudah daring, satker masih datang membawa dokumen fisik; satker di "
               "Belitung Timur menempuh sekitar 90 km pulang-pergi untuk satu SPM.",
    "solution": "SPM dan dokumen pendukung diajukan dengan tanda tangan elektronik; konsultasi "
                "melalui panggilan video terjadwal; SP2D dan bukti diterima satker secara daring.",
    "services": ["Pencairan dana (penerbitan SP2D)", "Konsultasi dan informasi"],
    "beneficiaries": "Seluruh satker mitra, terutama satker di Belitung Timur",
    "stage": "replikasi",
    "phase": "wbbm",
    "change_area": "pelayanan_publik",
    "started_on": date(2019, 1, 14),
    "launched_on": date(2019, 4, 1),
    "owner": "Seksi Pencairan Dana",
    "team": "Tim inovasi lintas seksi",
    "origin": "pengembangan",
    "differs_from_other_units": True,
    "brings_service_closer": True,
    "pembeda_what_is_new": "Seluruh proses tanpa kedatangan: pengajuan dengan tanda tangan "
                           "elektronik dan konsultasi video, bukan hanya antrean daring seperti "
                           "SIAP-TJP.",
    "pembeda_citizen_benefit": "Satker tidak lagi datang ke kantor: SP2D terbit rata-rata 10 "
                               "menit setelah pengajuan dan satker di Belitung Timur menghemat "
                               "perjalanan sekitar 90 km.",
    "evidence_title": "Laporan implementasi LANTIP 2019 dan replikasi di KPPN lain (demo)",
}
WBBM_IMPACTS = [
    {"kind": "service_time_minutes", "measure_unit": "menit", "before_value": Decimal(25),
     "before_on": date(2018, 12, 14), "after_value": Decimal(10), "after_on": date(2019, 9, 16),
     "label": "Waktu dari pengajuan SPM hingga SP2D terbit", "service": "Pencairan dana (penerbitan SP2D)"},
    {"kind": "steps", "measure_unit": "langkah", "before_value": Decimal(4),
     "before_on": date(2018, 12, 14), "after_value": Decimal(2), "after_on": date(2019, 9, 16),
     "label": "Langkah yang dijalani satker", "service": "Pencairan dana (penerbitan SP2D)"},
]
PILOT_INNOVATION = {
    "title": "Klinik Konsultasi Keuangan Desa bersama Pemkab (demo)",
    "problem": "Perangkat desa sering terlambat menyampaikan dokumen penyaluran dana desa.",
    "solution": "Klinik konsultasi bulanan di kantor kecamatan bersama Pemkab Belitung.",
    "services": ["Penyaluran dana desa"],
    "beneficiaries": "Perangkat desa dan BPKAD Kabupaten Belitung",
    "stage": "uji_coba",
    "phase": "wbbm",
    "change_area": "pelayanan_publik",
    "started_on": date(2019, 7, 1),
    "owner": "Seksi Manajemen Satker dan Kepatuhan Internal",
    "origin": "asli",
    "brings_service_closer": True,
}

# --- the ZI team, from pimpinan to satpam and cleaning service ---------------------------------
# name, position, level, roles, area, signed pact on (None = not signed)
TEAM = [
    ("Rahmat Hidayat (demo)", "Kepala Kantor", "pimpinan", ["penanggung_jawab"], None,
     date(2017, 2, 14)),
    ("Sri Wahyuni (demo)", "Kepala Subbagian Umum", "pejabat", ["koordinator"], None,
     date(2017, 2, 14)),
    ("Agus Salim (demo)", "Kepala Seksi Pencairan Dana", "pejabat", ["ketua_area"],
     "pelayanan_publik", date(2017, 2, 14)),
    ("Dewi Lestari (demo)", "Kepala Seksi Bank", "pejabat", ["ketua_area"],
     "penataan_tatalaksana", date(2017, 2, 14)),
    ("Hendra Gunawan (demo)", "Kepala Seksi MSKI", "pejabat", ["ketua_area"],
     "penguatan_pengawasan", date(2017, 2, 14)),
    ("Yulia Rahmawati (demo)", "Pelaksana Subbagian Umum", "staf",
     ["anggota_area", "agen_perubahan"], "manajemen_perubahan", date(2017, 2, 14)),
    ("Fajar Nugroho (demo)", "Pelaksana Seksi Pencairan Dana", "staf",
     ["anggota_area", "agen_perubahan"], "pelayanan_publik", date(2017, 2, 14)),
    ("Rina Marlina (demo)", "Pelaksana Seksi Bank", "staf", ["anggota_area"],
     "penguatan_akuntabilitas", date(2017, 2, 14)),
    ("Budi Santoso (demo)", "Pelaksana Seksi MSKI", "staf", ["anggota_area"],
     "penataan_sdm", date(2017, 2, 14)),
    ("Lina Kartika (demo)", "Pelaksana Seksi Pencairan Dana", "staf", [], None,
     date(2018, 1, 8)),
    ("Teguh Prasetyo (demo)", "Pelaksana Seksi Bank (pindahan 2019)", "staf", [], None, None),
    ("Samsul Bahri (demo)", "Satuan Pengamanan", "satpam", [], None, date(2017, 2, 14)),
    ("Iwan Setiawan (demo)", "Satuan Pengamanan", "satpam", [], None, date(2017, 2, 14)),
    ("Darmawan (demo)", "Satuan Pengamanan", "satpam", [], None, None),
    ("Siti Aminah (demo)", "Petugas Kebersihan", "cleaning_service", [], None,
     date(2017, 2, 14)),
    ("Jumadi (demo)", "Petugas Kebersihan", "cleaning_service", [], None, None),
    ("Rudi Hartono (demo)", "Pengemudi", "ppnpn", [], None, date(2017, 3, 1)),
    ("Nurhayati (demo)", "Pramubakti", "ppnpn", [], None, date(2017, 3, 1)),
]
DECREE = {"number": "KEP-12/KPN.0702/2017 (demo)", "decree_date": date(2017, 2, 20),
          "title": "Tim Pembangunan Zona Integritas KPPN Tanjungpandan (demo)"}
# kind, date, area, title, indexes into TEAM of those who attended
ACTIVITIES = [
    ("sosialisasi", date(2017, 2, 14), "manajemen_perubahan",
     "Sosialisasi pembangunan ZI kepada seluruh pegawai dan PPNPN (demo)",
     [0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 14, 16, 17]),
    ("internalisasi_budaya_kerja", date(2018, 3, 5), "manajemen_perubahan",
     "Internalisasi nilai-nilai Kementerian Keuangan (demo)",
     [0, 1, 2, 3, 5, 6, 7, 9, 11, 14, 16]),
    ("rapat", date(2019, 2, 18), "manajemen_perubahan",
     "Rapat penetapan lima pilar menuju WBBM (demo)", [0, 1, 2, 3, 4, 5, 6]),
    ("monev", date(2019, 6, 24), "penguatan_pengawasan",
     "Monitoring dan evaluasi rencana aksi semester I (demo)", [0, 1, 2, 3, 4, 8, 9]),
]

# --- partnerships (one expires soon relative to today) ----------------------------------------
def _partnerships(today: date) -> list[dict[str, Any]]:
    return [
        {"partner": "Pemerintah Kabupaten Belitung (demo)", "kind": "pemda",
         "scope": "Percepatan penyaluran dana desa dan klinik konsultasi keuangan desa.",
         "agreement_number": "PKS-03/KPN.0702/2018 (demo)", "signed_on": date(2018, 3, 12),
         "expires_on": today + timedelta(days=41), "pillar": 3},
        {"partner": "Bank Sumsel Babel Cabang Tanjungpandan (demo)", "kind": "bank",
         "scope": "Layanan penerimaan dan pengiriman data SP2D secara elektronik.",
         "agreement_number": "PKS-07/KPN.0702/2017 (demo)", "signed_on": date(2017, 8, 7),
         "expires_on": today + timedelta(days=400), "pillar": 0},
        {"partner": "Universitas Bangka Belitung (demo)", "kind": "universitas",
         "scope": "Survei kepuasan layanan oleh pihak independen dan magang mahasiswa.",
         "agreement_number": "MoU-01/KPN.0702/2019 (demo)", "signed_on": date(2019, 1, 21),
         "expires_on": today + timedelta(days=760), "pillar": 3},
    ]


# --- action plan: history 2017-2019 (done) and the current plan (some overdue) -----------------
def _action_items(today: date) -> list[dict[str, Any]]:
    return [
        {"area": "manajemen_perubahan", "activity": "Menyusun rencana kerja pembangunan ZI (demo)",
         "output_target": "Dokumen rencana kerja 2017", "person_in_charge": "Sri Wahyuni (demo)",
         "started_on": date(2017, 2, 20), "due_on": date(2017, 3, 31), "status": "selesai",
         "progress": 100, "lke_ref": "PPA2A", "pillar": 1},
        {"area": "pelayanan_publik", "activity": "Menerapkan antrean daring SIAP-TJP (demo)",
         "output_target": "Aplikasi berjalan untuk seluruh satker",
         "person_in_charge": "Agus Salim (demo)", "started_on": date(2017, 4, 3),
         "due_on": date(2017, 9, 1), "status": "selesai", "progress": 100, "pillar": 0},
        {"area": "penguatan_pengawasan", "activity": "Membangun unit pengendalian gratifikasi (demo)",
         "output_target": "SK UPG dan laporan triwulanan",
         "person_in_charge": "Hendra Gunawan (demo)", "started_on": date(2017, 5, 2),
         "due_on": date(2017, 12, 15), "status": "selesai", "progress": 100, "pillar": 4},
        {"area": "pelayanan_publik", "activity": "Memperluas LANTIP ke seluruh satker (demo)",
         "output_target": "100% SPM diajukan tanpa tatap muka",
         "person_in_charge": "Agus Salim (demo)", "started_on": today - timedelta(days=120),
         "due_on": today - timedelta(days=18), "status": "berjalan", "progress": 80,
         "pillar": 0},
        {"area": "penataan_sdm", "activity": "Menyusun peta kompetensi seluruh pegawai (demo)",
         "output_target": "Peta kompetensi dan rencana pengembangan",
         "person_in_charge": "Sri Wahyuni (demo)", "started_on": today - timedelta(days=150),
         "due_on": today - timedelta(days=45), "status": "berjalan", "progress": 50,
         "lke_ref": "PPC1A", "pillar": 2},
        {"area": "manajemen_perubahan", "activity": "Internalisasi budaya kerja triwulan ini (demo)",
         "output_target": "Kegiatan internalisasi dan daftar hadir",
         "person_in_charge": "Yulia Rahmawati (demo)", "started_on": today - timedelta(days=30),
         "due_on": today + timedelta(days=30), "status": "berjalan", "progress": 40,
         "pillar": 1},
        {"area": "penguatan_akuntabilitas", "activity": "Reviu capaian IKU semester (demo)",
         "output_target": "Laporan reviu IKU", "person_in_charge": "Dewi Lestari (demo)",
         "due_on": today + timedelta(days=60), "status": "belum_mulai", "progress": 0,
         "pillar": 4},
        {"area": "pelayanan_publik", "activity": "Memperbarui MoU dengan Pemkab Belitung (demo)",
         "output_target": "Perjanjian kerja sama baru ditandatangani",
         "person_in_charge": "Dewi Lestari (demo)", "due_on": today - timedelta(days=5),
         "status": "belum_mulai", "progress": 0, "pillar": 3},
    ]


def _existing(session: Session, model, unit_id: int, field: str, value: str):
    return session.exec(
        select(model).where(model.unit_id == unit_id, getattr(model, field) == value,
                            col(model.deleted_at).is_(None))
    ).first()


def load_programme_demo(session: Session, result: DemoResult) -> None:
    """Programme records of the KPPN Tanjungpandan demo (see the module docstring)."""
    unit_id = result.unit_ids["KPPN-TJP"]
    unit = units.get(session, unit_id=unit_id)
    today = unit_today(unit)

    def created(what: str) -> None:
        result.created.append(what)

    pillar_ids: list[int] = []
    for position, (name, aim, lead, year) in enumerate(PILLARS, start=1):
        row = _existing(session, Pillar, unit_id, "name", name)
        if row is None:
            row = pillars.create_pillar(session, actor=None, unit_id=unit_id, data={
                "name": name, "aim": aim, "lead": lead, "target_year": year,
                "position": position,
            })
            created(f"pillar {name}")
        pillar_ids.append(row.id)

    for kind, on, title, note in MILESTONES:
        if _existing(session, Milestone, unit_id, "title", title) is None:
            milestones.create_milestone(session, actor=None, unit_id=unit_id, data={
                "kind": kind, "on_date": on, "title": title, "note": note,
            })
            created(f"milestone {title}")

    def innovation(data: dict[str, Any], impacts: list[dict[str, Any]]) -> int:
        row = _existing(session, Innovation, unit_id, "title", data["title"])
        if row is None:
            row = innovations.create_innovation(session, actor=None, unit_id=unit_id,
                                                data=data)
            created(f"innovation {data['title']}")
            for impact in impacts:
                innovations.create_impact(session, actor=None, innovation_id=row.id,
                                          data=impact)
        return row.id

    wbk_id = innovation(WBK_INNOVATION | {"pillar_id": pillar_ids[0]}, WBK_IMPACTS)
    innovation(WBBM_INNOVATION | {"pillar_id": pillar_ids[0], "parent_id": wbk_id},
               WBBM_IMPACTS)
    innovation(PILOT_INNOVATION | {"pillar_id": pillar_ids[3]}, [])

    if _existing(session, TeamDecree, unit_id, "number", DECREE["number"]) is None:
        team.create_decree(session, actor=None, unit_id=unit_id, data=DECREE)
        created("team decree")
    member_ids: list[int] = []
    for name, position, level, roles, area, signed_on in TEAM:
        row = _existing(session, TeamMember, unit_id, "name", name)
        if row is None:
            row = team.create_member(session, actor=None, unit_id=unit_id, data={
                "name": name, "position": position, "level": level, "roles": roles,
                "area": area,
            })
            created(f"team member {name}")
            if signed_on is not None:
                team.create_pact(session, actor=None, unit_id=unit_id, data={
                    "member_id": row.id, "signed_on": signed_on,
                    "evidence_title": f"Pakta integritas {name}",
                })
        member_ids.append(row.id)
    for kind, held_on, area, title, attended in ACTIVITIES:
        if _existing(session, TeamActivity, unit_id, "title", title) is None:
            team.create_activity(session, actor=None, unit_id=unit_id, data={
                "kind": kind, "held_on": held_on, "area": area, "title": title, "note": NOTE,
                "pillar_id": pillar_ids[1], "member_ids": [member_ids[i] for i in attended],
            })
            created(f"activity {title}")

    for data in _partnerships(today):
        data = dict(data)
        pillar = data.pop("pillar")
        if _existing(session, Partnership, unit_id, "partner", data["partner"]) is None:
            partnerships.create_partnership(session, actor=None, unit_id=unit_id, data=data | {
                "pillar_id": pillar_ids[pillar], "evidence_title": NOTE,
            })
            created(f"partnership {data['partner']}")

    for data in _action_items(today):
        data = dict(data)
        pillar = data.pop("pillar")
        if _existing(session, ActionItem, unit_id, "activity", data["activity"]) is None:
            action_plan.create_action_item(session, actor=None, unit_id=unit_id, data=data | {
                "pillar_id": pillar_ids[pillar],
            })
            created(f"action item {data['activity']}")
