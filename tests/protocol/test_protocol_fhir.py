"""FHIR export: the questionnaire and answers validate as R4 resources built from the same data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from dermadelta.protocol.fhir import QUESTIONNAIRE_URL, PhotoMode, photo_mode, questionnaire, questionnaire_response
from dermadelta.protocol.rulebook import load_rulebook
from dermadelta.protocol.screening import parse_intake


def test_the_questionnaire_asks_every_screening_question() -> None:
    resource = questionnaire()
    Questionnaire.model_validate(resource)
    link_ids = [item["linkId"] for item in resource["item"]]
    assert link_ids == ["treatment_zones", *load_rulebook().questions]
    fitz = next(i for i in resource["item"] if i["linkId"] == "fitzpatrick")
    assert [o["valueCoding"]["code"] for o in fitz["answerOption"]] == [
        "I",
        "II",
        "III",
        "IV",
        "V",
        "VI",
    ]
    filler = next(i for i in resource["item"] if i["linkId"] == "filler_or_surgery")
    assert filler["type"] == "group" and filler["repeats"] is True


def test_answers_export_as_a_valid_questionnaire_response() -> None:
    intake = parse_intake(
        {
            "date": "2027-01-10",
            "zones": ["left_cheek"],
            "answers": {
                "age": 30,
                "fitzpatrick": "IV",
                "hsv_history": False,
                "isotretinoin_last_dose": "2026-08-31",
                "suspicious_lesions": ["nose"],
                "filler_or_surgery": {"left_cheek": "2026-10-01", "chin": "2026-06-01"},
            },
        }
    )
    resource = questionnaire_response(intake, authored=dt.datetime(2027, 1, 10, 9, tzinfo=dt.UTC))
    QuestionnaireResponse.model_validate(resource)
    assert resource["questionnaire"] == QUESTIONNAIRE_URL
    items: dict[str, list[dict[str, Any]]] = {}
    for item in resource["item"]:
        items.setdefault(item["linkId"], []).append(item)
    assert items["age"][0]["answer"] == [{"valueInteger": 30}]
    assert items["hsv_history"][0]["answer"] == [{"valueBoolean": False}]
    assert items["isotretinoin_last_dose"][0]["answer"] == [{"valueDate": "2026-08-31"}]
    assert len(items["filler_or_surgery"]) == 2


def test_a_photo_mode_is_read_whatever_its_case_and_an_unknown_one_is_refused_by_name() -> None:
    assert photo_mode(" URL ") is PhotoMode.URL
    assert photo_mode("embed") is PhotoMode.EMBED
    with pytest.raises(ValueError, match=r"^SETTING='base64' is not a way to send photos: use embed"):
        photo_mode("base64", name="SETTING")


def test_answers_may_be_authored_on_a_day() -> None:
    intake = parse_intake({"date": "2027-01-10", "zones": ["chin"], "answers": {}})

    resource = questionnaire_response(intake, authored=dt.date(2027, 1, 10))

    QuestionnaireResponse.model_validate(resource)
    assert resource["authored"] == "2027-01-10"
