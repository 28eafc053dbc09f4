"""The consultation: the intake questionnaire from the rule book, and the screening verdict it gives."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import Verdict
from dermadelta.clinic.records.models import Consultation
from dermadelta.protocol.rulebook import load_rulebook

ZONES = ["left_cheek", "right_cheek"]


def today() -> dt.date:
    return timezone.localdate(timezone=ZoneInfo("Europe/London"))


def intake(**changes: Any) -> dict[str, Any]:
    """A complete intake with no contraindication (a "go"), changed by ``changes`` (q_ prefix added)."""
    data: dict[str, Any] = {"on": today().isoformat(), "zones": ZONES}
    for question in load_rulebook().questions.values():
        if question.type == "boolean":
            data[f"q_{question.id}"] = "no"
    data.update({"q_age": "35", "q_fitzpatrick": "II", "q_suspicious_lesions": ["none"], "q_sun_exposure": "low"})
    for key, value in changes.items():
        data[key if key in ("on", "zones") else f"q_{key}"] = value
    return data


def new_url(patient: Any) -> str:
    return f"/patients/{patient.pk}/consultation/new/"


def post(client: Any, patient: Any, data: dict[str, Any]) -> Any:
    return client.post(new_url(patient), data)


def recorded(client: Any, patient: Any, **changes: Any) -> Consultation:
    response = post(client, patient, intake(**changes))
    assert response.status_code == 302, response.content.decode()[:3000]
    consultation = Consultation.objects.get(patient=patient)
    assert response["Location"] == f"/consultations/{consultation.pk}/"
    return consultation


# --- who may use the pages ------------------------------------------------------------------------


def test_it_shows_the_questionnaire_built_from_the_rule_book(as_alice, patient):
    response = as_alice.get(new_url(patient))

    assert response.status_code == 200
    page = response.content.decode()
    for question in load_rulebook().questions.values():
        assert f'name="q_{question.id}' in page
    assert "Do you smoke?" in page
    assert 'name="q_filler_or_surgery__left_cheek"' in page  # a date per zone
    assert "unanswered is treated as unknown" in page  # says what unanswered questions do
    assert f'name="on" value="{today().isoformat()}"' in page  # today by default


def test_it_prefills_age_and_skin_type_from_the_record(as_alice, patient):
    page = as_alice.get(new_url(patient)).content.decode()

    born = patient.date_of_birth
    age = today().year - born.year - ((today().month, today().day) < (born.month, born.day))
    assert f'name="q_age" value="{age}"' in page
    assert '<option value="III" selected>' in page  # Pat is Fitzpatrick type 3


def test_it_opens_the_questionnaire_to_a_colleague(as_bob, patient):
    assert as_bob.get(new_url(patient)).status_code == 200
    assert post(as_bob, patient, intake()).status_code == 302


def test_it_hides_the_questionnaire_from_a_stranger(as_charlie, patient):
    assert as_charlie.get(new_url(patient)).status_code == 404
    assert post(as_charlie, patient, intake()).status_code == 404
    assert not Consultation.objects.exists()


def test_it_refuses_the_questionnaire_to_patients(as_pat, patient):
    assert as_pat.get(new_url(patient)).status_code == 403
    assert post(as_pat, patient, intake()).status_code == 403
    assert not Consultation.objects.exists()


def test_it_sends_anonymous_visitors_to_sign_in(client, patient):
    response = client.post(new_url(patient), intake())
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not Consultation.objects.exists()


# --- verdicts -------------------------------------------------------------------------------------


def test_it_says_go_when_every_question_is_answered_without_contraindication(as_alice, patient):
    consultation = recorded(as_alice, patient)

    assert consultation.verdict == Verdict.GO
    assert consultation.zones == ZONES
    assert consultation.answers["age"] == 35 and consultation.answers["smoker"] is False
    assert consultation.answers["suspicious_lesions"] == []
    assert consultation.screening["schema"] == "dermadelta.screening/1"
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'data-verdict="go"' in page and "Suitable" in page
    assert "treatment can go ahead" in page
    assert f'href="/patients/{patient.pk}/plan/new/"' in page


def test_it_says_caution_for_a_history_of_cold_sores(as_alice, patient):
    consultation = recorded(as_alice, patient, hsv_history="yes")

    assert consultation.verdict == Verdict.CAUTION
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'data-verdict="caution"' in page and "Suitable with caution" in page
    assert "History of cold sores" in page
    assert "Alster and Graham, Dermatologic Surgery 2018 (a history of cold sores" in page  # the source, cited
    assert f'href="/patients/{patient.pk}/plan/new/"' in page


def test_it_never_says_go_while_a_screening_question_is_unanswered(as_alice, patient):
    consultation = recorded(as_alice, patient, active_acne="", age="")

    assert consultation.verdict == Verdict.CAUTION
    assert "active_acne" not in consultation.answers and "age" not in consultation.answers
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "Not answered" in page
    assert "Do you have active inflamed acne in the area to be treated?" in page
    assert "2 screening questions not answered (Do you have active inflamed acne" in page
    assert "active_acne" not in page.split("<main", 1)[-1].split("<form")[0]  # the questions, never their codes


def test_it_defers_until_the_laser_washout_is_over(as_alice, patient):
    laser = today() - dt.timedelta(days=5)
    consultation = recorded(as_alice, patient, laser_last=laser.isoformat())

    assert consultation.verdict == Verdict.DEFER
    assert consultation.eligible_from == laser + dt.timedelta(days=14)
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'data-verdict="defer"' in page and "Deferred" in page
    assert "Treatment can start from" in page
    assert (
        f"{consultation.eligible_from:%A} {consultation.eligible_from.day} {consultation.eligible_from:%B %Y}" in page
    )
    until = laser + dt.timedelta(days=14)
    assert f"<td>{until.day} {until:%b %Y}</td>" in page  # the finding's "until"


def test_it_defers_an_active_cold_sore_for_two_weeks(as_alice, patient):
    consultation = recorded(as_alice, patient, active_cold_sore="yes")

    assert consultation.verdict == Verdict.DEFER
    assert consultation.eligible_from == today() + dt.timedelta(days=14)


def test_it_defers_pregnancy_without_a_date(as_alice, patient):
    consultation = recorded(as_alice, patient, pregnant_or_breastfeeding="yes")

    assert consultation.verdict == Verdict.DEFER and consultation.eligible_from is None
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert "reassess in person" in page


def test_it_refers_a_patient_on_blood_thinners_and_offers_no_plan(as_alice, patient):
    consultation = recorded(as_alice, patient, anticoagulants="yes")

    assert consultation.verdict == Verdict.REFER
    page = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert 'data-verdict="refer"' in page and "Refer to a physician" in page
    assert "Blood thinners" in page
    assert "/plan/new/" not in page


def test_it_refers_a_suspicious_mole_only_in_a_treated_zone(as_alice, patient):
    elsewhere = recorded(as_alice, patient, suspicious_lesions=["neck"])
    assert elsewhere.verdict == Verdict.GO
    Consultation.objects.all().delete()

    treated = recorded(as_alice, patient, suspicious_lesions=["left_cheek"])
    assert treated.verdict == Verdict.REFER


def test_it_defers_a_recent_filler_in_a_treated_zone(as_alice, patient):
    filler = today() - dt.timedelta(days=30)
    consultation = recorded(as_alice, patient, filler_or_surgery__left_cheek=filler.isoformat())

    assert consultation.verdict == Verdict.DEFER
    assert consultation.answers["filler_or_surgery"] == {"left_cheek": filler.isoformat()}


def test_it_records_an_earlier_consultation_date(as_alice, patient):
    day = today() - dt.timedelta(days=3)
    consultation = recorded(as_alice, patient, on=day.isoformat())
    assert consultation.on == day


def test_it_audits_the_consultation_and_its_reading(as_alice, alice, patient):
    consultation = recorded(as_alice, patient, hsv_history="yes")
    as_alice.get(f"/consultations/{consultation.pk}/")

    entries = AuditEntry.objects.filter(patient=patient, object_type="consultation", user=alice)
    assert set(entries.values_list("action", flat=True)) == {AuditAction.CREATE, AuditAction.VIEW}


# --- broken and hostile input ---------------------------------------------------------------------


def refused(response: Any) -> str:
    assert response.status_code == 400
    assert not Consultation.objects.exists()
    return response.content.decode()


def test_it_ignores_question_ids_it_does_not_know(as_alice, patient):
    data = intake()
    data.update({"q_made_up": "yes", "made_up": "yes", "answers": '{"made_up": true}'})

    consultation = recorded_from(as_alice, patient, data)

    assert "made_up" not in consultation.answers
    assert set(consultation.answers) <= set(load_rulebook().questions)


def recorded_from(client: Any, patient: Any, data: dict[str, Any]) -> Consultation:
    assert post(client, patient, data).status_code == 302
    return Consultation.objects.get(patient=patient)


def test_the_action_refuses_an_unknown_question(patient, alice):
    with pytest.raises(actions.ActionError, match="unknown intake question 'made_up'"):
        actions.record_consultation(patient, on=today(), zones=ZONES, answers={"made_up": True}, by=alice)
    assert not Consultation.objects.exists()


def test_it_refuses_text_in_a_number_field(as_alice, patient):
    page = refused(post(as_alice, patient, intake(age="thirty-five")))
    assert "Enter a whole number." in page


@pytest.mark.parametrize("age", ["-1", "131", "1" + "0" * 30, "3.5"])
def test_it_refuses_an_impossible_age(as_alice, patient, age):
    refused(post(as_alice, patient, intake(age=age)))


def test_it_refuses_a_consultation_date_in_the_future(as_alice, patient):
    tomorrow = today() + dt.timedelta(days=1)
    page = refused(post(as_alice, patient, intake(on=tomorrow.isoformat())))
    assert "cannot be in the future" in page


@pytest.mark.parametrize("day", ["", "31/02/2024", "2024-02-30", "99999-01-01", "yesterday"])
def test_it_refuses_a_missing_or_malformed_consultation_date(as_alice, patient, day):
    refused(post(as_alice, patient, intake(on=day)))


def test_it_refuses_a_consultation_before_the_patient_was_born(as_alice, patient):
    page = refused(post(as_alice, patient, intake(on="1980-01-01")))
    assert "before the patient&#x27;s date of birth" in page


def test_it_refuses_a_last_dose_after_the_consultation(as_alice, patient):
    later = today() + dt.timedelta(days=10)
    page = refused(post(as_alice, patient, intake(isotretinoin_last_dose=later.isoformat())))
    assert "after the consultation date" in page


def test_it_refuses_zones_that_do_not_exist(as_alice, patient):
    page = refused(post(as_alice, patient, intake(zones=["left_cheek", "mars"])))
    assert "mars is not one of the available choices" in page
    refused(post(as_alice, patient, intake(suspicious_lesions=["elbow"])))
    refused(post(as_alice, patient, intake(filler_or_surgery__elbow="2020-01-01", zones=[])))


def test_it_needs_at_least_one_zone_to_treat(as_alice, patient):
    page = refused(post(as_alice, patient, intake(zones=[])))
    assert "Tick at least one zone to treat." in page


def test_it_refuses_none_together_with_zones(as_alice, patient):
    page = refused(post(as_alice, patient, intake(suspicious_lesions=["none", "nose"])))
    assert "Tick either" in page


def test_it_refuses_a_choice_that_is_not_offered_and_escapes_it(as_alice, patient):
    page = refused(post(as_alice, patient, intake(fitzpatrick="<script>alert(1)</script>", smoker="maybe")))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_survives_ten_thousand_characters_anywhere(as_alice, patient):
    huge = "x" * 10_000
    refused(post(as_alice, patient, intake(age=huge, fitzpatrick=huge, laser_last=huge)))
    consultation = recorded_from(as_alice, patient, {**intake(), "notes": huge, "q_notes": huge})
    assert huge not in json.dumps(consultation.answers)


# --- the consultation page -------------------------------------------------------------------------


@pytest.fixture
def consultation(patient: Any, alice: Any) -> Consultation:
    return actions.record_consultation(
        patient, on=today(), zones=ZONES, answers={"hsv_history": True, "age": 40}, by=alice
    )


def test_it_shows_the_consultation_to_a_colleague(as_bob, consultation):
    response = as_bob.get(f"/consultations/{consultation.pk}/")
    assert response.status_code == 200
    assert "Left cheek, Right cheek" in response.content.decode()


def test_it_hides_the_consultation_from_a_stranger(as_charlie, consultation):
    assert as_charlie.get(f"/consultations/{consultation.pk}/").status_code == 404
    assert as_charlie.get(f"/consultations/{consultation.pk}/?format=fhir").status_code == 404


def test_it_keeps_the_consultation_page_for_staff(as_pat, as_quinn, consultation):
    assert as_pat.get(f"/consultations/{consultation.pk}/").status_code == 403
    assert as_quinn.get(f"/consultations/{consultation.pk}/").status_code == 403


def test_it_sends_anonymous_visitors_of_a_consultation_to_sign_in(client, consultation):
    response = client.get(f"/consultations/{consultation.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_it_answers_404_for_a_consultation_that_does_not_exist(as_alice, consultation):
    assert as_alice.get(f"/consultations/{consultation.pk + 1000}/").status_code == 404


def test_it_exports_the_intake_as_a_fhir_questionnaire_response(as_alice, alice, consultation):
    response = as_alice.get(f"/consultations/{consultation.pk}/?format=fhir")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    assert "attachment" in response["Content-Disposition"]
    resource = json.loads(response.content)
    assert resource["resourceType"] == "QuestionnaireResponse"
    answered = {item["linkId"] for item in resource["item"]}
    assert {"treatment_zones", "hsv_history", "age"} <= answered
    assert AuditEntry.objects.filter(
        user=alice, action=AuditAction.DOWNLOAD, object_type="consultation", object_id=str(consultation.pk)
    ).exists()


def test_the_exported_intake_is_authored_on_the_consultation_day(as_alice, alice, patient):
    """A consultation typed in days later was still answered on its own day."""
    earlier = today() - dt.timedelta(days=3)
    consultation = actions.record_consultation(patient, on=earlier, zones=ZONES, answers={"age": 40}, by=alice)

    resource = json.loads(as_alice.get(f"/consultations/{consultation.pk}/?format=fhir").content)

    assert resource["authored"] == earlier.isoformat()


def test_it_explains_an_empty_submission(as_alice, patient):
    page = refused(as_alice.post(new_url(patient), {}))
    assert "This field is required." in page and "Tick at least one zone to treat." in page
