"""Treatment plans: made from the latest consultation, within the depth caps, shown with their care schedule."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Consultation, TreatmentPlan

ZONES = ["forehead", "left_cheek", "right_cheek"]
#: Answers to every screening question that has a rule, none of them a contraindication.
CLEAR = {
    "age": 35,
    "fitzpatrick": "II",
    "pregnant_or_breastfeeding": False,
    "active_infection": False,
    "active_cold_sore": False,
    "hsv_history": False,
    "active_acne": False,
    "dermatosis_flare": False,
    "anticoagulants": False,
    "bleeding_disorder": False,
    "keloid_history": False,
    "uncontrolled_diabetes": False,
    "suspicious_lesions": [],
    "allergy_stainless_steel": False,
    "allergy_topical_anaesthetic": False,
}


def today() -> dt.date:
    return timezone.localdate(timezone=ZoneInfo("Europe/London"))


def consult(patient: Any, by: Any, *, zones: list[str] = ZONES, **answers: Any) -> Consultation:
    return actions.record_consultation(patient, on=today(), zones=zones, answers={**CLEAR, **answers}, by=by)


@pytest.fixture
def consultation(patient: Any, alice: Any) -> Consultation:
    consultation = consult(patient, alice)
    assert consultation.verdict == "go"
    return consultation


def new_url(patient: Any) -> str:
    return f"/patients/{patient.pk}/plan/new/"


def form(**changes: Any) -> dict[str, Any]:
    """Rolling acne scars on both cheeks with the pen from today, changed by ``changes``."""
    data: dict[str, Any] = {
        "concern_acne_scars_rolling": "on",
        "zones_acne_scars_rolling": ["left_cheek", "right_cheek"],
        "device": "pen",
        "start": today().isoformat(),
        "sessions": "",
        "interval_weeks": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def made(client: Any, patient: Any, **changes: Any) -> TreatmentPlan:
    response = client.post(new_url(patient), form(**changes))
    assert response.status_code == 302, response.content.decode()[:4000]
    plan = TreatmentPlan.objects.get(patient=patient, active=True)
    assert response["Location"] == f"/plans/{plan.pk}/"
    return plan


def refused(response: Any) -> str:
    assert response.status_code in (400, 409)
    assert not TreatmentPlan.objects.exists()
    return response.content.decode()


# --- who may plan ------------------------------------------------------------------------------------


def test_it_offers_the_concerns_treated_on_the_screened_zones(as_alice, patient, consultation):
    response = as_alice.get(new_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Acne scars: rolling" in page and "Fine lines" in page
    assert "Stretch marks" not in page  # not treated on the face zones screened
    assert 'name="zones_acne_scars_rolling" value="left_cheek"' in page
    assert 'name="zones_acne_scars_rolling" value="nose"' not in page  # the nose was not screened
    assert 'name="depth_forehead"' in page and 'name="depth_chin"' not in page
    assert f"consultation of {consultation.on.day} {consultation.on:%B %Y}" in page


def test_it_opens_planning_to_a_colleague(as_bob, patient, consultation):
    assert as_bob.get(new_url(patient)).status_code == 200
    assert made(as_bob, patient).created_by.username == "bob"


def test_it_hides_planning_from_a_stranger(as_charlie, patient, consultation):
    assert as_charlie.get(new_url(patient)).status_code == 404
    assert as_charlie.post(new_url(patient), form()).status_code == 404
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_planning_to_patients(as_pat, patient, consultation):
    assert as_pat.get(new_url(patient)).status_code == 403
    assert as_pat.post(new_url(patient), form()).status_code == 403
    assert not TreatmentPlan.objects.exists()


def test_it_sends_anonymous_planners_to_sign_in(client, patient, consultation):
    response = client.post(new_url(patient), form())
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not TreatmentPlan.objects.exists()


# --- making a plan --------------------------------------------------------------------------------------


def test_it_makes_a_plan_from_the_latest_consultation(as_alice, alice, patient, consultation):
    plan = made(as_alice, patient)

    assert plan.consultation == consultation and plan.created_by == alice
    assert plan.targets == ["acne_scars_rolling:left_cheek,right_cheek"]
    assert plan.plan["schema"] == "dermadelta.plan/1"
    assert len(plan.plan["sessions"]) == 4  # the usual series for rolling scars
    assert plan.plan["interval_days"] == 28
    depths = [d["depth_mm"] for s in plan.plan["sessions"] for d in s["depths"]]
    assert max(depths) <= 2.0 and min(depths) >= 1.5  # rolling scars, within the cheek's cap


def test_it_follows_the_practitioners_series_and_depth_within_the_caps(as_alice, patient, consultation):
    plan = made(as_alice, patient, sessions="5", interval_weeks="6", depth_left_cheek="1.25", device="roller")

    sessions = plan.plan["sessions"]
    assert len(sessions) == 5 and plan.plan["interval_days"] == 42 and plan.device == "roller"
    left = [d for s in sessions for d in s["depths"] if d["zone"] == "left_cheek"]
    assert [d["depth_mm"] for d in left] == [1.25] * 5
    assert plan.depth_mm == {"left_cheek": 1.25}


def test_it_refuses_a_depth_over_the_zone_cap(as_alice, patient, consultation):
    page = refused(
        as_alice.post(
            new_url(patient),
            form(concern_fine_lines="on", zones_fine_lines=["forehead"], depth_forehead="0.8"),
        )
    )
    assert "0.8 mm on the forehead is above the zone cap of 0.5 mm" in page


def test_it_refuses_a_depth_over_the_device_cap(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(device="at_home", depth_left_cheek="1.5")))
    assert "above the device cap of 0.5 mm" in page


@pytest.mark.parametrize("depth", ["-1", "0", "nan", "inf", "deep", "1e400"])
def test_it_refuses_a_depth_that_is_not_a_positive_number(as_alice, patient, consultation, depth):
    refused(as_alice.post(new_url(patient), form(depth_left_cheek=depth)))


def test_it_refuses_a_depth_for_a_zone_not_in_the_plan(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(depth_forehead="0.3")))
    assert "not a treated zone" in page


def test_it_refuses_an_interval_shorter_than_the_skin_needs(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(interval_weeks="2")))
    assert "below the minimum of 4 weeks" in page


@pytest.mark.parametrize("sessions", ["0", "13", "99999999999999999999", "four", "2.5"])
def test_it_refuses_an_impossible_number_of_sessions(as_alice, patient, consultation, sessions):
    refused(as_alice.post(new_url(patient), form(sessions=sessions)))


def test_it_refuses_more_sessions_than_the_concern_allows(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(sessions="10")))
    assert "sessions must be between 1 and 6" in page


def test_it_refuses_zones_that_were_not_screened_or_do_not_exist(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(zones_acne_scars_rolling=["left_cheek", "nose"])))
    assert "nose is not one of the available choices" in page
    refused(as_alice.post(new_url(patient), form(zones_acne_scars_rolling=["mars"])))
    refused(as_alice.post(new_url(patient), form(concern_martian_scars="on", device="laser")))


def test_it_needs_a_concern_and_its_zones(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), form(concern_acne_scars_rolling=None)))
    assert "Tick at least one concern to treat." in page
    page = refused(as_alice.post(new_url(patient), form(zones_acne_scars_rolling=None)))
    assert "Tick at least one zone for acne scars: rolling." in page


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("9999-12-31", "at most a year ahead"),
        ("2000-01-01", "cannot start before the consultation"),
        ("", "This field is required."),
        ("tomorrow", "Enter a valid date."),
    ],
)
def test_it_refuses_a_start_date_out_of_reach(as_alice, patient, consultation, start, message):
    assert message in refused(as_alice.post(new_url(patient), form(start=start)))


def test_it_refuses_a_plan_without_treatment_consent(as_alice, alice, patient, consultation):
    actions.withdraw_consent(patient.consents.get(kind=ConsentKind.TREATMENT), by=alice)

    assert "no active treatment consent" in as_alice.get(new_url(patient)).content.decode()
    page = refused(as_alice.post(new_url(patient), form()))
    assert "Pat Doe has no active treatment consent." in page


def test_it_asks_for_a_consultation_before_planning(as_alice, patient):
    page = as_alice.get(new_url(patient)).content.decode()
    assert "There is no consultation yet." in page
    assert f'href="/patients/{patient.pk}/consultation/new/"' in page
    assert "There is no consultation yet." in refused(as_alice.post(new_url(patient), form()))


def test_it_refuses_to_plan_for_a_referred_patient(as_alice, alice, patient):
    consult(patient, alice, keloid_history=True)

    page = as_alice.get(new_url(patient)).content.decode()
    assert "referred the patient to a physician" in page and 'name="device"' not in page
    refused(as_alice.post(new_url(patient), form()))


def test_it_plans_from_the_latest_consultation_only(as_alice, alice, patient, consultation):
    consult(patient, alice, anticoagulants=True)  # a later consultation refers: the earlier go does not count
    refused(as_alice.post(new_url(patient), form()))


def test_it_refuses_to_plan_a_deferral_without_a_date(as_alice, alice, patient):
    consult(patient, alice, pregnant_or_breastfeeding=True)
    assert "deferred treatment without a date" in refused(as_alice.post(new_url(patient), form()))


def test_it_starts_a_deferred_plan_after_the_washout(as_alice, alice, patient):
    laser = today() - dt.timedelta(days=3)
    deferred = consult(patient, alice, laser_last=laser.isoformat())
    assert deferred.eligible_from == laser + dt.timedelta(days=14)

    plan = made(as_alice, patient)

    assert plan.session_dates()[0] >= deferred.eligible_from
    assert any("screening washout" in note for note in plan.plan["notes"])


def test_it_keeps_depths_conservative_for_darker_skin(as_alice, alice, patient):
    consult(patient, alice, fitzpatrick="V")

    plan = made(as_alice, patient)

    assert any("conservative depths" in note for note in plan.plan["notes"])
    assert max(d["depth_mm"] for s in plan.plan["sessions"] for d in s["depths"]) <= 1.75


def test_a_new_plan_replaces_the_active_one(as_alice, patient, consultation):
    first = made(as_alice, patient)
    second = made(as_alice, patient, concern_fine_lines="on", zones_fine_lines=["forehead"])

    first.refresh_from_db()
    assert not first.active and second.active
    assert "Replaced by a later plan" in as_alice.get(f"/plans/{first.pk}/").content.decode()


# --- the plan page ---------------------------------------------------------------------------------------


@pytest.fixture
def plan(patient: Any, alice: Any, consultation: Consultation) -> TreatmentPlan:
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=today())
    return actions.create_plan(patient, request, consultation=consultation, by=alice)


def test_it_shows_the_sessions_depths_caps_and_care(as_alice, plan):
    response = as_alice.get(f"/plans/{plan.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    for session in plan.plan["sessions"]:
        day = dt.date.fromisoformat(session["date"])
        assert f"{day:%a} {day.day} {day:%b %Y}" in page
    assert 'Left cheek: <strong>1.5 mm</strong> <span class="muted">(cap 2.0 mm)</span>' in page
    assert "4 weeks apart" in page
    maintenance = dt.date.fromisoformat(plan.plan["maintenance"]["from"])
    assert f"{maintenance.day} {maintenance:%B %Y}" in page
    assert "Acne scars: rolling: Left cheek, Right cheek" in page
    assert "add-ons often combined" in page  # the plan's notes
    assert "Stop retinoids, vitamin C and exfoliating acids" in page  # pre-care
    assert "Redness like a mild sunburn" in page and "Aftercare" in page
    assert f'href="/plans/{plan.pk}/handout.pdf"' in page and f'href="/plans/{plan.pk}/calendar.ics"' in page


def test_it_shows_the_plan_to_a_colleague(as_bob, plan):
    assert as_bob.get(f"/plans/{plan.pk}/").status_code == 200


def test_it_hides_the_plan_from_a_stranger(as_charlie, plan):
    assert as_charlie.get(f"/plans/{plan.pk}/").status_code == 404


def test_it_keeps_the_plan_page_for_staff(as_pat, as_quinn, plan):
    assert as_pat.get(f"/plans/{plan.pk}/").status_code == 403
    assert as_quinn.get(f"/plans/{plan.pk}/").status_code == 403


def test_it_sends_anonymous_plan_visitors_to_sign_in(client, plan):
    response = client.get(f"/plans/{plan.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_explains_a_stored_plan_that_cannot_be_read(as_alice, plan):
    TreatmentPlan.objects.filter(pk=plan.pk).update(plan={**plan.plan, "not_before": "soon"})

    response = as_alice.get(f"/plans/{plan.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "The care schedule cannot be read from the stored plan" in page and "is not a date" in page
    assert "Session" in page  # the stored sessions are still shown


def test_it_explains_an_empty_submission(as_alice, patient, consultation):
    page = refused(as_alice.post(new_url(patient), {}))
    assert "Tick at least one concern to treat." in page


def test_it_refuses_to_plan_a_zone_the_consultation_did_not_screen(patient, alice):
    consultation = actions.record_consultation(patient, on=dt.date.today(), zones=["forehead"], answers={}, by=alice)
    request = actions.PlanRequest(targets=("texture:forehead,chin",), start=dt.date.today() + dt.timedelta(days=7))
    with pytest.raises(actions.ActionError, match="chin"):
        actions.create_plan(patient, request, consultation=consultation, by=alice)
    assert not TreatmentPlan.objects.filter(patient=patient).exists()
