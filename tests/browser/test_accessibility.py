"""WCAG 2.2 AA in a real browser: axe-core finds no critical or serious violation on any main page of the
demo clinic, as the practitioner, the clinic admin and the patient, on a desktop and on a 390 px phone, where
every control is also at least 24 x 24 px (axe lets a small target pass when it has room around it); the
before/after viewer and the capture page work from the keyboard with a visible focus.

axe-core (from the npm registry, installed into ``node_modules`` by ``make install``) is evaluated in each page
through the browser's debugging protocol, which the pages' Content-Security-Policy does not govern, so the pages
are checked exactly as they are served.
"""

from __future__ import annotations

import json
import re
import time
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import CHROMIUM, LiveApp, _manage, prepare, sign_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
BLOCKING = {"critical", "serious"}
#: Rules outside the WCAG tags (axe's best practices) that the clinic keeps to at any impact: headings in order,
#: no empty table header, a working skip link, and all content inside landmarks.
ALSO_REQUIRED = [
    "heading-order",
    "empty-table-header",
    "skip-link",
    "region",
    "landmark-one-main",
    "page-has-heading-one",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
#: Links that lead to no page of the clinic's own (downloads, images, signing out, Django's admin).
NOT_PAGES = (".pdf", ".ics", ".png", ".zip", ".json", "/logout/", "/admin/", "/visual/", "/image/", "/api/")
#: Pages walked from the start page, this many links deep.
DEPTH = 4


@cache
def _axe_source() -> str:
    if not AXE.exists():
        pytest.fail("axe-core is not installed (make install runs npm ci)")
    return AXE.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of WCAG 2.0-2.2 A and AA on the page as it is now."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    found = []
    for kind, values in (("tag", TAGS), ("rule", ALSO_REQUIRED)):
        found += page.evaluate(
            "async ([type, values]) => { const r = await axe.run(document, {runOnly: {type, values}});"
            " return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " targets: v.nodes.slice(0, 4).map(n => n.target.join(' ')), count: v.nodes.length})); }",
            [kind, values],
        )
    return found


#: Controls smaller than 24 x 24 CSS pixels (WCAG 2.5.8), links inside running text excepted as the criterion does.
SMALL_TARGETS = """() => [...document.querySelectorAll(
    "button, input:not([type=hidden]), select, textarea, summary, a.button, header a, nav a, footer a, a.skip-link")]
  .filter((el) => el.offsetParent !== null && getComputedStyle(el).visibility !== "hidden")
  .filter((el) => !el.closest("[aria-hidden=true]"))  // out of reach of pointer and keyboard alike
  .map((el) => ({el, box: el.getBoundingClientRect()}))
  .filter(({el, box}) => box.width > 0 && (box.width < 24 || box.height < 24) && !el.matches(".skip-link:not(:focus)"))
  .map(({el, box}) => `${el.tagName.toLowerCase()} "${(el.innerText || el.name || el.type).trim().slice(0, 30)}"`
                      + ` ${Math.round(box.width)}x${Math.round(box.height)}`)"""


