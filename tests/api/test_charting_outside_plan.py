"""The API charts under the same plan rules as the pages: a refusal in the error shape, an override with a reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dermadelta.clinic.audit.models import AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import TreatmentSession
from tests.api.conftest import BASE, error_of
from tests.clinic.test_charting_rules import REASON, make_plan, planned, too_soon


def body(fields: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**fields, "on": fields["on"].isoformat(), **extra}


def chart(client: Any, patient: Any, payload: dict[str, Any]) -> Any:
    return client.post(f"{BASE}/patients/{patient.pk}/sessions", payload, content_type="application/json")


def test_the_api_refuses_a_session_outside_the_plan_in_its_error_shape(api_alice, patient, alice):
    plan = make_plan(patient, alice)
    actions.chart_session(patient, planned(plan, 1), by=alice)

    error = error_of(chart(api_alice, patient, body(too_soon(plan))), 400, "validation")

    fields = [detail["field"] for detail in error["details"]]
    assert fields == ["on", "depths", "depths", "depths", "override_reason"]
    assert "at least 28 days apart" in error["message"] and "The forehead is not in the plan." in error["message"]
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_the_api_refuses_an_override_without_a_reason(api_alice, patient, alice):
    plan = make_plan(patient, alice)
    actions.chart_session(patient, planned(plan, 1), by=alice)

    error = error_of(
        chart(api_alice, patient, body(too_soon(plan), override=True, override_reason=" ")), 400, "validation"
    )

    assert {"field": "override_reason", "message": "Give the reason for charting this session outside the plan."} in (
        error["details"]
    )


def test_the_api_records_an_override_and_returns_the_deviations(api_alice, patient, alice):
    plan = make_plan(patient, alice)
    actions.chart_session(patient, planned(plan, 1), by=alice)

    response = chart(api_alice, patient, body(too_soon(plan), override=True, override_reason=REASON))

    assert response.status_code == 201, response.content
    out = response.json()
    assert [d["code"] for d in out["deviations"]] == [
        "too_soon",
        "zone_not_planned",
        "zone_not_screened",
        "zone_not_planned",
    ]
    assert {d["field"] for d in out["deviations"]} == {"on", "depths"}
    assert out["override_reason"] == REASON
    assert api_alice.get(f"{BASE}/sessions/{out['id']}").json()["deviations"] == out["deviations"]
    assert AuditEntry.objects.filter(object_id=str(out["id"]), detail__contains="outside the plan").count() == 1


def test_the_api_takes_only_a_true_boolean_and_a_bounded_reason(api_alice, patient, alice):
    plan = make_plan(patient, alice)
    actions.chart_session(patient, planned(plan, 1), by=alice)

    for override in ("yes", 1, None):
        error = error_of(chart(api_alice, patient, body(too_soon(plan), override=override)), 422, "validation")
        assert [d["field"] for d in error["details"]] == ["body.override"]
    too_long = body(too_soon(plan), override=True, override_reason="x" * 1001)
    assert [d["field"] for d in error_of(chart(api_alice, patient, too_long), 422, "validation")["details"]] == [
        "body.override_reason"
    ]
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_a_session_without_a_plan_is_charted_as_before(api_alice, patient):
    response = chart(api_alice, patient, {"on": dt.date(2025, 3, 3).isoformat(), "number": 1, "depths": {"chin": 1.0}})

    assert response.status_code == 201, response.content
    assert response.json()["deviations"] == [] and response.json()["override_reason"] == ""
