"""The clinic on a phone: at 390 px wide no page scrolls sideways; a wide table scrolls inside its card.

The demo clinic is seeded into the running application (a simulated patient with a
plan, charted sessions and two analysed photos), then its pages are opened in
Chromium at an iPhone-sized viewport as the practitioner and as the patient.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp, _manage, sign_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
#: How far the page may be wider than the screen (sub-pixel rounding), in CSS pixels.
SLACK_PX = 1

#: The widest element that is not inside a scrolling box, and the page's own scroll width.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (el) => {
    for (let node = el.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (["auto", "scroll"].includes(style.overflowX) && node.scrollWidth > node.clientWidth) return true;
    }
    return false;
  };
  const wide = [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !scrolls(el) && el.offsetParent !== null)
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ")[0] : ""));
  return {page: document.documentElement.scrollWidth, screen: width, wide: wide.slice(0, 5)};
}"""


@pytest.fixture(scope="module")
def demo_logins(live_app: LiveApp) -> dict[str, str]:
    from dermadelta.clinic.records.demo import read_logins

    _manage(live_app.env, "seed_demo", "--photos", "2")
    return read_logins(live_app.data_dir / "demo-logins.txt")


def _links_to_visit(page: Any, app: LiveApp) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href^='/']", "links => links.map(a => a.getAttribute('href'))")
    skip = (".pdf", ".ics", ".png", ".zip", ".json", "/logout/", "/admin/", "/visual/", "/image/")
    return sorted({h.split("#")[0] for h in hrefs if not any(s in h for s in skip)})


def _too_wide(page: Any, app: LiveApp, start: str) -> dict[str, Any]:
    """Open ``start`` and every page it links to, two levels deep; the pages that scroll sideways."""
    problems: dict[str, Any] = {}
    seen: set[str] = set()
    queue = [(start, 0)]
    while queue:
        path, depth = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = page.goto(f"{app.url}{path}")
        if response is None or response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
            continue
        measured = page.evaluate(OVERFLOW)
        if measured["page"] > measured["screen"] + SLACK_PX or measured["wide"]:
            problems[path] = measured
        if depth < 2:
            queue.extend((link, depth + 1) for link in _links_to_visit(page, app))
    assert len(seen) > 5, seen  # the walk reached the clinic's pages
    return problems


@pytest.mark.parametrize("who", ["demo-practitioner", "demo-patient"])
def test_no_page_scrolls_sideways_on_a_phone(live_app, browser, demo_logins, who):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, live_app, who, demo_logins[who])

    problems = _too_wide(page, live_app, "/")

    context.close()
    assert problems == {}


def test_the_check_finds_a_table_wider_than_the_phone_and_accepts_one_that_scrolls(browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    cells = "".join(f"<td>column {n} with a long heading</td>" for n in range(8))
    page.set_content(f"<table><tr>{cells}</tr></table>")
    wide = page.evaluate(OVERFLOW)
    page.set_content(f"<div style='overflow-x:auto'><table><tr>{cells}</tr></table></div>")
    scrolling = page.evaluate(OVERFLOW)
    context.close()
    assert wide["page"] > PHONE["width"] and wide["wide"]
    assert scrolling["page"] <= PHONE["width"] and scrolling["wide"] == []
