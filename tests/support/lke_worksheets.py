"""Hand-written answer sets for the LKE ZI 2021 worksheet (PermenPANRB 90/2021)."""

from __future__ import annotations

# Best answers of the 8 numeric-input questions, chosen by hand so every ratio is 1 and
# every consistency rule holds ("reported" <= "must report", etc.).
NUMERIC_MAX = {
    "PRA1A": {"change_agents": 4, "changes_made": 4},
    "PRA1B": {"changes_made": 4, "changes_integrated": 4},
    "PRC3A": {"violations_last_year": 2, "violations_this_year": 1,
              "violations_sanctioned": 1},
    "PRD1A": {"targets_total": 10, "targets_reached": 10},
    "PRE2A": {"complaints_to_follow_up": 5, "complaints_in_process": 0,
              "complaints_finished": 5},
    "PRE3A": {"must_head_of_unit": 1, "must_lhkpn_officials": 3, "must_others": 2,
              "reported": 6},
    "PRE3B": {"must_administrators": 2, "must_supervisors": 4,
              "must_functional_and_staff": 20, "reported": 26},
    "PRF1B": {"services_registered": 7, "services_simplified": 7},
}
INDEX_MAX = {"HBA1A": "4.00", "HPA1A": "4.00"}


def all_max(framework) -> list[dict]:
    """Every question at its best answer: option A / Ya, the numeric maxima above, index 4."""
    items = []
    for q in framework.questions():
        if q.ref in NUMERIC_MAX:
            items.append({"ref": q.ref, "inputs": NUMERIC_MAX[q.ref]})
        elif q.ref in INDEX_MAX:
            items.append({"ref": q.ref, "index": INDEX_MAX[q.ref]})
        else:
            assert q.option_codes[0] in ("A", "Ya"), q.ref  # the best option comes first
            items.append({"ref": q.ref, "option": q.option_codes[0]})
    return items
