"""The claim mapping file: read and checked; a bad file is refused, never half-read."""

import pytest

from app.domain.accounts.claim_map import Rule
from app.services.accounts import claim_map
from app.services.errors import Invalid


def test_the_documented_example_reads(tmp_path):
    path = tmp_path / "map.yaml"
    path.write_text(
        "rules:\n"
        "  - {claim: org_code, value: KPPN-TPD, unit: KPPN-TPD, role: coordinator}\n"
        "  - {claim: org_id, value: 120, unit: U-120, role: member}\n"
        "  - {claim: org_code, unit: '{value}', role: viewer}\n"
    )
    assert claim_map.load(path) == (
        Rule(claim="org_code", value="KPPN-TPD", unit="KPPN-TPD", role="coordinator"),
        Rule(claim="org_id", value="120", unit="U-120", role="member"),
        Rule(claim="org_code", value=None, unit="{value}", role="viewer"),
    )
    assert claim_map.load(None) == ()


@pytest.mark.parametrize("text", [
    "rules:\n  - {claim: org_code, unit: X, role: superuser}\n",  # no such role
    "rules:\n  - {claim: org_code, role: member}\n",  # no unit
    "rules:\n  - {claim: org_code, unit: X, role: member, extra: 1}\n",  # unknown key
    "rules: [\n",  # not YAML
    "- just a list\n",
])
def test_a_bad_file_is_refused(text):
    with pytest.raises(Invalid):
        claim_map.parse(text)


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(Invalid):
        claim_map.load(tmp_path / "absent.yaml")