def must_fix(found: dict[str, list[dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """The violations that fail the check: critical or serious, and any of the rules the clinic also keeps to."""
    failing = {
        where: [v for v in vs if v["impact"] in BLOCKING or v["id"] in ALSO_REQUIRED] for where, vs in found.items()
    }
    return {where: vs for where, vs in failing.items() if vs}


def describe(found: dict[str, list[dict[str, Any]]]) -> str:
    """One line per page and violation: what to fix and where."""
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(f"{where}: {v['id']} ({v['impact']}, {v['count']} element(s)): {v['help']}: {v['targets']}")
    return "\n".join(lines)


def _kind(path: str) -> str:
    """A page's kind: its path with record numbers taken out (one patient page stands for all)."""
    return re.sub(r"/\d+(?=/|$)", "/N", path)


def _links(page: Any) -> list[str]:
    """The clinic's pages this page leads to: its links, and the confirmation pages of its withdraw buttons."""
    hrefs = page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))")
    hrefs += page.eval_on_selector_all(
        "form[action*='/withdraw/']", "forms => forms.map(f => f.getAttribute('action'))"
    )
    # The handout is a download, but also a web page a patient is given to print.
    return sorted(
        {h.split("#")[0] for h in hrefs if h.endswith("?format=html") or not any(part in h for part in NOT_PAGES)}
    )


def walk(page: Any, app: LiveApp, start: str = "/") -> dict[str, list[dict[str, Any]]]:
    """Open ``start`` and the pages it links to, one of each kind; axe's violations on each HTML page."""
    found: dict[str, list[dict[str, Any]]] = {}
    seen: set[str] = set()
    queue = [(start, 0)]
    while queue:
        path, depth = queue.pop(0)
        if _kind(path) in seen:
            continue
        seen.add(_kind(path))
        response = page.goto(f"{app.url}{path}")
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        page.wait_for_load_state("networkidle")
        found[path] = axe_violations(page)
        if page.viewport_size == PHONE:
            small = page.evaluate(SMALL_TARGETS)
            if small:
                found[path].append(
                    {
                        "id": "small-target",
                        "impact": "serious",
                        "help": "under 24 x 24 px on a phone",
                        "targets": small[:4],
                        "count": len(small),
                    }
                )
        if depth < DEPTH:
            queue.extend((link, depth + 1) for link in _links(page))
    return found


#: The pages each person uses, by kind; the walk must reach every one of them.
MAIN_PAGES = {
    "demo-practitioner": {
        "/dashboard/",
        "/patients/",
        "/patients/new/",
        "/patients/N/",
        "/patients/N/edit/",
        "/consents/N/withdraw/",
        "/patients/N/consultation/new/",
        "/consultations/N/",
        "/patients/N/plan/new/",
        "/plans/N/",
        "/plans/N/handout.pdf",
        "/patients/N/sessions/new/",
        "/sessions/N/",
        "/patients/N/photos/upload/",
        "/patients/N/photos/capture/",
        "/photos/N/",
        "/comparisons/N/",
        "/sources/",
    },
    "demo-patient": {"/portal/", "/photos/N/", "/comparisons/N/", "/sources/"},
}
MAIN_PAGES["demo-admin"] = MAIN_PAGES["demo-practitioner"] | {"/audit/", "/marketing/"}


@pytest.fixture(scope="module")
def demo_logins(live_app: LiveApp) -> dict[str, str]:
    from dermadelta.clinic.records.demo import read_logins

    _manage(live_app.env, "seed_demo", "--photos", "2")
    _wait_for_the_worker(live_app)
    return read_logins(live_app.data_dir / "demo-logins.txt")


#: Prints how many of the demo's photos and comparisons are not finished, and whether its comparison exists.
_UNFINISHED = (
    "from dermadelta.clinic.records.models import Comparison, Photo; "
    "pending = ['queued', 'running']; "
    "print(Photo.objects.filter(status__in=pending).count() + Comparison.objects.filter(status__in=pending).count(),"
    " int(not Comparison.objects.exists()))"
)


def _wait_for_the_worker(app: LiveApp) -> None:
    """Until the demo's photos and comparison are measured: the running application's own worker
    may have taken some of the seeding's jobs from the queue before the seeding measured them."""
    deadline = time.monotonic() + 240
    while sum(prepare(app, _UNFINISHED)):
        if time.monotonic() > deadline:
            pytest.fail("the demo's photos and comparison were not measured within 4 minutes")
        time.sleep(2)


@pytest.mark.parametrize(
    ("who", "viewport"),
    [
        ("demo-practitioner", DESKTOP),
        ("demo-admin", DESKTOP),
        ("demo-patient", DESKTOP),
        ("demo-practitioner", PHONE),
        ("demo-admin", PHONE),
        ("demo-patient", PHONE),
    ],
    ids=["practitioner", "admin", "patient", "practitioner-phone", "admin-phone", "patient-phone"],
)
def test_axe_finds_no_serious_violation_on_the_main_pages(live_app, browser, demo_logins, who, viewport):
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone)
    page = context.new_page()
    sign_in(page, live_app, who, demo_logins[who])

    found = walk(page, live_app)

    context.close()
    print(json.dumps(found, indent=1))
    assert MAIN_PAGES[who] <= {_kind(path.split("?")[0]) for path in found}, sorted(found)
    failing = must_fix(found)
    assert not failing, "axe-core found, on " + ", ".join(found) + ":\n" + describe(failing)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_axe_finds_no_serious_violation_on_the_sign_in_and_error_pages(live_app, browser, viewport):
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    found = {}
    for path in ("/login/", "/no-such-page/"):
        page.goto(f"{live_app.url}{path}")
        found[path] = axe_violations(page)
    context.close()
    failing = must_fix(found)
    assert not failing, describe(failing)


def test_the_check_finds_low_contrast_an_empty_header_and_headings_out_of_order(browser):
    page = browser.new_page()
    page.set_content(
        "<html lang='en'><title>t</title><body><main><h1>Page</h1><h2>Part</h2><h4>Too deep</h4>"
        "<p style='color:#9a6a00;background:#f6ecd2'>the old amber badge</p>"
        "<table><tr><th>Session</th><th></th></tr><tr><td>1</td><td>done</td></tr></table></main></body></html>"
    )
    failing = must_fix({"test page": axe_violations(page)})
    page.close()
    assert {v["id"] for v in failing["test page"]} == {"color-contrast", "heading-order", "empty-table-header"}
    assert "color-contrast" in describe(failing) and "p" in describe(failing)


# --- the keyboard ------------------------------------------------------------------------------------

