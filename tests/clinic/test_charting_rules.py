"""Charting keeps the plan's rules: a session outside them is refused with the reasons, or recorded with an override.

The rules are :func:`records.actions.chart_session`'s (checked by
``protocol.charting``), so the page, the API and the demo seeding all meet them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Patient, TreatmentPlan, TreatmentSession

#: A Monday long past: the plan's sessions are all charted as done.
START = dt.date(2025, 3, 3)
REASON = "Patient travels abroad next month; agreed to treat now after discussing the healing time."


def make_plan(patient: Patient, by: Any) -> TreatmentPlan:
    """Rolling acne scars on both cheeks, 4 sessions 4 weeks apart; the forehead screened but not planned."""
    consultation = actions.record_consultation(
        patient, on=START, zones=["left_cheek", "right_cheek", "forehead"], answers={"hsv_history": True}, by=by
    )
    request = actions.PlanRequest(targets=("acne_scars_rolling:left_cheek,right_cheek",), start=START, sessions=4)
    return actions.create_plan(patient, request, consultation=consultation, by=by)


@pytest.fixture
def plan(patient: Patient, alice: Any) -> TreatmentPlan:
    return make_plan(patient, alice)


def planned(plan: TreatmentPlan, number: int) -> dict[str, Any]:
    """Session ``number`` exactly as planned, as the chart action takes it."""
    row = plan.protocol_plan().sessions[number - 1]
    return {"on": row.date, "number": number, "device": "pen", "depths": {d.zone: d.depth_mm for d in row.depths}}


@pytest.fixture
def first(plan: TreatmentPlan, patient: Patient, alice: Any) -> TreatmentSession:
    return actions.chart_session(patient, planned(plan, 1), by=alice)


def too_soon(plan: TreatmentPlan, **changes: Any) -> dict[str, Any]:
    """Session 2 on the day of session 1, also on the forehead (screened, not planned) and a periorbital zone."""
    fields = planned(plan, 2)
    fields["on"] = START
    fields["depths"] = {**fields["depths"], "forehead": 0.25, "left_periorbital": 0.2}
    return {**fields, **changes}


# --- the action -----------------------------------------------------------------------------------------


def test_a_session_as_planned_is_charted_without_deviations(plan, first):
    assert (first.plan, first.deviations, first.override_reason) == (plan, [], "")


def test_it_refuses_a_session_outside_the_plan_and_says_why(patient, alice, plan, first):
    with pytest.raises(actions.OutsidePlan) as refused:
        actions.chart_session(patient, too_soon(plan), by=alice)

    reasons = refused.value.message_dict
    assert reasons["on"] == [
        "Session 1 was charted on 3 Mar 2025, the same day: the plan keeps sessions at least 28 days apart "
        "so the skin heals in between."
    ]
    assert reasons["depths"] == [
        "The forehead is not in the plan.",
        "The left periorbital was not screened at the consultation the plan was made from "
        "(a mole, a recent filler or surgery there would not have been asked about).",
        "The left periorbital is not in the plan.",
    ]
    assert reasons["override_reason"] == ["To record it all the same, confirm the override and give the reason."]
    assert [d.code for d in refused.value.deviations] == [
        "too_soon",
        "zone_not_planned",
        "zone_not_screened",
        "zone_not_planned",
    ]
    assert list(TreatmentSession.objects.filter(patient=patient)) == [first]


def test_an_override_records_the_session_with_its_deviations_and_reason_and_audits_them(patient, alice, plan, first):
    session = actions.chart_session(patient, too_soon(plan, override=True, override_reason=f"  {REASON}\n"), by=alice)

    session.refresh_from_db()
    assert [d["code"] for d in session.deviations] == [
        "too_soon",
        "zone_not_planned",
        "zone_not_screened",
        "zone_not_planned",
    ]
    assert session.override_reason == REASON
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="treatmentsession", object_id=str(session.pk))
    assert entry.user == alice and entry.patient == patient
    assert entry.detail.startswith("session 2, outside the plan (too_soon, zone_not_planned, zone_not_screened): ")
    assert REASON[:100] in entry.detail


@pytest.mark.parametrize("reason", ["", "   ", "\n\t"])
def test_an_override_without_a_reason_is_refused(patient, alice, plan, first, reason):
    with pytest.raises(actions.OutsidePlan) as refused:
        actions.chart_session(patient, too_soon(plan, override=True, override_reason=reason), by=alice)

    assert refused.value.message_dict["override_reason"] == [
        "Give the reason for charting this session outside the plan."
    ]
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_a_reason_without_the_override_is_not_an_override(patient, alice, plan, first):
    with pytest.raises(actions.OutsidePlan):
        actions.chart_session(patient, too_soon(plan, override_reason=REASON), by=alice)
    with pytest.raises(actions.OutsidePlan):  # only True overrides: not "yes", not 1
        actions.chart_session(patient, too_soon(plan, override="yes", override_reason=REASON), by=alice)


def test_an_overlong_reason_is_refused(patient, alice, plan, first):
    with pytest.raises(actions.ActionError, match="under 1000 characters"):
        actions.chart_session(patient, too_soon(plan, override=True, override_reason="x" * 1001), by=alice)


def test_an_override_of_a_session_that_keeps_the_plan_records_nothing_of_it(patient, alice, plan, first):
    session = actions.chart_session(
        patient, {**planned(plan, 2), "override": True, "override_reason": REASON}, by=alice
    )

    assert (session.deviations, session.override_reason) == ([], "")


@pytest.mark.parametrize(
    ("depths", "message"),
    [
        ({"left_cheek": -1.0}, "Left cheek: depth must be a positive number of millimetres"),
        ({"left_cheek": 0}, "Left cheek: depth must be a positive number of millimetres"),
        ({"moon": 1.0}, "unknown zone 'moon'"),
        ({"left_cheek": 2.6}, "deeper than the zone's cap of 2.0 mm"),
        ({"left_cheek": "1.5"}, "Left cheek: depth must be a positive number of millimetres"),
    ],
)
def test_the_caps_hold_even_with_an_override(patient, alice, plan, first, depths, message):
    fields = {**too_soon(plan), "depths": depths, "override": True, "override_reason": REASON}

    with pytest.raises(ValidationError) as refused:
        actions.chart_session(patient, fields, by=alice)

    assert not isinstance(refused.value, actions.OutsidePlan)
    assert any(message in text for text in refused.value.messages)
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_without_a_plan_only_the_caps_hold(patient, alice):
    session = actions.chart_session(
        patient, {"on": START, "number": 1, "depths": {"forehead": 0.25, "left_periorbital": 0.2}}, by=alice
    )

    assert (session.plan, session.deviations) == (None, [])


def test_a_plan_that_cannot_be_read_needs_an_override(patient, alice, plan):
    TreatmentPlan.objects.filter(pk=plan.pk).update(plan={"schema": "dermadelta.plan/1"})

    with pytest.raises(actions.OutsidePlan) as refused:
        actions.chart_session(patient, planned(plan, 1), by=alice)

    assert [d.code for d in refused.value.deviations] == ["plan_unreadable"]
    fields = {**planned(plan, 1), "override": True, "override_reason": REASON}
    assert actions.chart_session(patient, fields, by=alice).deviations[0]["code"] == "plan_unreadable"


def test_sessions_of_an_earlier_plan_count_for_the_interval(patient, alice, plan, first):
    later = make_plan(patient, alice)  # a new active plan, same dates

    with pytest.raises(actions.OutsidePlan) as refused:
        actions.chart_session(patient, {**planned(later, 2), "on": START + dt.timedelta(days=7)}, by=alice)

    assert [d.code for d in refused.value.deviations] == ["too_soon"]


# --- the pages ----------------------------------------------------------------------------------------------


def form(fields: dict[str, Any], **extra: str) -> dict[str, str]:
    data = {"on": fields["on"].isoformat(), "number": str(fields["number"]), "device": fields["device"]}
    data.update({f"depth_{zone}": str(depth) for zone, depth in fields["depths"].items()})
    data.update({"passes": "3", "endpoint": "erythema", "numbing_minutes": "30"})
    return {**data, **extra}


def test_the_page_refuses_then_offers_the_override(as_alice, patient, plan, first):
    response = as_alice.post(f"/patients/{patient.pk}/sessions/new/", form(too_soon(plan)))

    assert response.status_code == 400
    page = response.content.decode()
    assert "This session departs from the plan" in page
    assert "the plan keeps sessions at least 28 days apart" in page and "The forehead is not in the plan." in page
    assert 'name="override"' in page and 'name="override_reason"' in page
    assert "Please correct the entries marked below." not in page
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_the_page_refuses_an_override_without_a_reason(as_alice, patient, plan, first):
    response = as_alice.post(f"/patients/{patient.pk}/sessions/new/", form(too_soon(plan), override="on"))

    assert response.status_code == 400
    assert "Give the reason for charting this session outside the plan." in response.content.decode()
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_the_page_records_an_override_and_the_session_shows_it(as_alice, patient, plan, first):
    hostile = REASON + " <script>alert(1)</script>"
    response = as_alice.post(
        f"/patients/{patient.pk}/sessions/new/", form(too_soon(plan), override="on", override_reason=hostile)
    )

    session = TreatmentSession.objects.get(patient=patient, number=2)
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    page = as_alice.get(response["Location"]).content.decode()
    assert "Charted outside the plan" in page
    assert "The forehead is not in the plan." in page and "28 days apart" in page
    assert REASON in page and "<script>alert(1)" not in page and "&lt;script&gt;" in page
