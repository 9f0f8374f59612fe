"""The claim mapping file (YAML, ``ZONA_OIDC_CLAIM_MAP``): read, checked, kept until it changes.

```yaml
rules:
  - claim: org_code          # the claim (dotted path into objects: realm_access.roles)
    value: "KPPN-TPD"        # the value it must hold (a list claim: one of its elements)
    unit: "KPPN-TPD"         # the Zona unit code
    role: coordinator        # coordinator | member | viewer | reviewer | admin
  - claim: org_code          # no value: any; unit "{value}": the claim's value is the code
    unit: "{value}"
    role: viewer
```
The rules themselves are applied by the pure app.domain.accounts.claim_map.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.domain.accounts.claim_map import Rule
from app.services.errors import Invalid


class _RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    claim: str = Field(min_length=1, max_length=200)
    value: str | int | None = None
    unit: str = Field(min_length=1, max_length=100)
    role: Literal["admin", "coordinator", "member", "reviewer", "viewer"]


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[_RuleIn] = Field(default_factory=list)


_cache: dict[str, tuple[float, tuple[Rule, ...]]] = {}


def load(path: Path | None) -> tuple[Rule, ...]:
    """The rules of the file (none without a file); Invalid when it cannot be read."""
    if path is None:
        return ()
    try:
        mtime = path.stat().st_mtime
    except OSError:
        raise Invalid(f"Berkas pemetaan klaim SSO '{path}' tidak ditemukan.") from None
    cached = _cache.get(str(path))
    if cached is not None and cached[0] == mtime:
        return cached[1]
    rules = parse(path.read_text(encoding="utf-8"), source=str(path))
    _cache[str(path)] = (mtime, rules)
    return rules


def parse(text: str, *, source: str = "pemetaan") -> tuple[Rule, ...]:
    import yaml  # only where SSO maps claims: a server without SSO never loads PyYAML

    try:
        data = yaml.safe_load(text) or {}
        checked = _FileIn.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise Invalid(
            f"Berkas pemetaan klaim SSO '{source}' tidak valid.", problems=[str(exc)[:2000]]
        ) from None
    return tuple(
        Rule(claim=r.claim, unit=r.unit, role=r.role,
             value=None if r.value is None else str(r.value))
        for r in checked.rules
    )
