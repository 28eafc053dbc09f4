"""A plan has one source of truth, its stored snapshot: a change of rules reaches it only by an explicit re-plan.

The rule book is edited in a temporary copy of the rules folder, the way a
clinic edits its own: the plan page, handout, calendar and care schedule of an
existing plan stay as they were made; the plan page says the rules changed; the
re-plan page lists what would change, and applying it is audited.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions, care
from dermadelta.clinic.records.models import Patient, TreatmentPlan
from dermadelta.protocol import rulebook

TODAY = dt.date(2025, 3, 3)


@pytest.fixture
def rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the packaged rules that the whole application reads from, for the test's length."""
    folder = tmp_path / "rules"
    shutil.copytree(rulebook.packaged_rules_dir(), folder)
    monkeypatch.setattr(rulebook, "packaged_rules_dir", lambda: folder)
    rulebook._default_rulebook.cache_clear()
    yield folder
    rulebook._default_rulebook.cache_clear()


def edit(folder: Path, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= 1, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    rulebook._default_rulebook.cache_clear()


def change_the_rules(folder: Path) -> None:
    """Rolling scars spaced 6 weeks at least, sessions at 09:00, pre-care reworded."""
    concerns = (folder / "concerns.toml").read_text(encoding="utf-8")
    start = concerns.index("[concern.acne_scars_rolling]")
    at = concerns.index("interval_weeks_min = 4", start)
    (folder / "concerns.toml").write_text(concerns[:at] + "interval_weeks_min = 6" + concerns[at + 22 :], "utf-8")
    edit(folder, "care.toml", 'start_time = "10:00"', 'start_time = "09:00"')
    edit(folder, "care.toml", "Stop retinoids, vitamin C and exfoliating acids", "Pause retinoids and acids")


@pytest.fixture
def plan(rules: Path, patient: Patient, alice: Any) -> TreatmentPlan:
    consultation = actions.record_consultation(
        patient, on=TODAY, zones=["left_cheek", "right_cheek"], answers={"hsv_history": True}, by=alice
    )
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=TODAY, sessions=4)
    return actions.create_plan(patient, request, consultation=consultation, by=alice)


def what_the_patient_gets(plan: TreatmentPlan) -> tuple[str, bytes, list[dict[str, Any]]]:
    plan = TreatmentPlan.objects.get(pk=plan.pk)
    return care.handout_html(plan), care.calendar_ics(plan), care.care_rows(care.plan_care(plan).care)


def test_the_stored_plan_records_the_rules_it_was_made_under(plan):
    assert plan.rules_version == rulebook.load_rulebook().version and plan.rules_version.startswith("sha256:")
    assert plan.care["schema"] == "dermadelta.care/1"
    assert not plan.rules_changed


def test_editing_a_rule_changes_no_existing_handout_calendar_or_care_schedule(rules, plan, as_alice):
    before = what_the_patient_gets(plan)
    page_before = as_alice.get(f"/plans/{plan.pk}/").content.decode()

    change_the_rules(rules)

    assert rulebook.load_rulebook().version != plan.rules_version  # the rules did change
    handout, calendar, rows = what_the_patient_gets(plan)
    assert (handout, calendar, rows) == before
    assert "DTSTART;TZID=Europe/London:20250303T100000" in calendar.decode()
    assert "Stop retinoids, vitamin C and exfoliating acids" in handout
    page = as_alice.get(f"/plans/{plan.pk}/").content.decode()
    assert "The treatment rules have changed since this plan was made" in page
    assert "The treatment rules have changed" not in page_before
    assert "starting at 10:00" in page and "Stop retinoids, vitamin C and exfoliating acids" in page


def test_the_replan_page_lists_the_changes_and_applying_them_is_audited(rules, plan, as_alice, alice, patient):
    change_the_rules(rules)

    preview = as_alice.get(f"/plans/{plan.pk}/replan/")

    assert preview.status_code == 200
    page = preview.content.decode()
    assert "Shortest time between sessions: 28 → 42 days." in page
    assert "Session 2: 31 Mar 2025 → 14 Apr 2025." in page
    assert "the wording of “Pause retinoids and acids” changes" in page
    assert "_" not in page.split("<main", 1)[-1].split("</main>", 1)[0].replace("csrfmiddlewaretoken", "")
    assert TreatmentPlan.objects.get(pk=plan.pk).plan == plan.plan  # nothing applied by looking

    version = rulebook.load_rulebook().version
    response = as_alice.post(f"/plans/{plan.pk}/replan/", {"rules": version})

    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}/"
    plan.refresh_from_db()
    assert plan.rules_version == version and plan.plan["min_interval_days"] == 42
    handout, calendar, _ = what_the_patient_gets(plan)
    assert "DTSTART;TZID=Europe/London:20250414T090000" in calendar.decode()
    assert "Pause retinoids and acids" in handout
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="treatmentplan", object_id=str(plan.pk))
    assert (entry.user, entry.patient) == (alice, patient)
    assert entry.detail.startswith(f"re-planned under rules {version} (was sha256:")
    assert "Shortest time between sessions: 28 → 42 days." in entry.detail
    assert "The treatment rules have changed" not in as_alice.get(f"/plans/{plan.pk}/").content.decode()


def test_a_replan_confirmed_for_other_rules_than_the_current_ones_is_refused(rules, plan, as_alice):
    shown = rulebook.load_rulebook().version
    change_the_rules(rules)  # changed after the page was shown

    for seen in (shown, "", "sha256:<script>", "x" * 5000):
        response = as_alice.post(f"/plans/{plan.pk}/replan/", {"rules": seen})
        assert response.status_code == 409
        assert "The rules changed again since the changes were shown" in response.content.decode()
    assert TreatmentPlan.objects.get(pk=plan.pk).plan == plan.plan
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE, object_type="treatmentplan").exists()


def test_only_the_clinics_staff_can_replan(plan, as_charlie, as_pat, client):
    url = f"/plans/{plan.pk}/replan/"
    assert as_charlie.get(url).status_code == 404
    assert as_charlie.post(url, {"rules": plan.rules_version}).status_code == 404
    assert as_pat.post(url, {"rules": plan.rules_version}).status_code == 403
    assert client.post(url, {"rules": plan.rules_version}).status_code == 302
    assert TreatmentPlan.objects.get(pk=plan.pk).plan == plan.plan


def test_a_plan_stored_before_care_was_kept_takes_its_care_from_the_stored_plan(plan):
    before = what_the_patient_gets(plan)
    TreatmentPlan.objects.filter(pk=plan.pk).update(care=None)

    assert what_the_patient_gets(plan) == before
