"""The claim mapping rules, worked by hand (no database, no app)."""

from app.domain.accounts.claim_map import Rule, claim_values, grants

RULES = [
    Rule(claim="org_code", value="KPPN-TPD", unit="KPPN-TPD", role="member"),
    Rule(claim="groups", value="zi-koordinator", unit="KPPN-TPD", role="coordinator"),
    Rule(claim="realm_access.roles", value="zona-admin", unit="KEMENKEU", role="admin"),
    Rule(claim="org_code", unit="{value}", role="viewer"),
]


def test_a_plain_value_and_a_group_in_a_list_each_give_their_role():
    claims = {"org_code": "KPPN-TPD", "groups": ["pegawai", "zi-koordinator"]}
    assert grants(RULES, claims) == [
        ("KPPN-TPD", "member"), ("KPPN-TPD", "coordinator"), ("KPPN-TPD", "viewer"),
    ]


def test_a_dotted_claim_reaches_into_an_object():
    claims = {"realm_access": {"roles": ["offline_access", "zona-admin"]}}
    assert grants(RULES, claims) == [("KEMENKEU", "admin")]


def test_the_value_placeholder_names_the_unit_by_the_claims_own_value():
    assert grants(RULES, {"org_code": "KANWIL-BABEL"}) == [("KANWIL-BABEL", "viewer")]


def test_nothing_matching_gives_nothing():
    assert grants(RULES, {"groups": ["pegawai"], "email": "a@b.example"}) == []
    assert grants(RULES, {}) == []


def test_values_are_compared_as_text_and_odd_values_are_ignored():
    numeric = [Rule(claim="org_id", value="120", unit="U-120", role="member")]
    assert grants(numeric, {"org_id": 120}) == [("U-120", "member")]
    assert claim_values({"x": [True, None, {"a": 1}, " ", "ok", 7]}, "x") == ["ok", "7"]
    assert claim_values({"x": "a"}, "x.y") == []


def test_a_pair_given_twice_is_listed_once():
    rules = [Rule(claim="groups", value="a", unit="U", role="member"),
             Rule(claim="groups", value="b", unit="U", role="member")]
    assert grants(rules, {"groups": ["a", "b"]}) == [("U", "member")]
