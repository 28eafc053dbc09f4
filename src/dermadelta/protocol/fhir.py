"""The intake questionnaire as FHIR R4 ``Questionnaire`` and answers as ``QuestionnaireResponse``.

Both are built from the same data the screening reads (``rules/screening.toml``)
and validated with the ``fhir.resources`` R4B models (R4B keeps R4's
Questionnaire and QuestionnaireResponse structure).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from dermadelta.protocol.rulebook import Question, RuleBook, load_rulebook
from dermadelta.protocol.screening import Intake

QUESTIONNAIRE_URL = "urn:dermadelta:questionnaire:microneedling-intake"
ZONE_SYSTEM = "urn:dermadelta:zone"
CHOICE_SYSTEM = "urn:dermadelta:answer"
#: The extra first item: which zones are to be treated.
ZONES_LINK_ID = "treatment_zones"


class PhotoMode(StrEnum):
    """How an export carries a photo: the image itself inside the file, or its absolute address.

    Here (with no Django in it) so that the settings can refuse an unknown value at start-up.
    """

    EMBED = "embed"
    URL = "url"


def photo_mode(value: str, *, name: str = "photo mode") -> PhotoMode:
    """``value`` as a :class:`PhotoMode`; ValueError in plain words when it is none of them."""
    try:
        return PhotoMode(value.strip().lower())
    except ValueError:
        raise ValueError(
            f"{name}={value!r} is not a way to send photos: use embed (the photos inside the file) "
            "or url (their addresses, which need a staff sign-in)"
        ) from None


def _zone_options(book: RuleBook) -> list[dict[str, Any]]:
    return [{"valueCoding": {"system": ZONE_SYSTEM, "code": z.id, "display": z.label}} for z in book.zones.values()]


def _item(question: Question, book: RuleBook) -> dict[str, Any]:
    base: dict[str, Any] = {"linkId": question.id, "text": question.text}
    if question.type in ("boolean", "date", "integer"):
        return {**base, "type": question.type}
    if question.type == "choice":
        options = [{"valueCoding": {"system": CHOICE_SYSTEM, "code": c, "display": c}} for c in question.choices]
        return {**base, "type": "choice", "answerOption": options}
    if question.type == "zones":
        return {**base, "type": "choice", "repeats": True, "answerOption": _zone_options(book)}
    return {
        **base,
        "type": "group",
        "repeats": True,
        "item": [
            {
                "linkId": f"{question.id}.zone",
                "text": "Zone",
                "type": "choice",
                "answerOption": _zone_options(book),
            },
            {"linkId": f"{question.id}.date", "text": "Date of the last one", "type": "date"},
        ],
    }


def questionnaire(*, rules: RuleBook | None = None) -> dict[str, Any]:
    """The intake questionnaire as a validated FHIR R4 ``Questionnaire`` (JSON dict)."""
    from fhir.resources.R4B.questionnaire import Questionnaire

    book = rules or load_rulebook()
    zones_item = {
        "linkId": ZONES_LINK_ID,
        "text": "Which zones are to be treated?",
        "type": "choice",
        "repeats": True,
        "required": True,
        "answerOption": _zone_options(book),
    }
    resource = {
        "resourceType": "Questionnaire",
        "url": QUESTIONNAIRE_URL,
        "name": "MicroneedlingIntake",
        "title": "Microneedling consultation and suitability screening",
        "status": "active",
        "item": [zones_item, *(_item(q, book) for q in book.questions.values())],
    }
    return _validated(Questionnaire, resource)


def _answer(question: Question, value: Any) -> list[dict[str, Any]]:
    if question.type == "boolean":
        return [{"valueBoolean": value}]
    if question.type == "integer":
        return [{"valueInteger": value}]
    if question.type == "date":
        return [{"valueDate": value.isoformat()}]
    if question.type == "choice":
        return [{"valueCoding": {"system": CHOICE_SYSTEM, "code": value}}]
    return [{"valueCoding": {"system": ZONE_SYSTEM, "code": zone}} for zone in value]


def questionnaire_response(intake: Intake, *, authored: dt.date, rules: RuleBook | None = None) -> dict[str, Any]:
    """A parsed intake as a validated FHIR R4 ``QuestionnaireResponse`` (JSON dict).

    ``authored``: when the answers were given, a day (the consultation's) or a moment.
    """
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    book = rules or load_rulebook()
    items: list[dict[str, Any]] = [
        {
            "linkId": ZONES_LINK_ID,
            "answer": _answer(Question(ZONES_LINK_ID, "", "zones"), intake.zones),
        }
    ]
    for question in book.questions.values():
        if question.id not in intake.answers:
            continue
        value = intake.answers[question.id]
        if question.type != "zone_dates":
            items.append({"linkId": question.id, "answer": _answer(question, value)})
            continue
        assert isinstance(value, dict)
        for zone, day in value.items():
            items.append(
                {
                    "linkId": question.id,
                    "item": [
                        {
                            "linkId": f"{question.id}.zone",
                            "answer": [{"valueCoding": {"system": ZONE_SYSTEM, "code": zone}}],
                        },
                        {
                            "linkId": f"{question.id}.date",
                            "answer": [{"valueDate": day.isoformat()}],
                        },
                    ],
                }
            )
    resource = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": QUESTIONNAIRE_URL,
        "status": "completed",
        "authored": authored.isoformat(),
        "item": items,
    }
    return _validated(QuestionnaireResponse, resource)


def _validated(model: Any, resource: dict[str, Any]) -> dict[str, Any]:
    """Round-trip through the FHIR model so that an invalid resource fails here, not downstream."""
    validated: dict[str, Any] = model.model_validate(resource).model_dump(mode="json", exclude_none=True)
    return validated
