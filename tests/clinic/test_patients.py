"""Patient pages: the clinic's list with a name search, a new patient, the patient's page, editing details."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.actions import ActionError
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, Verdict
from dermadelta.clinic.records.models import (
    Comparison,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.clinic.records.patient_actions import update_patient

NEW = "/patients/new/"


def details(**changes: Any) -> dict[str, Any]:
    data = {
        "first_name": "Robin",
        "last_name": "Reed",
        "date_of_birth": "1990-05-17",
        "email": "robin@example.org",
        "phone": "+44 20 7946 0000",
        "fitzpatrick": "4",
        "notes": "Prefers morning appointments.",
    }
    data.update(changes)
    return data


def page_of(patient: Patient) -> str:
    return f"/patients/{patient.pk}/"


def edit_of(patient: Patient) -> str:
    return f"/patients/{patient.pk}/edit/"


def make_photo(
    patient: Patient, name: str, *, status: str = JobStatus.DONE, quality: str = "ok", **extra: Any
) -> Photo:
    photo = Photo(patient=patient, sha256=name * 64, width=10, height=10, status=status, quality=quality, **extra)
    photo.original.save(f"{name}-original", ContentFile(b"x"), save=False)
    photo.display.save(f"{name}-display.jpg", ContentFile(b"x"), save=False)
    photo.save()
    return photo


# --- the list ------------------------------------------------------------------------------------------


def test_it_lists_the_clinics_patients(as_alice, patient, quinn):
    response = as_alice.get("/patients/")

    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="/patients/{patient.pk}/">Doe, Pat</a>' in page
    assert f'href="/patients/{quinn.pk}/">Fox, Quinn</a>' in page
    assert 'href="/patients/new/">New patient</a>' in page


def test_it_lists_patients_to_a_colleague(as_bob, patient):
    assert "Doe, Pat" in as_bob.get("/patients/").content.decode()


def test_it_never_lists_another_clinics_patients(as_charlie, patient, quinn):
    response = as_charlie.get("/patients/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Doe" not in page and "Fox" not in page
    assert "There are no patients yet" in page
    assert "Doe" not in as_charlie.get("/patients/?q=Pat").content.decode()


def test_it_finds_patients_by_first_or_last_name(as_alice, patient, quinn):
    for search in ("pat", "DOE", "Pat Doe", "  doe   pat "):
        page = as_alice.get("/patients/", {"q": search}).content.decode()
        assert "Doe, Pat" in page and "Fox, Quinn" not in page, search

    page = as_alice.get("/patients/", {"q": "Pat Fox"}).content.decode()
    assert "Doe, Pat" not in page and "No patient's name matches" in page


def test_it_copes_with_hostile_searches(as_alice, patient):
    huge = as_alice.get("/patients/", {"q": "x" * 100_000})
    assert huge.status_code == 200 and "Doe, Pat" not in huge.content.decode()

    script = as_alice.get("/patients/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script>alert(1)</script>" not in script and "&lt;script&gt;alert(1)&lt;/script&gt;" in script

    null = as_alice.get("/patients/", {"q": "Pat\x00"})
    assert null.status_code == 200 and "Doe, Pat" not in null.content.decode()

    assert as_alice.get("/patients/", {"page": "abc"}).status_code == 200
    assert as_alice.get("/patients/", {"page": "99999999999999999999"}).status_code == 200


def test_it_audits_who_looked_at_the_list(as_alice, alice, patient):
    as_alice.get("/patients/", {"q": "Doe"})

    entry = AuditEntry.objects.get(user=alice, action=AuditAction.VIEW, object_type="clinic")
    assert entry.detail == "patient list (search: Doe)"


def test_it_keeps_the_list_from_patients_and_anonymous_visitors(as_pat, client, patient):
    assert as_pat.get("/patients/").status_code == 403
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- a new patient -------------------------------------------------------------------------------------


def test_it_shows_the_new_patient_form_with_plain_labels(as_alice):
    page = as_alice.get(NEW).content.decode()

    for field, label in [
        ("first_name", "First name"),
        ("last_name", "Last name"),
        ("date_of_birth", "Date of birth"),
        ("email", "Email"),
        ("phone", "Phone"),
        ("fitzpatrick", "Fitzpatrick skin type"),
        ("notes", "Notes"),
    ]:
        assert f'<label for="id_{field}">{label}</label>' in page
    assert '<button type="submit">Create patient</button>' in page
    assert 'type="date"' in page


def test_it_creates_a_patient_in_the_actors_clinic_and_opens_their_page(as_alice, alice, riverside):
    response = as_alice.post(NEW, details())

    robin = Patient.objects.get(last_name="Reed")
    assert response.status_code == 302 and response["Location"] == f"/patients/{robin.pk}/"
    assert (robin.clinic, robin.created_by, robin.date_of_birth) == (riverside, alice, dt.date(1990, 5, 17))
    assert (robin.fitzpatrick, robin.phone, robin.simulated) == (4, "+44 20 7946 0000", False)
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, patient=robin, user=alice).count() == 1
    page = as_alice.get(response["Location"]).content.decode()
    assert "<h1>Robin Reed</h1>" in page


def test_it_creates_a_stranger_clinics_patient_in_that_clinic_only(as_charlie, harbour):
    as_charlie.post(NEW, details())

    assert Patient.objects.get(last_name="Reed").clinic == harbour


def test_it_creates_a_patient_with_only_the_required_details(as_bob):
    response = as_bob.post(NEW, {"first_name": "Sam", "last_name": "Stone", "date_of_birth": "2001-02-03"})

    sam = Patient.objects.get(last_name="Stone")
    assert response.status_code == 302 and sam.fitzpatrick is None and sam.email == ""


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"date_of_birth": "2999-01-01"}, "The date of birth is in the future."),
        ({"date_of_birth": "1850-01-01"}, "The date of birth is before 1900."),
        ({"date_of_birth": "abc"}, "Enter a valid date."),
        ({"date_of_birth": "99999-01-01"}, "Enter a valid date."),
        ({"date_of_birth": ""}, "This field is required."),
        ({"first_name": "   "}, "This field is required."),
        ({"last_name": "x" * 101}, "Ensure this value has at most 100 characters"),
        ({"email": "not-an-email"}, "Enter a valid email address."),
        ({"fitzpatrick": "7"}, "Select a valid choice."),
        ({"fitzpatrick": "-1"}, "Select a valid choice."),
    ],
)
def test_it_refuses_broken_details_and_says_why(as_alice, changes, message):
    response = as_alice.post(NEW, details(**changes))

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_it_refuses_tomorrow_as_a_date_of_birth(as_alice):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)

    response = as_alice.post(NEW, details(date_of_birth=tomorrow.isoformat()))

    assert response.status_code == 400 and not Patient.objects.exists()


def test_it_shows_script_in_notes_as_text(as_alice):
    as_alice.post(NEW, details(notes="<script>alert('x')</script>", first_name="<b>Rob</b>"))

    robin = Patient.objects.get(last_name="Reed")
    page = as_alice.get(page_of(robin)).content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "<b>Rob</b>" not in page and "&lt;b&gt;Rob&lt;/b&gt;" in page


def test_it_keeps_the_new_patient_form_from_patients_and_anonymous_visitors(as_pat, client, patient):
    assert as_pat.get(NEW).status_code == 403
    assert as_pat.post(NEW, details()).status_code == 403
    response = client.post(NEW, details())
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Patient.objects.filter(last_name="Reed").exists()


# --- the patient's page --------------------------------------------------------------------------------


@pytest.fixture
def full_record(patient: Patient, alice: Any) -> dict[str, Any]:
    today = timezone.localdate()
    consultation = Consultation.objects.create(
        patient=patient, on=today, zones=["forehead"], verdict=Verdict.DEFER, eligible_from=today + dt.timedelta(30)
    )
    plan = TreatmentPlan.objects.create(
        patient=patient,
        consultation=consultation,
        targets=["texture:forehead"],
        start=today,
        plan={
            "targets": [{"concern": "texture", "zones": ["forehead"]}],
            "sessions": [{"number": 1, "date": today.isoformat()}, {"number": 2, "date": "2999-01-01"}],
            "maintenance": {"from": "2999-06-01", "until": "2999-12-01"},
        },
    )
    session = TreatmentSession.objects.create(patient=patient, plan=plan, number=1, on=today, depths={"forehead": 0.3})
    before = make_photo(patient, "a", session=session)
    after = make_photo(patient, "b")
    pending = make_photo(patient, "c", status=JobStatus.QUEUED, quality="")
    rejected = make_photo(patient, "d", quality="reject")
    comparison = Comparison.objects.create(patient=patient, before=before, after=after, status=JobStatus.RUNNING)
    return {
        "consultation": consultation,
        "plan": plan,
        "session": session,
        "photos": [before, after, pending, rejected],
        "comparison": comparison,
    }


def test_it_shows_the_whole_record_on_the_patients_page(as_alice, patient, full_record):
    response = as_alice.get(page_of(patient))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<h1>Pat Doe</h1>" in page and "2 April 1988" in page and "Fitzpatrick type 3" in page
    assert f'href="/patients/{patient.pk}/edit/"' in page
    assert f'href="/consultations/{full_record["consultation"].pk}/"' in page
    assert '<span class="badge defer">Deferred</span>' in page
    assert f'href="/plans/{full_record["plan"].pk}/"' in page and "Uneven texture: Forehead" in page
    assert f'href="/patients/{patient.pk}/consultation/new/">New consultation</a>' in page
    assert f'href="/patients/{patient.pk}/plan/new/">New plan</a>' in page
    assert f'href="/sessions/{full_record["session"].pk}/">Session 1</a>' in page
    assert f'href="/patients/{patient.pk}/sessions/new/">Chart a session</a>' in page
    for photo in full_record["photos"]:
        assert f'<img src="/photos/{photo.pk}/image/"' in page
        assert f'href="/photos/{photo.pk}/"' in page
    assert "Waiting for the worker" in page and "Not usable" in page and "Usable" in page
    assert f'href="/patients/{patient.pk}/photos/upload/">Upload photos</a>' in page
    assert f'href="/patients/{patient.pk}/photos/capture/">Capture with camera</a>' in page
    assert f'href="/comparisons/{full_record["comparison"].pk}/"' in page and "Being measured" in page
    assert "SIMULATED" not in page


def test_it_offers_to_compare_only_usable_photos(as_alice, patient, full_record):
    page = as_alice.get(page_of(patient)).content.decode()

    before, after, pending, rejected = full_record["photos"]
    assert f'action="/patients/{patient.pk}/compare/"' in page
    assert '<select name="before"' in page and '<select name="after"' in page
    assert f'<option value="{before.pk}" selected>' in page and f'<option value="{after.pk}" selected>' in page
    assert f'<option value="{pending.pk}"' not in page and f'<option value="{rejected.pk}"' not in page
    assert '<button type="submit">Compare</button>' in page


def test_it_explains_why_there_is_nothing_to_compare_yet(as_alice, patient):
    make_photo(patient, "a")

    page = as_alice.get(page_of(patient)).content.decode()

    assert '<select name="before"' not in page
    assert "Two usable photos" in page and "No photos yet" not in page


def test_it_marks_a_simulated_record(as_alice, patient):
    Patient.objects.filter(pk=patient.pk).update(simulated=True)

    assert "SIMULATED demo record" in as_alice.get(page_of(patient)).content.decode()


def test_it_says_when_photography_consent_is_missing(as_alice, patient):
    assert "No photography consent" not in as_alice.get(page_of(patient)).content.decode()
    patient.consents.filter(kind=ConsentKind.PHOTOGRAPHY).delete()

    assert "No photography consent is recorded" in as_alice.get(page_of(patient)).content.decode()


def test_it_opens_the_patients_page_to_a_colleague(as_bob, patient):
    assert "<h1>Pat Doe</h1>" in as_bob.get(page_of(patient)).content.decode()


def test_it_answers_404_to_a_stranger_and_records_nothing(as_charlie, patient):
    assert as_charlie.get(page_of(patient)).status_code == 404
    assert as_charlie.get(edit_of(patient)).status_code == 404
    assert as_charlie.post(edit_of(patient), details()).status_code == 404

    patient.refresh_from_db()
    assert patient.first_name == "Pat"
    assert not AuditEntry.objects.exclude(action=AuditAction.REFUSED).filter(patient=patient).exists()


def test_it_keeps_the_staff_page_from_patients_themselves(as_pat, as_quinn, patient):
    assert as_pat.get(page_of(patient)).status_code == 403  # Pat has the portal
    assert as_quinn.get(page_of(patient)).status_code == 403
    assert as_pat.post(edit_of(patient), details()).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, patient):
    for url in (page_of(patient), edit_of(patient)):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_audits_every_look_at_the_patients_page(as_alice, alice, patient):
    as_alice.get(page_of(patient))
    as_alice.get(page_of(patient))

    assert AuditEntry.objects.filter(patient=patient, user=alice, action=AuditAction.VIEW).count() == 2


def test_it_answers_404_for_a_patient_that_does_not_exist(as_alice, patient):
    assert as_alice.get("/patients/999999/").status_code == 404


# --- editing details -----------------------------------------------------------------------------------


def test_it_shows_the_edit_form_filled_in(as_alice, patient):
    page = as_alice.get(edit_of(patient)).content.decode()

    assert 'value="Pat"' in page and 'value="1988-04-02"' in page
    assert '<option value="3" selected>Type 3</option>' in page
    assert "Save details" in page


def test_it_saves_changed_details_and_audits_which_fields_changed(as_bob, bob, patient):
    response = as_bob.post(
        edit_of(patient), details(first_name="Patricia", last_name="Doe", date_of_birth="1988-04-02", fitzpatrick="3")
    )

    assert response.status_code == 302 and response["Location"] == page_of(patient)
    patient.refresh_from_db()
    assert (patient.first_name, patient.email, patient.clinic.name) == (
        "Patricia",
        "robin@example.org",
        "Riverside Skin",
    )
    entry = AuditEntry.objects.get(patient=patient, action=AuditAction.UPDATE)
    assert entry.user == bob
    assert entry.detail == "first_name, email, phone, notes"


def test_it_refuses_a_future_date_of_birth_when_editing(as_alice, patient):
    response = as_alice.post(edit_of(patient), details(date_of_birth="2999-01-01", first_name="Changed"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "The date of birth is in the future." in page
    assert "<h1>Edit details</h1>" in page and "&larr; Pat Doe" in page  # the unsaved name is not shown as saved
    patient.refresh_from_db()
    assert (patient.first_name, patient.date_of_birth) == ("Pat", dt.date(1988, 4, 2))
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_it_writes_nothing_when_nothing_changed(as_alice, patient):
    data = {"first_name": "Pat", "last_name": "Doe", "date_of_birth": "1988-04-02", "email": "pat@example.org"}
    response = as_alice.post(edit_of(patient), {**data, "fitzpatrick": "3", "phone": "", "notes": ""})

    assert response.status_code == 302
    assert not AuditEntry.objects.filter(action=AuditAction.UPDATE).exists()


def test_it_ignores_fields_that_are_not_details(as_alice, patient, harbour):
    as_alice.post(edit_of(patient), {**details(), "clinic": harbour.pk, "simulated": "on", "user": ""})

    patient.refresh_from_db()
    assert patient.clinic.name == "Riverside Skin" and not patient.simulated and patient.user is not None


def test_the_update_action_refuses_what_staff_may_not_change(patient, alice, harbour):
    with pytest.raises(ActionError, match="cannot be changed here: clinic"):
        update_patient(patient, {"clinic": harbour}, by=alice)
