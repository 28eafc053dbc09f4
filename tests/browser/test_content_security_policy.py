"""Under the Content-Security-Policy the pages still work in a real browser, and the browser reports no violation.

Chromium logs every blocked script, style or image to the console ("... violates the
following Content Security Policy directive ..."); the walk collects those lines.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import LiveApp, sign_in

pytestmark = pytest.mark.browser


def _violations(page: Any) -> list[str]:
    seen: list[str] = []
    page.on("console", lambda message: seen.append(message.text) if "Content Security Policy" in message.text else None)
    return seen


def test_the_pages_run_their_scripts_and_styles_without_a_violation(live_app: LiveApp, browser: Any) -> None:
    page = browser.new_page()
    violations = _violations(page)
    sign_in(page, live_app)

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Policy")
    page.get_by_label("Date of birth").fill("1985-02-11")
    page.get_by_role("button", name="Create patient").click()
    page.get_by_role("heading", name="Casey Policy").wait_for()
    patient_url = page.url
    page.locator("form:has(input[name=kind][value=photography]) button").click()
    page.wait_for_load_state()

    # A confirmation asked by the page's own script (data-confirm), not by an inline handler.
    asked: list[str] = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.locator("form[data-confirm] button").first.click()
    assert asked and "Withdraw" in asked[0]
    assert page.locator("form[data-confirm]").count() >= 1  # dismissed: the consent was not withdrawn

    page.get_by_role("link", name="Upload photos").first.click()
    page.wait_for_load_state()
    page.goto(f"{live_app.url}/api/v1/docs")
    page.locator(".swagger-ui .info").wait_for(timeout=30_000)  # Swagger's own bundled script ran

    # The app's style sheet applied: the header bar is laid out by app.css, not left as plain text.
    page.goto(patient_url)
    assert page.evaluate("getComputedStyle(document.querySelector('header.top')).display") != "inline"
    assert violations == []
    page.close()
