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
            "surveys.write",
            "surveys.manage",
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

# What each API-token scope allows at the token's unit.
SCOPE_PERMISSIONS: dict[str, frozenset[str]] = {
    "read": frozenset({"unit.read"}),
    "write:indicators": frozenset({"indicators.write"}),
    "write:surveys": frozenset({"surveys.write"}),
    "write:programme": frozenset({"programme.write"}),
    "manage:webhooks": frozenset({"webhooks.manage"}),
}
ALL_SCOPES = tuple(SCOPE_PERMISSIONS)
ALL_PERMISSIONS = ADMIN_PERMISSIONS


@dataclass(frozen=True)
class Principal:
    """The actor of a request. `grants` maps unit id -> permissions held there."""

    kind: str  # "user" | "token"
    id: int
    label: str
    grants: dict[int, frozenset[str]] = field(default_factory=dict)
    is_admin: bool = False
    language: str = "id"

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
