"""What the worksheet prints of a framework version, prepared once per version and language.

A stored framework version never changes (``app.services.lke.frameworks`` parses it once per
row id and content hash), so its part of the worksheet is the same on every request: the
names and question texts (cleaned of invisible characters and HTML-escaped, as every printed
value is), the weights and option values in the page's number format, the bounds of each
area's meter. The worksheet page, the area fragment and the htmx save print them from here
instead of cleaning, escaping and formatting the same ~400 values on every request.

Kept on the ``Framework`` object itself (``Framework.derived``): it lives and goes with the
parsed version, and a new version is a new object. Only the framework's own content is
here; everything that depends on the answers (scores, values, rows) is formatted per render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction

from markupsafe import Markup, escape

from app.domain.lke import Framework
from app.domain.text import clean_text
from app.i18n import current_language, format_number
from app.services.documents.templating import dec, shown


@dataclass(frozen=True)
class WorksheetText:
    """One framework version in one language, as the worksheet prints it."""

    #: node or question ref -> its name (parts, areas, sub-indicators) or text (questions)
    text: Mapping[str, Markup]
    #: node or question ref -> its weight as printed ("4,00" / "4.00")
    weight: Mapping[str, str]
    #: question ref -> option code -> (label shown beside the code or "", value as printed)
    options: Mapping[str, Mapping[str, tuple[Markup, str]]]
    #: question ref -> numeric input key -> label
    inputs: Mapping[str, Mapping[str, Markup]]
    #: question ref -> (minimum, maximum) of an index question, as printed
    index_range: Mapping[str, tuple[str, str]]
    #: question ref -> a ratio's cap in percent as printed ("100"), None without a cap
    cap: Mapping[str, str | None]
    #: area ref -> (max, low, high) of its <meter>: weight, 60% and 75% of it (machine form)
    meter: Mapping[str, tuple[str, str, str]]
    #: question ref -> (code, before, after) of each option's radio button as the worksheet
    #: prints it: the page puts `` checked`` between the two for the chosen option
    option_html: Mapping[str, tuple[tuple[str, Markup, Markup], ...]] = field(
        default_factory=dict)
    #: the language of the numbers printed
    lang: str = "id"

    def _fmt(self, value) -> str:
        return format_number(value, 2, lang=self.lang)

    def nscore(self, node, oob: bool = False) -> Markup:
        """A node's score, weight and percentage (what the ``nscore`` macro of
        ``pages/lke/_macros.html`` prints, built here: ~40 a worksheet page)."""
        ref = escape(node.ref)
        return Markup(
            f'<span class="nscore" id="score-{ref}"{_OOB if oob else ""}><strong>'
            f'{self._fmt(node.score)}</strong><span class="muted"> / {self.weight[node.ref]}'
            f'</span> <small class="muted">({self._fmt(node.percentage)}%)</small></span>')

    def navitem(self, area, node, oob: bool = False) -> Markup:
        """An area in the worksheet's navigation with its meter (the ``navitem`` macro)."""
        ref = escape(area.ref)
        top, low, high = self.meter[area.ref]
        return Markup(
            f'<li id="nav-{ref}"{_OOB if oob else ""}><a href="#a-{ref}"><span class="nav-name">'
            f'{ref} · {self.text[area.ref]}</span>\n'
            f'  <meter min="0" max="{top}" low="{low}" high="{high}" optimum="{top}" '
            f'value="{dec(node.score)}">{self._fmt(node.percentage)}%</meter>\n'
            f'  <span class="nav-score">{self._fmt(node.score)}</span></a></li>')


_OOB = ' hx-swap-oob="true"'


def _shown(text: str) -> Markup:
    """What ``{{ text }}`` prints: cleaned (app.domain.text), escaped."""
    return escape(clean_text(text))


def _printed(value: str) -> Markup:
    """What ``{{ value }}`` prints of a plain text (app.web.templating's ``finalize``)."""
    return escape(shown(value))


def _option_html(ref: str, code: str, label: Markup, value: str) -> tuple[str, Markup, Markup]:
    """One option of the worksheet's question form, cut where `` checked`` goes."""
    r, c = _printed(ref), _printed(code)
    before = Markup(f'\n                <label class="ws-option" for="q-{r}-{c}">\n'
                    f'                  <input type="radio" id="q-{r}-{c}" name="option" '
                    f'value="{c}"')
    after = Markup(f'>\n                  <span class="opt-code">{c}</span><span '
                   f'class="opt-label">{label}</span><span class="opt-value muted">{value}'
                   f'</span>\n                </label>')
    return code, before, after


def _build(framework: Framework, lang: str) -> WorksheetText:
    def fmt(value, places: int = 2) -> str:
        return format_number(value, places, lang=lang)

    text: dict[str, Markup] = {}
    weight: dict[str, str] = {}
    options: dict[str, dict[str, tuple[Markup, str]]] = {}
    inputs: dict[str, dict[str, Markup]] = {}
    index_range: dict[str, tuple[str, str]] = {}
    cap: dict[str, str | None] = {}
    meter: dict[str, tuple[str, str, str]] = {}
    option_html: dict[str, tuple[tuple[str, Markup, Markup], ...]] = {}
    for component in framework.components:
        text[component.ref] = _shown(component.name)
        for part in component.parts:
            text[part.ref] = _shown(part.name)
            weight[part.ref] = fmt(part.weight)
            for area in part.areas:
                text[area.ref] = _shown(area.name)
                weight[area.ref] = fmt(area.weight)
                w = Fraction(area.weight)
                meter[area.ref] = (dec(w), dec(w * 6 / 10), dec(w * 3 / 4))
                for sub in area.sub_indicators:
                    text[sub.ref] = _shown(sub.name)
                    weight[sub.ref] = fmt(sub.weight)
                    for q in sub.questions:
                        text[q.ref] = _shown(q.text)
                        weight[q.ref] = fmt(q.weight)
                        options[q.ref] = {
                            o.code: (_shown(o.label) if o.label != o.code else Markup(""),
                                     fmt(o.value))
                            for o in q.options
                        }
                        option_html[q.ref] = tuple(
                            _option_html(q.ref, code, label, value)
                            for code, (label, value) in options[q.ref].items())
                        inputs[q.ref] = {i.key: _shown(i.label) for i in q.inputs}
                        formula = q.formula
                        if q.is_index:
                            index_range[q.ref] = (fmt(formula.minimum), fmt(formula.maximum))
                        cap[q.ref] = (fmt(formula.cap * 100, 0)
                                      if formula is not None and formula.cap else None)
    return WorksheetText(text, weight, options, inputs, index_range, cap, meter, option_html,
                         lang)


def of(framework: Framework, lang: str | None = None) -> WorksheetText:
    """The worksheet's text of ``framework`` in ``lang`` (default: the request's language),
    built on first use and kept with the framework."""
    lang = "en" if (lang or current_language.get()) == "en" else "id"
    return framework.derived(f"web.lke.display:{lang}", lambda fw: _build(fw, lang))
