"""The intake shortcuts: "None of these apply" per section, and "Never" on date questions."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import Verdict
from dermadelta.clinic.records.models import Consultation
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import parse_intake, screen
from tests.clinic.test_consultation import ZONES, intake, new_url, today

BOOK = load_rulebook()
DATE_QUESTIONS = [q.id for q in BOOK.questions.values() if q.type in ("date", "zone_dates")]


def visit() -> dict[str, Any]:
    """What the practitioner fills in by hand: the visit, and the one choice no shortcut can answer."""
    return {"on": today().isoformat(), "zones": ZONES, "q_sun_exposure": "low"}


def sections_on(page: str) -> list[str]:
    return re.findall(r'name="none_apply" value="([^"]+)"', page)


def none_apply(client: Any, patient: Any, data: dict[str, Any], section: str) -> Any:
    return client.post(new_url(patient), {**data, "none_apply": section})


def shown(response: Any) -> dict[str, Any]:
    """The answers the re-shown form holds, as the next submission sends them."""
    data = dict(response.context["form"].data.lists())
    data.pop("none_apply", None)
    data.pop("csrfmiddlewaretoken", None)
    return {k: v if len(v) > 1 or k == "zones" else v[0] for k, v in data.items()}


def card(page: str) -> str:
    """The "Not answered" card of a consultation page, or "" when it is not shown."""
    match = re.search(r"<h2>Not answered</h2>(.*?)</section>", page, re.S)
    return match.group(1) if match else ""


def test_one_click_per_section_gives_a_complete_healthy_intake(as_alice, patient):
    page = as_alice.get(new_url(patient)).content.decode()
    sections = sections_on(page)
    assert len(sections) >= 4 and len(set(sections)) == len(sections)
    data = {**visit(), "q_age": "35", "q_fitzpatrick": "II"}  # as the record pre-fills them

    for section in sections:
        response = none_apply(as_alice, patient, data, section)
        assert response.status_code == 200
        assert "Please correct" not in response.content.decode()  # nothing judged before recording
        data = shown(response)
    assert not Consultation.objects.exists()  # a shortcut records nothing
    response = as_alice.post(new_url(patient), data)

    assert response.status_code == 302, response.content.decode()[:3000]
    consultation = Consultation.objects.get(patient=patient)
    assert consultation.verdict == Verdict.GO
    for question in BOOK.questions.values():
        if question.type == "boolean":
            assert consultation.answers[question.id] is False
        elif question.type in ("date", "zone_dates"):
            assert question.id in consultation.answers and consultation.answers[question.id] is None
    assert consultation.answers["suspicious_lesions"] == []
    detail = as_alice.get(f"/consultations/{consultation.pk}/").content.decode()
    assert card(detail) == "" and "Not answered" not in detail
    assert "<td>Never</td>" in detail


def test_the_shortcut_keeps_the_answers_already_given(as_alice, patient):
    laser = today() - dt.timedelta(days=400)
    filler = today() - dt.timedelta(days=500)
    given = {
        **visit(),
        "q_age": "35",
        "q_fitzpatrick": "II",
        "q_hsv_history": "yes",
        "q_smoker": "yes",
        "q_suspicious_lesions": ["nose"],
        "q_laser_last": laser.isoformat(),
        "q_filler_or_surgery__left_cheek": filler.isoformat(),
        "q_keloid_history": "maybe",  # not an answer the form offers: kept, and refused on recording
    }
    data = dict(given)
    for section in sections_on(as_alice.get(new_url(patient)).content.decode()):
        data = shown(none_apply(as_alice, patient, data, section))

    assert data["q_hsv_history"] == "yes" and data["q_smoker"] == "yes"
    assert data["q_suspicious_lesions"] == "nose"
    assert data["q_laser_last"] == laser.isoformat() and "never_laser_last" not in data
    assert data["q_filler_or_surgery__left_cheek"] == filler.isoformat() and "never_filler_or_surgery" not in data
    assert data["q_keloid_history"] == "maybe"
    assert data["q_active_acne"] == "no" and data["never_isotretinoin_last_dose"] == "on"

    refused = as_alice.post(new_url(patient), data)
    assert refused.status_code == 400 and not Consultation.objects.exists()
    data["q_keloid_history"] = "no"
    assert as_alice.post(new_url(patient), data).status_code == 302
    consultation = Consultation.objects.get(patient=patient)
    assert consultation.answers["hsv_history"] is True and consultation.answers["laser_last"] == laser.isoformat()
    assert consultation.answers["filler_or_surgery"] == {"left_cheek": filler.isoformat()}
    assert consultation.verdict == Verdict.CAUTION  # the cold sores, not an unanswered question
    assert all(f["rule"] != "unanswered_questions" for f in consultation.screening["findings"])


def test_the_shortcut_answers_only_its_own_section(as_alice, patient):
    response = none_apply(as_alice, patient, visit(), "allergies")

    assert response.status_code == 200
    data = shown(response)
    assert data["q_allergy_stainless_steel"] == "no" and data["q_allergy_topical_anaesthetic"] == "no"
    assert "q_active_acne" not in data and "never_laser_last" not in data
    page = response.content.decode()
    assert 'id="section-allergies"' in page and "check them with the patient" in page
    assert page.count("check them with the patient") == 1


def test_enter_in_a_field_records_rather_than_answering_a_section(as_alice, patient):
    page = as_alice.get(new_url(patient)).content.decode()
    form = page[page.index('<form method="post" class="consult"') :]
    first_button = re.search(r"<button[^>]*>", form)
    assert first_button is not None and "none_apply" not in first_button.group(0)


@pytest.mark.parametrize("section", ["made_up", "", "<script>alert(1)</script>", "x" * 10_000])
def test_it_refuses_a_section_that_does_not_exist_and_keeps_the_answers(as_alice, patient, section):
    response = none_apply(as_alice, patient, {**visit(), "q_hsv_history": "yes"}, section)

    assert response.status_code == 400
    page = response.content.decode()
    assert "That part of the questionnaire does not exist" in page
    assert "<script>alert(1)</script>" not in page
    assert shown(response)["q_hsv_history"] == "yes"
    assert re.search(r'value="yes"[^>]*id="id_q_hsv_history_1" checked', page)  # still ticked on the page
    assert not Consultation.objects.exists()


def test_it_refuses_a_never_tick_on_a_question_that_is_not_a_date(as_alice, patient):
    for forged in ("never_smoker", "never_made_up", "never_"):
        response = as_alice.post(new_url(patient), {**intake(), forged: "on"})
        assert response.status_code == 400
        assert "'Never' can only be ticked for a question asking when something last happened" in (
            response.content.decode().replace("&#x27;", "'")
        )
    assert not Consultation.objects.exists()


@pytest.mark.parametrize(
    "both",
    [
        {"laser_last": "2020-05-01", "never": "laser_last"},
        {"filler_or_surgery__chin": "2020-05-01", "never": "filler_or_surgery"},
    ],
)
def test_it_refuses_a_date_together_with_never(as_alice, patient, both):
    never = both.pop("never")
    response = as_alice.post(new_url(patient), {**intake(**both), f"never_{never}": "on"})

    assert response.status_code == 400
    assert "Give either a date or tick &#x27;Never&#x27;, not both." in response.content.decode()
    assert not Consultation.objects.exists()


def test_the_card_lists_only_the_questions_nobody_answered(as_alice, patient):
    ticked = DATE_QUESTIONS[:2]
    left_open = DATE_QUESTIONS[2:]
    data = {**intake(active_acne=""), **{f"never_{q}": "on" for q in ticked}}
    assert as_alice.post(new_url(patient), data).status_code == 302
    consultation = Consultation.objects.get(patient=patient)

    listed = card(as_alice.get(f"/consultations/{consultation.pk}/").content.decode())
    assert "Do you have active inflamed acne in the area to be treated?" in listed
    for question in left_open:
        assert BOOK.questions[question].text in listed
    for question in ticked:
        assert BOOK.questions[question].text not in listed
    assert "Do you smoke?" not in listed  # answered "No"
    assert listed.count("<li>") == 1 + len(left_open)


def test_date_questions_left_empty_keep_a_suitable_verdict_but_stay_listed(as_alice, patient):
    assert as_alice.post(new_url(patient), intake()).status_code == 302
    consultation = Consultation.objects.get(patient=patient)

    assert consultation.verdict == Verdict.GO  # an empty date still reads as "never" for the verdict
    listed = card(as_alice.get(f"/consultations/{consultation.pk}/").content.decode())
    assert all(BOOK.questions[q].text in listed for q in DATE_QUESTIONS)


def test_the_screening_library_reads_a_confirmed_never_as_it_always_did(patient, alice):
    """API and command line: an empty date is "never" and still listed among the unanswered in the JSON."""
    answers = {"laser_last": None, "filler_or_surgery": None, "hsv_history": False}
    intake_ = parse_intake({"answers": answers}, on=today(), zones=ZONES)
    assert "laser_last" not in intake_.answers
    assert "laser_last" in screen(intake_).unanswered

    consultation = actions.record_consultation(patient, on=today(), zones=ZONES, answers=answers, by=alice)
    assert consultation.answers["laser_last"] is None
    assert {"laser_last", "filler_or_surgery"} <= set(consultation.screening["unanswered"])


def test_a_confirmed_never_exports_to_fhir(as_alice, patient):
    data = {**intake(), **{f"never_{q}": "on" for q in DATE_QUESTIONS}}
    assert as_alice.post(new_url(patient), data).status_code == 302
    consultation = Consultation.objects.get(patient=patient)

    assert as_alice.get(f"/consultations/{consultation.pk}/?format=fhir").status_code == 200


def test_the_shortcut_is_closed_to_strangers_and_patients(as_charlie, as_pat, patient):
    assert none_apply(as_charlie, patient, visit(), "skin").status_code == 404
    assert none_apply(as_pat, patient, visit(), "skin").status_code == 403
