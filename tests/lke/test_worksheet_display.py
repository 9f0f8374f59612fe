"""The worksheet's printed text of a framework version (app.web.lke.display), prepared once
per version and language: the figures are the regulation's (PermenPANRB 90/2021 LKE ZI, the
bundled framework), worked by hand, not the code's own output."""

from __future__ import annotations

import copy

import yaml

from app.domain.lke import load_framework
from app.frameworks import default_framework_path
from app.web.lke import display


def _raw() -> dict:
    with open(default_framework_path(), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def test_weights_and_option_values_in_each_language():
    fw = load_framework(_raw())
    ind, en = display.of(fw, "id"), display.of(fw, "en")
    # Pemenuhan, Manajemen perubahan: weight 4; Penataan tatalaksana 3.5; PPA1 0.5 over
    # two questions, so PPA1A weighs 0.25.
    assert (ind.weight["PP"], ind.weight["PPA"], ind.weight["PPB"]) == ("30,00", "4,00", "3,50")
    assert (en.weight["PP"], en.weight["PPB"]) == ("30.00", "3.50")
    assert (ind.weight["PPA1"], ind.weight["PPA1A"], en.weight["PPA1A"]) == ("0,50", "0,25", "0.25")
    # PPA1A: "Ya" (value 1) with its long label, "Tidak" (0) whose label is its code.
    assert ind.options["PPA1A"]["Ya"] == ("Ya, jika Tim telah dibentuk di dalam unit kerja.", "1,00")
    assert ind.options["PPA1A"]["Tidak"] == ("", "0,00")
    assert en.options["PPA1A"]["Tidak"] == ("", "0.00")
    # HPA1A: an index on the 1-4 scale; PRA1A a ratio capped at 100%.
    assert ind.index_range["HPA1A"] == ("1,00", "4,00")
    assert ind.cap["PRA1A"] == "100" and ind.cap["PPA1A"] is None
    assert ind.inputs["PRA1A"] == {"change_agents": "Jumlah Agen Perubahan",
                                   "changes_made": "Jumlah Perubahan yang dibuat"}
    # The area meter: max = weight, low = 60%, high = 75% (PPE 7.5: 4.5 and 5.625).
    assert ind.meter["PPE"] == ("7.5000", "4.5000", "5.6250")
    assert ind.meter["PPA"] == ("4.0000", "2.4000", "3.0000")


def test_texts_are_cleaned_and_escaped_once():
    data = copy.deepcopy(_raw())
    area = data["components"][0]["parts"][0]["areas"][0]
    area["name"] = "Manajemen <b>perubahan</b>\u200b"
    area["sub_indicators"][0]["questions"][0]["text"] = "Tim \u202eZI & pokja"
    fw = load_framework(data)
    shown = display.of(fw, "id")
    assert shown.text["PPA"] == "Manajemen &lt;b&gt;perubahan&lt;/b&gt;"
    assert shown.text["PPA1A"] == "Tim ZI &amp; pokja"
    assert hasattr(shown.text["PPA"], "__html__")  # printed as it is, not escaped twice


def test_kept_per_framework_object_and_language():
    fw = load_framework(_raw())
    assert display.of(fw, "id") is display.of(fw, "id")
    assert display.of(fw, "en") is not display.of(fw, "id")
    # another parsed version (another object) gets its own
    assert display.of(load_framework(_raw()), "id") is not display.of(fw, "id")


def test_scores_and_option_buttons_as_the_worksheet_prints_them():
    from fractions import Fraction

    from app.services.lke.summary import NodeSummary

    fw = load_framework(_raw())
    ind, en = display.of(fw, "id"), display.of(fw, "en")
    # PPA weighs 4: a score of 3 1/8 is 78,125% -> "3,13" of "4,00", "78,13%".
    ppa = NodeSummary("PPA", "Manajemen Perubahan", Fraction(4), Fraction(25, 8))
    assert ind.nscore(ppa) == (
        '<span class="nscore" id="score-PPA"><strong>3,13</strong><span class="muted"> / 4,00'
        '</span> <small class="muted">(78,13%)</small></span>')
    assert 'id="score-PPA" hx-swap-oob="true"><strong>3.13</strong>' in en.nscore(ppa, oob=True)
    nav = ind.navitem(fw.area("PPA"), ppa)
    assert nav.startswith('<li id="nav-PPA"><a href="#a-PPA"><span class="nav-name">PPA · ')
    assert ('<meter min="0" max="4.0000" low="2.4000" high="3.0000" optimum="4.0000" '
            'value="3.1250">78,13%</meter>\n  <span class="nav-score">3,13</span></a></li>'
            ) in nav
    # PPA1A: "Ya" (1) with its label, then "Tidak" (0) whose label is its code.
    (ya, ya_before, ya_after), (tidak, _, tidak_after) = ind.option_html["PPA1A"]
    assert (ya, tidak) == ("Ya", "Tidak")
    assert ya_before.endswith('<input type="radio" id="q-PPA1A-Ya" name="option" value="Ya"')
    assert ('<span class="opt-label">Ya, jika Tim telah dibentuk di dalam unit kerja.</span>'
            '<span class="opt-value muted">1,00</span>') in ya_after
    assert '<span class="opt-label"></span><span class="opt-value muted">0,00</span>' in tidak_after