#: The app's own focus ring (app.css ``--focus``), as the browser computes it.
FOCUS_RING = "rgb(26, 79, 133)"
#: What has the keyboard focus, and how it is drawn.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), id: el.id, type: el.type || "", name: el.name || "",
          text: (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().slice(0, 40),
          ring: style.outlineStyle !== "none" ? style.outlineColor : "none", width: parseFloat(style.outlineWidth),
          on_screen: box.width > 0 && box.height > 0 && box.top >= 0 && box.left >= 0
                     && box.bottom <= innerHeight && box.right <= innerWidth};
}"""
#: Tab presses allowed to reach a control: more means it is effectively out of reach.
TAB_LIMIT = 80


def tab_until(page: Any, wanted: Any) -> list[dict[str, Any]]:
    """Press Tab until ``wanted(stop)`` holds for the focused element; every stop on the way, that one last."""
    stops = []
    for _ in range(TAB_LIMIT):
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUSED))
        if wanted(stops[-1]):
            return stops
    pytest.fail(f"not reached in {TAB_LIMIT} Tab presses; focus went through {[s['text'] or s['tag'] for s in stops]}")


def unringed(stops: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The stops not drawn with the app's focus ring (3 px, its colour) or not on the screen."""
    return [s for s in stops if s["ring"] != FOCUS_RING or s["width"] < 3 or not s["on_screen"]]


def _comparison_url(page: Any, app: LiveApp) -> str:
    _open_demo_patient(page, app)
    return str(page.locator("a[href^='/comparisons/']").first.get_attribute("href"))


def _open_demo_patient(page: Any, app: LiveApp) -> None:
    page.goto(f"{app.url}/patients/")
    page.get_by_role("link", name=re.compile("Sample")).first.click()
    page.wait_for_load_state()


def test_the_viewer_works_from_the_keyboard(live_app, browser, demo_logins):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    sign_in(page, live_app, "demo-practitioner", demo_logins["demo-practitioner"])
    page.goto(live_app.url + _comparison_url(page, live_app))
    page.wait_for_load_state("networkidle")

    first = tab_until(page, lambda stop: True)[0]
    assert first["text"] == "Skip to main content" and first["on_screen"], first
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    # The slider: reached by Tab, moved by the arrow keys, its value said in words.
    stops = tab_until(page, lambda stop: stop["id"] == "wipe-range")
    slider = page.locator("#wipe-range")
    assert slider.get_attribute("aria-valuetext") == "Showing 50 % of the after photo and 50 % of the before photo"
    for _ in range(10):
        page.keyboard.press("ArrowRight")
    assert slider.input_value() == "60"
    assert slider.get_attribute("aria-valuetext") == "Showing 40 % of the after photo and 60 % of the before photo"
    assert "40%" in page.locator("[data-wipe-before]").evaluate("el => el.style.clipPath")
    page.keyboard.press("Home")
    assert slider.get_attribute("aria-valuetext") == "Showing 100 % of the after photo and 0 % of the before photo"

    # The pickers: reached by Tab, changed by the arrow keys, the new view shown and announced politely.
    announcer = page.locator("[data-viewer-announce]")
    assert announcer.get_attribute("role") == "status"
    for picker, kind, words in (("metric-picker", "metric", "Change map shown"), ("zone-picker", "zone", "Zone shown")):
        stops += tab_until(page, lambda stop, picker=picker: stop["id"] == picker)
        select = page.locator(f"#{picker}")
        was = select.input_value()
        page.keyboard.press("ArrowDown")
        now = select.input_value()
        assert now != was, f"{picker}: the arrow key did not change it"
        shown = page.locator(f"[data-{kind}]:not(select):visible")
        assert shown.count() == 1 and shown.get_attribute(f"data-{kind}") == now
        heading = " ".join(shown.locator("h3").inner_text().split())
        assert announcer.inner_text() == f"{words}: {heading}."

    context.close()
    bad = unringed(stops)
    assert bad == [], json.dumps(bad)


def test_the_capture_page_is_reached_by_tab_with_a_visible_focus(live_app, browser, demo_logins):
    # A fake camera, so that the camera's own controls (overlay strength, take photo) are on the page too.
    camera = browser.browser_type.launch(
        executable_path=str(CHROMIUM),
        args=["--no-sandbox", "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"],
    )
    page = camera.new_page(viewport=DESKTOP)
    sign_in(page, live_app, "demo-practitioner", demo_logins["demo-practitioner"])
    _open_demo_patient(page, live_app)
    page.get_by_role("link", name="Capture with camera").click()
    page.locator("[data-camera]").wait_for(state="visible", timeout=15_000)

    stops = tab_until(page, lambda stop: stop["text"] == "Upload" and stop["tag"] == "button")

    camera.close()
    reached = {(s["tag"], s["type"], s["text"]) for s in stops}
    assert {("a", "", "Skip to main content"), ("button", "submit", "Show this view")} <= reached
    assert ("button", "button", "Take photo") in reached
    assert any(s["type"] == "range" for s in stops)  # how much of the first photo shows over the camera
    assert any(s["type"] == "file" for s in stops)
    assert unringed(stops) == [], unringed(stops)
