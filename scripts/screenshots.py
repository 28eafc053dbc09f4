"""Screenshots of the clinic application's main pages, taken from a freshly seeded demo clinic.

    .venv/bin/python scripts/screenshots.py docs/screenshots

Seeds the demo clinic into a temporary data folder, runs the web server and the
worker as ``make run`` does, and photographs each page in headless Chromium as the
practitioner, the clinic admin and the patient would see it. Every record shown is
the simulated demo patient.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}


def _pages(patient_id: int) -> dict[str, str]:
    """The pages to photograph, by file name (the database is the seeded demo's)."""
    from django.urls import reverse

    from dermadelta.clinic.records.choices import JobStatus
    from dermadelta.clinic.records.models import Comparison, Patient

    patient = Patient.objects.get(pk=patient_id)
    comparison = Comparison.objects.filter(patient=patient, status=JobStatus.DONE).order_by("-pk").first()
    plan = patient.plans.order_by("-pk").first()
    session = patient.sessions.order_by("-number").first()
    if comparison is None or plan is None or session is None:
        raise SystemExit("the demo clinic has no finished comparison, plan or session to show")
    return {
        "clinic_dashboard": reverse("dashboard"),
        "clinic_patients": reverse("patients"),
        "clinic_patient": reverse("patient", kwargs={"pk": patient.pk}),
        "clinic_consultation": reverse("consultation_new", kwargs={"pk": patient.pk}),
        "clinic_plan": reverse("plan", kwargs={"pk": plan.pk}),
        "clinic_session": reverse("session", kwargs={"pk": session.pk}),
        "clinic_upload": reverse("photo_upload", kwargs={"pk": patient.pk}),
        "clinic_photo": reverse("photo", kwargs={"pk": comparison.after_id}),
        "clinic_comparison": reverse("comparison", kwargs={"pk": comparison.pk}),
        "clinic_audit_log": reverse("audit_log"),
        "clinic_portal": reverse("portal"),
    }


ROLE_OF_PAGE = {"clinic_audit_log": "admin", "clinic_portal": "patient"}


def _shoot(url: str, logins: dict[str, tuple[str, str]], pages: dict[str, str], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        contexts = {}
        for name, path in pages.items():
            role = ROLE_OF_PAGE.get(name, "practitioner")
            if role not in contexts:
                contexts[role] = browser.new_context(viewport=VIEWPORT)  # type: ignore[arg-type]
                page = contexts[role].new_page()
                username, password = logins[role]
                page.goto(f"{url}/login/")
                page.get_by_label("Username").fill(username)
                page.get_by_label("Password").fill(password)
                page.get_by_role("button", name="Sign in").click()
                page.wait_for_load_state("networkidle")
            page = contexts[role].pages[0]
            page.goto(f"{url}{path}")
            page.wait_for_load_state("networkidle")
            target = out / f"{name}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the PNG files")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dermadelta-screenshots-") as folder:
        data_dir = Path(folder)
        from dermadelta.clinic.running import demo_in, free_port, web_and_worker

        demo = demo_in(data_dir)
        pages = _pages(demo.patient_id)
        (data_dir / "logs").mkdir()
        with web_and_worker("127.0.0.1", free_port(), web_workers=1, log_dir=data_dir / "logs") as running:
            for path in _shoot(running.url, demo.logins, pages, args.out):
                print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
