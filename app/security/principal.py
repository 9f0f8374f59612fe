"""Who is acting (a signed-in person or an API token) and what they may do where.

Permissions are granted per unit. A role at a unit grants its permissions at that unit;
a reviewer role also covers every unit below (the regional office or TPI reviews its units);
an admin role grants everything everywhere. An API token acts for one unit with its scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    "viewer": frozenset({"unit.read"}),
    "member": frozenset(
        {"unit.read", "indicators.write", "surveys.write", "programme.write"}
    ),
    "coordinator": frozenset(
        {
            "unit.read",
            "unit.manage",
            "indicators.write",
            "indicators.submit",
            "indicators.delete",
            "surveys.write",
            "surveys.manage",
            "surveys.review",
            "surveys.delete",
            "programme.write",
            "audit.read",
            "tokens.manage",
            "webhooks.manage",
        }
    ),
    "reviewer": frozenset({"unit.read", "review.write"}),
}
ADMIN_PERMISSIONS = frozenset(
    set().union(*ROLE_PERMISSIONS.values()) | {"users.manage", "units.manage"}
)

# What each API-token scope allows at the token's unit. A delete is granted by the write
# scope of its domain (a system that writes a thing may also take it back); submitting,
# changing a campaign's status and reviewing held survey answers are scopes of their own.
# docs/api-scopes-idempotency.md has the same table, for integrators; a test keeps them equal.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"unit.read"}),
    "write:indicators": frozenset({"indicators.write", "indicators.delete"}),
    "submit:indicators": frozenset({"indicators.submit"}),
    "write:surveys": frozenset({"surveys.write", "surveys.delete"}),
    "manage:surveys": frozenset({"surveys.manage"}),
    "review:surveys": frozenset({"surveys.review"}),
    "write:programme": frozenset({"programme.write"}),
    "manage:webhooks": frozenset({"webhooks.manage"}),
    "read:audit": frozenset({"audit.read"}),
}
ALL_SCOPES = tuple(SCOPE_PERMISSIONS)

# What a scope is for, in the token form and the CLI help (Indonesian; the catalogue
# translates).
SCOPE_DESCRIPTIONS: dict[str, str] = {
    "read": "Membaca data unit (LKE, survei, program, hasil).",
    "write:indicators": "Mengisi dan menghapus LKE: penilaian, jawaban, bukti.",
    "submit:indicators": "Mengirim penilaian LKE untuk direviu.",
    "write:surveys": "Mengirim jawaban survei; membuat, mengubah dan menghapus survei dan "
    "jenis layanan.",
    "manage:surveys": "Membuka, menutup dan membuka kembali survei (mengisi Hasil LKE).",
    "review:surveys": "Mereviu jawaban survei yang ditahan (sertakan atau kecualikan).",
    "write:programme": "Mengisi dan menghapus data program: inovasi, tim, rencana aksi, mitra.",
    "read:audit": "Membaca log audit unit.",
    "manage:webhooks": "Mengelola webhook unit: langganan, rahasia, log pengiriman.",
}


def scopes_granting(permission: str) -> list[str]:
    """The token scopes that grant a permission (empty: only people hold it)."""
    return [scope for scope, perms in SCOPE_PERMISSIONS.items() if permission in perms]


def missing(
    principal: Principal | None, permission: str, unit_id: int | None = None
) -> tuple[str, str]:
    """What a refused actor lacked, named: ``(name, message)``.

    For a token the name is the scope that would grant the permission (what its coordinator
    can add); for a person, or a permission no scope grants, the permission itself. The
    message says it in Indonesian, naming both; when the actor holds it, but at other units
    than ``unit_id``, the message says that instead.
    """
    elsewhere = (
        principal is not None and unit_id is not None and principal.can(permission)
    )
    if principal is not None and principal.kind == "token":
        scopes = scopes_granting(permission)
        if elsewhere:
            name = scopes[0] if scopes else permission
            return name, (
                f"Token ini hanya berlaku untuk unitnya sendiri (cakupan '{name}'); data ini "
                "milik unit lain."
            )
        if scopes:
            return scopes[0], (
                f"Token ini tidak memiliki cakupan '{scopes[0]}' yang diperlukan untuk "
                f"tindakan ini (izin '{permission}')."
            )
        return permission, (
            f"Tindakan ini memerlukan izin '{permission}', yang hanya dimiliki pengguna; "
            "tidak ada cakupan token yang memberikannya."
        )
    if elsewhere:
        return permission, (
            f"Anda tidak berwenang untuk tindakan ini di unit ini (izin '{permission}' Anda "
            "berlaku di unit lain)."
        )
    return permission, f"Anda tidak berwenang untuk tindakan ini (perlu izin '{permission}')."


ALL_PERMISSIONS = ADMIN_PERMISSIONS


@dataclass(frozen=True)
class Principal:
    """The actor of a request. `grants` maps unit id -> permissions held there."""

    kind: str  # "user" | "token" | "kiosk"
    id: int
    label: str
    grants: dict[int, frozenset[str]] = field(default_factory=dict)
    is_admin: bool = False
    language: str = "id"
    #: A kiosk's one campaign: the only one whose answers it may post (kind "kiosk").
    campaign_id: int | None = None

    @property
    def user_id(self) -> int | None:
        return self.id if self.kind == "user" else None

    @property
    def token_id(self) -> int | None:
        return self.id if self.kind == "token" else None

    def can(self, permission: str, unit_id: int | None = None) -> bool:
        """True when the permission is held at that unit (or anywhere, without a unit)."""
        if self.is_admin:
            return permission in ADMIN_PERMISSIONS
        if unit_id is None:
            return any(permission in perms for perms in self.grants.values())
        return permission in self.grants.get(unit_id, frozenset())

    def unit_ids(self, permission: str = "unit.read") -> set[int] | None:
        """The units where the permission is held; None means every unit (admin)."""
        if self.is_admin:
            return None
        return {uid for uid, perms in self.grants.items() if permission in perms}
