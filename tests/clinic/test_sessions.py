"""Session charting: the chart form (depth per zone within the caps, pre-filled from the plan) and the session page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind, Endpoint, JobStatus
from dermadelta.clinic.records.models import Patient, Photo, TreatmentPlan, TreatmentSession
from dermadelta.protocol.rulebook import load_rulebook


def new_url(patient: Patient) -> str:
    return f"/patients/{patient.pk}/sessions/new/"


def today() -> dt.date:
    return timezone.localdate()


def chart(**changes: Any) -> dict[str, Any]:
    data = {
        "on": today().isoformat(),
        "number": "1",
        "device": "pen",
        "depth_left_cheek": "1.5",
        "depth_right_cheek": "1.5",
        "depth_forehead": "",
        "passes": "3",
        "endpoint": Endpoint.PINPOINT_BLEEDING,
        "numbing_minutes": "25",
        "products": "Hyaluronic serum",
        "addons": "PRP",
        "lot_numbers": "CART-2291, HA-77",
        "immediate_reactions": "Even redness, mild pinpoint bleeding on the cheeks.",
        "notes": "Tolerated well.",
    }
    data.update(changes)
    return data


def post(client: Any, patient: Patient, **changes: Any) -> Any:
    return client.post(new_url(patient), chart(**changes))


def stored_plan(on: dt.date, rows: list[tuple[dt.date, dict[str, float]]], *, device: str = "pen") -> dict[str, Any]:
    """A ``dermadelta.plan/1`` snapshot with these sessions (date, zone: depth), four weeks apart at least."""
    caps = {"left_cheek": 2.0, "right_cheek": 2.0, "forehead": 0.5, "chin": 2.0}
    zones = list(rows[0][1])
    return {
        "schema": "dermadelta.plan/1",
        "device": device,
        "targets": [{"concern": "texture", "zones": zones}],
        "min_interval_days": 28,
        "interval_days": 28,
        "not_before": on.isoformat(),
        "sessions": [
            {
                "number": number,
                "date": day.isoformat(),
                "max_depth_mm": max(depths.values()),
                "addons": [],
                "depths": [
                    {"zone": zone, "concerns": ["texture"], "depth_mm": depth, "cap_mm": caps[zone]}
                    for zone, depth in depths.items()
                ],
            }
            for number, (day, depths) in enumerate(rows, start=1)
        ],
        "maintenance": {
            "from": (on + dt.timedelta(days=200)).isoformat(),
            "until": (on + dt.timedelta(days=400)).isoformat(),
        },
        "event": None,
        "notes": [],
    }


@pytest.fixture
def plan(patient: Patient, alice: Any) -> TreatmentPlan:
    """An active plan: session 1 four weeks ago, session 2 today, on the cheeks and the forehead."""
    start = today() - dt.timedelta(days=28)
    consultation = actions.record_consultation(
        patient, on=start, zones=["left_cheek", "right_cheek", "forehead"], answers={}, by=alice
    )
    rows = [
        (start, {"left_cheek": 1.0, "right_cheek": 1.0, "forehead": 0.25}),
        (today(), {"left_cheek": 1.5, "right_cheek": 1.5, "forehead": 0.35}),
    ]
    return TreatmentPlan.objects.create(
        patient=patient,
        consultation=consultation,
        targets=["texture:left_cheek,right_cheek,forehead"],
        device="roller",
        start=start,
        plan=stored_plan(start, rows, device="roller"),
    )


# --- the form ---------------------------------------------------------------------------------------------


def test_it_shows_one_depth_field_per_zone_of_the_rule_book(as_alice, patient):
    response = as_alice.get(new_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    book = load_rulebook()
    for zone in book.zones.values():
        assert f'<label for="id_depth_{zone.id}">{zone.label}</label>' in page
        assert f'name="depth_{zone.id}"' in page
    for device in book.devices.values():
        assert f'<option value="{device.id}"' in page
    for value, _label in Endpoint.choices:
        assert f'<option value="{value}"' in page
    assert '<label for="id_on">Date</label>' in page and f'value="{today().isoformat()}"' in page
    for name in ("passes", "numbing_minutes", "products", "addons", "lot_numbers", "immediate_reactions", "notes"):
        assert f'name="{name}"' in page


def test_it_suggests_the_next_session_number(as_alice, patient):
    assert 'name="number" value="1"' in as_alice.get(new_url(patient)).content.decode()
    TreatmentSession.objects.create(patient=patient, number=4, on=today(), depths={"chin": 1.0})

    assert 'name="number" value="5"' in as_alice.get(new_url(patient)).content.decode()


def test_it_prefills_the_depths_of_the_plans_session_with_that_number(as_alice, patient, plan):
    TreatmentSession.objects.create(patient=patient, plan=plan, number=1, on=today(), depths={"left_cheek": 1.0})

    page = as_alice.get(new_url(patient)).content.decode()

    assert 'name="number" value="2"' in page
    assert 'name="depth_left_cheek" value="1.5"' in page and 'name="depth_forehead" value="0.35"' in page
    assert '<input type="number" name="depth_chin" step="any"' in page  # no value: not planned
    assert '<option value="roller" selected>' in page  # the plan's device
    assert "pre-filled from session 2" in page


def test_it_prefills_the_session_asked_for(as_alice, patient, plan):
    page = as_alice.get(new_url(patient), {"number": "1"}).content.decode()

    assert 'name="number" value="1"' in page and 'name="depth_left_cheek" value="1.0"' in page

    for hostile in ("abc", "-1", "0", "100000000000000000000", "²", "1.5", "1000"):
        assert 'name="number" value="1"' in as_alice.get(new_url(patient), {"number": hostile}).content.decode()


def test_it_warns_before_charting_without_treatment_consent(as_alice, patient):
    patient.consents.filter(kind=ConsentKind.TREATMENT).delete()

    assert "has no active treatment consent" in as_alice.get(new_url(patient)).content.decode()


# --- charting ---------------------------------------------------------------------------------------------


def test_it_charts_a_session_and_audits_it(as_alice, alice, patient, plan):
    response = post(as_alice, patient, number="2")

    session = TreatmentSession.objects.get(patient=patient)
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.depths == {"left_cheek": 1.5, "right_cheek": 1.5}
    assert (session.on, session.number, session.device, session.plan) == (today(), 2, "pen", plan)
    assert (session.deviations, session.override_reason) == ([], "")
    assert (session.passes, session.endpoint, session.numbing_minutes) == (3, "pinpoint_bleeding", 25)
    assert (session.products, session.addons, session.lot_numbers) == ("Hyaluronic serum", "PRP", "CART-2291, HA-77")
    assert session.immediate_reactions.startswith("Even redness") and session.notes == "Tolerated well."
    assert session.practitioner == alice
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="treatmentsession")
    assert (entry.user, entry.patient, entry.detail) == (alice, patient, "session 2")


def test_it_lets_a_colleague_chart_a_session(as_bob, bob, patient):
    post(as_bob, patient)

    assert TreatmentSession.objects.get(patient=patient).practitioner == bob


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"depth_left_cheek": "99"}, "Left cheek: 99.0 mm is deeper than the zone&#x27;s cap of 2.0 mm"),
        ({"depth_forehead": "0.8"}, "Forehead: 0.8 mm is deeper than the zone&#x27;s cap of 0.5 mm"),
        ({"depth_left_cheek": "-1"}, "Left cheek: depth must be a positive number of millimetres"),
        ({"depth_left_cheek": "0"}, "Left cheek: depth must be a positive number of millimetres"),
        ({"depth_left_cheek": "abc"}, "Enter a number."),
        ({"depth_left_cheek": "1,5"}, "Enter a number."),
        ({"depth_left_cheek": "inf"}, "Enter a number."),
        ({"depth_left_cheek": "nan"}, "Enter a number."),
        ({"depth_left_cheek": "1e400"}, "Enter a number."),
        ({"depth_left_cheek": "", "depth_right_cheek": ""}, "Give the needle depth for at least one zone."),
        ({"device": "at_home"}, "Left cheek: 1.5 mm is deeper than the At-home roller or stamp&#x27;s cap of 0.5 mm"),
        ({"device": "laser"}, "Select a valid choice."),
        ({"on": "2999-01-01"}, "The session date cannot be in the future"),
        ({"on": "1950-01-01"}, "The session date is before the patient&#x27;s date of birth."),
        ({"on": "yesterday"}, "Enter a valid date."),
        ({"number": "0"}, "Ensure this value is greater than or equal to 1."),
        ({"number": "100000"}, "Ensure this value is less than or equal to 99."),
        ({"number": "two"}, "Enter a whole number."),
        ({"passes": "-3"}, "Ensure this value is greater than or equal to 1."),
        ({"numbing_minutes": "100000"}, "Ensure this value is less than or equal to 180."),
        ({"endpoint": "blood"}, "Select a valid choice."),
        ({"products": "p" * 301}, "Ensure this value has at most 300 characters"),
    ],
)
def test_it_refuses_a_chart_that_breaks_the_rules_and_says_why(as_alice, patient, changes, message):
    response = post(as_alice, patient, **changes)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_it_refuses_a_session_number_the_patient_already_has(as_alice, patient):
    assert post(as_alice, patient, number="1").status_code == 302

    response = post(as_alice, patient, number="1", notes="Second try")

    assert response.status_code == 400
    assert "already has a session with this number" in response.content.decode()
    assert TreatmentSession.objects.filter(patient=patient).count() == 1


def test_it_ignores_a_zone_that_does_not_exist(as_alice, patient):
    post(as_alice, patient, depth_moon="1.0", **{"depths": '{"moon": 1}'})

    assert TreatmentSession.objects.get(patient=patient).depths == {"left_cheek": 1.5, "right_cheek": 1.5}


def test_the_chart_action_refuses_a_zone_that_does_not_exist(patient, alice):
    fields = {"on": today(), "number": 1, "device": "pen", "depths": {"moon": 1.0}}

    with pytest.raises(ValidationError, match="unknown zone 'moon'"):
        actions.chart_session(patient, fields, by=alice)
    assert not TreatmentSession.objects.exists()


def test_it_refuses_to_chart_without_treatment_consent(as_alice, patient):
    patient.consents.filter(kind=ConsentKind.TREATMENT).update(withdrawn_at=timezone.now())

    response = post(as_alice, patient)

    assert response.status_code == 400
    assert "Pat Doe has no active treatment consent." in response.content.decode()
    assert not TreatmentSession.objects.exists()


def test_it_keeps_the_entries_after_a_refusal(as_alice, patient):
    page = post(as_alice, patient, depth_left_cheek="99", notes="Keep me").content.decode()

    assert 'name="depth_left_cheek" value="99"' in page
    assert "Keep me</textarea>" in page


def test_it_answers_404_when_a_stranger_charts_and_writes_nothing(as_charlie, patient):
    assert as_charlie.get(new_url(patient)).status_code == 404
    assert post(as_charlie, patient).status_code == 404

    assert not TreatmentSession.objects.exists()
    assert not AuditEntry.objects.exclude(action=AuditAction.REFUSED).filter(patient__isnull=False).exists()


def test_it_keeps_charting_from_patients_and_anonymous_visitors(as_pat, as_quinn, client, patient):
    assert as_pat.get(new_url(patient)).status_code == 403
    assert post(as_pat, patient).status_code == 403
    assert post(as_quinn, patient).status_code == 403
    response = post(client, patient)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not TreatmentSession.objects.exists()


# --- the session's page -------------------------------------------------------------------------------------


@pytest.fixture
def charted(as_alice: Any, patient: Patient, plan: TreatmentPlan) -> TreatmentSession:
    post(as_alice, patient, number="2", depth_forehead="0.3", notes="<script>alert('x')</script>")
    return TreatmentSession.objects.get(patient=patient)


def photo_of(patient: Patient, name: str, session: TreatmentSession | None) -> Photo:
    photo = Photo(patient=patient, session=session, sha256=name * 64, width=10, height=10, status=JobStatus.DONE)
    photo.quality = "ok"
    photo.original.save(f"{name}-original", ContentFile(b"x"), save=False)
    photo.display.save(f"{name}-display.jpg", ContentFile(b"x"), save=False)
    photo.save()
    return photo


def test_it_shows_everything_charted_and_the_photos_of_the_session(as_alice, patient, charted):
    tagged = photo_of(patient, "a", charted)
    other = photo_of(patient, "b", None)

    response = as_alice.get(f"/sessions/{charted.pk}/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Session 2 on" in page and "Motorised microneedling pen" in page
    assert "Pinpoint bleeding" in page and "25 minutes" in page
    assert "Hyaluronic serum" in page and "PRP" in page and "CART-2291, HA-77" in page
    assert "Even redness, mild pinpoint bleeding" in page and "Alice Adams" in page
    assert "<td>Left cheek</td>" in page and "1.5 mm" in page and "0.3 mm" in page
    assert "<th>Planned</th>" in page and "0.35 mm" in page  # the plan's depths for session 2, side by side
    assert "Charted outside the plan" not in page
    assert f'<img src="/photos/{tagged.pk}/image/"' in page
    assert f"/photos/{other.pk}/" not in page


def test_it_shows_script_in_notes_as_text(as_alice, charted):
    page = as_alice.get(f"/sessions/{charted.pk}/").content.decode()

    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page


def test_it_audits_each_look_at_a_session(as_bob, bob, patient, charted):
    as_bob.get(f"/sessions/{charted.pk}/")

    entry = AuditEntry.objects.get(action=AuditAction.VIEW, object_type="treatmentsession")
    assert (entry.user, entry.patient, entry.object_id) == (bob, patient, str(charted.pk))


def test_it_guards_the_session_page(as_charlie, as_pat, as_quinn, client, charted):
    url = f"/sessions/{charted.pk}/"
    assert as_charlie.get(url).status_code == 404
    assert as_pat.get(url).status_code == 403
    assert as_quinn.get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert as_charlie.get("/sessions/999999/").status_code == 404
