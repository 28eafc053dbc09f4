"""A practitioner's day in a real browser: sign in, create a patient, upload a before and an after photo,
wait for the analysis, open the comparison and download its PDF report.

The application runs as ``make run`` runs it (web server and database worker in
their own processes); only Chromium is driven.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

ANALYSIS_TIMEOUT_MS = 120_000


@pytest.fixture
def photos(tmp_path: Path) -> tuple[Path, Path]:
    from dermadelta.demo import simulated_pair

    before, after = simulated_pair(seed=3)
    paths = tmp_path / "before.jpg", tmp_path / "after.jpg"
    paths[0].write_bytes(before)
    paths[1].write_bytes(after)
    return paths


def _upload(page: Any, photo: Path) -> None:
    page.get_by_role("link", name="Upload photos").first.click()
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.get_by_role("button", name="Upload").click()
    # The quality gate's verdict appears on the page once the worker has analysed the photo.
    page.get_by_text("Usable", exact=False).first.wait_for(timeout=ANALYSIS_TIMEOUT_MS)


def test_it_takes_a_patient_from_first_visit_to_a_measured_result(live_app, browser, photos, tmp_path):
    page = browser.new_page()
    sign_in(page, live_app)

    page.get_by_role("link", name="Patients").first.click()
    page.get_by_role("link", name="New patient").click()
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Browser")
    page.get_by_label("Date of birth").fill("1990-05-17")
    page.get_by_role("button", name="Create patient").click()
    page.get_by_role("heading", name="Robin Browser").wait_for()
    patient_url = page.url

    for kind in ("treatment", "photography"):
        page.locator(f"form:has(input[name=kind][value={kind}]) button").click()
        page.wait_for_load_state()

    _upload(page, photos[0])
    page.goto(patient_url)
    _upload(page, photos[1])
    page.goto(patient_url)

    page.locator("select[name=before]").select_option(index=0)
    page.locator("select[name=after]").select_option(index=1)
    page.get_by_role("button", name="Compare").click()
    report_link = page.get_by_role("link", name="Download PDF report")
    report_link.wait_for(timeout=ANALYSIS_TIMEOUT_MS)

    assert page.locator("img[src*='/visual/before/']").count() >= 1
    assert page.locator("img[src*='/visual/heatmap-']").count() >= 1

    with page.expect_download() as download_info:
        report_link.click()
    target = tmp_path / "report.pdf"
    download_info.value.save_as(target)
    assert target.read_bytes()[:5] == b"%PDF-"
    page.close()
