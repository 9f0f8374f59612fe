"""Every main page in Chromium with the demo data: at 390 px nothing is wider than the
phone (tables scroll inside their own box or reflow), at 1280 px and 390 px the browser
console stays clean (no htmx oobErrorNoTarget, no Content-Security-Policy refusal), and
arrow keys through a worksheet question's options save once, when leaving the question."""

from __future__ import annotations

import pytest
from sqlmodel import select

from app.models import Assessment, SurveyCampaign
from app.services.demo.base import DEMO_PASSWORD
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser

# Elements reaching past the right edge of the viewport, unless a scrolling box that itself
# fits holds them (a wide table inside its .table-wrap is fine; the page must not scroll).
WIDER_THAN_VIEWPORT = """(width) => {
  const found = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1) continue;
    let held = false;
    for (let p = el.parentElement; p; p = p.parentElement) {
      const overflow = getComputedStyle(p).overflowX;
      if ((overflow === 'auto' || overflow === 'scroll' || overflow === 'hidden')
          && p.getBoundingClientRect().right <= width + 1) { held = true; break; }
    }
    if (!held) found.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(box.right)}`);
  }
  return {scroll: document.documentElement.scrollWidth, found: found.slice(0, 5)};
}"""


def _demo(db):
    from app.services import demo
    from app.services.lke import frameworks

    frameworks.sync_bundled(db)
    return demo.load(db)


def _pages(db, loaded) -> dict[str, list[str]]:
    unit = loaded.unit_ids["KPPN-TJP"]
    kanwil = loaded.unit_ids["KANWIL-BABEL"]
    years = {a.year: a.id for a in db.exec(select(Assessment).where(Assessment.unit_id == unit))}
    campaign = db.exec(select(SurveyCampaign).where(SurveyCampaign.unit_id == unit)
                       .order_by(SurveyCampaign.id)).first().id
    u, a18, a19 = f"/units/{unit}", years[2018], years[2019]
    coordinator = [
        "/units", u, f"{u}/timeline", f"{u}/audit", f"{u}/tokens", f"{u}/webhooks",
        f"{u}/assessments", f"{u}/assessments/compare", f"/assessments/{a19}",
        f"/assessments/{a19}?area=PPA", f"/assessments/{a18}", f"/assessments/{a19}/gaps",
        f"/assessments/{a19}/submission", f"/assessments/{a18}/comparison",
        f"{u}/evidence", f"{u}/innovations", f"{u}/team", f"{u}/action-plan",
        f"{u}/partnerships", f"{u}/pillars", f"{u}/milestones", f"{u}/surveys",
        f"{u}/surveys/campaigns/{campaign}", f"{u}/surveys/campaigns/{campaign}/responses",
        f"{u}/surveys/trend", f"{u}/surveys/services", f"{u}/surveys/campaigns/new",
    ]
    reviewer = [f"/units/{kanwil}", f"/units/{kanwil}/reviews", "/oversight",
                f"/units/{kanwil}/assessments"]
    return {"koordinator": coordinator, "kanwil": reviewer}


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_main_pages_fit_a_phone_and_keep_the_console_clean(live_server, browser, db):
    loaded = _demo(db)
    pages = _pages(db, loaded)
    too_wide, errors, visited = [], [], 0
    for width in (390, 1280):
        for username, paths in pages.items():
            context = browser.new_context(viewport={"width": width, "height": 844})
            page = context.new_page()
            page.on("console", lambda m, w=width, p=page: errors.append(
                f"{w}px {p.url}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e, w=width, p=page: errors.append(f"{w}px {p.url}: {e}"))
            _sign_in(page, live_server, username)
            for path in paths:
                response = page.goto(f"{live_server}{path}")
                assert response.status == 200, (username, path, response.status)
                page.wait_for_load_state("networkidle")
                visited += 1
                if width == 390:
                    seen = page.evaluate(WIDER_THAN_VIEWPORT, width)
                    if seen["scroll"] > width or seen["found"]:
                        too_wide.append((path, seen))
                    if path.endswith("/action-plan") or path.endswith("/audit"):
                        screenshot(page, f"polish-390{path.replace('/', '-')}")
            context.close()
    assert visited == 2 * sum(len(p) for p in pages.values())
    assert too_wide == []
    assert errors == []


def test_arrow_keys_through_options_save_once_when_leaving(live_server, browser, db):
    loaded = _demo(db)
    unit = loaded.unit_ids["KPPN-TJP"]
    a19 = db.exec(select(Assessment).where(Assessment.unit_id == unit,
                                           Assessment.year == 2019)).one().id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    _sign_in(page, live_server, "koordinator")
    page.goto(f"{live_server}/assessments/{a19}?area=PPA")
    page.wait_for_load_state("networkidle")
    saves = []
    page.on("request", lambda r: saves.append(r.url)
            if r.method == "POST" and r.url.endswith("/answers/PPA1A") else None)
    checked = page.locator("#q-PPA1A input[type=radio]:checked")
    assert checked.get_attribute("value") == "Ya"
    checked.focus()
    page.keyboard.press("ArrowDown")  # Ya -> Tidak
    page.keyboard.press("ArrowUp")    # Tidak -> Ya
    page.keyboard.press("ArrowDown")  # Ya -> Tidak
    page.wait_for_timeout(300)
    assert saves == []  # still in the question: nothing sent yet
    page.keyboard.press("Tab")  # on to the explanation: the question is left
    page.wait_for_selector("#q-PPA1A .saved")
    assert len(saves) == 1
    assert page.locator("#q-PPA1A input[type=radio]:checked").get_attribute("value") == "Tidak"
    # a click saves at once
    page.click("#q-PPA1A label.ws-option >> nth=0")
    page.wait_for_function("document.querySelector('#q-PPA1A input:checked').value === 'Ya'")
    page.wait_for_timeout(500)
    assert len(saves) == 2
    # the option's code and label stay apart: "Tidak" once (not "TidakTidak"), and a code
    # ends before its label begins, also on a phone
    tidak = page.locator("#q-PPA1A label.ws-option >> nth=1")
    assert tidak.locator(".opt-code").inner_text() == "Tidak"
    assert tidak.locator(".opt-label").inner_text() == ""
    page.set_viewport_size({"width": 390, "height": 844})
    # where the code's text ends (its glyphs, not its grid cell) and its label's text begins
    overlaps = page.evaluate("""() => [...document.querySelectorAll('.ws-option')].map(o => {
      const text = el => { const r = document.createRange(); r.selectNodeContents(el);
                           return r.getBoundingClientRect(); };
      const code = text(o.querySelector('.opt-code')), label = text(o.querySelector('.opt-label'));
      return label.width && code.right > label.left + 0.5 ? o.innerText : null;
    }).filter(Boolean)""")
    assert overlaps == []
    assert errors == []
