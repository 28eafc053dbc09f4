"""The intake questionnaire and the treatment-plan request, built from the rule book.

Each screening question becomes the field its type asks for (yes/no, a whole
number, a date in the past, one choice, zones, a date per zone); every question
may be left unanswered, which the screening reads as unknown, never as a "no".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django import forms

from dermadelta.clinic.records.actions import PlanRequest
from dermadelta.clinic.records.models import Consultation, Patient
from dermadelta.protocol.rulebook import Question, RuleBook

NOT_ANSWERED = ""
YES, NO = "yes", "no"
#: The "none of these zones" answer of a zones question (distinct from not answering it).
NO_ZONE = "none"
EARLIEST_DATE = dt.date(1900, 1, 1)

_DATE_WIDGET = {"type": "date"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs=_DATE_WIDGET)


def question_field_name(question_id: str) -> str:
    return f"q_{question_id}"


def zone_date_field_name(question_id: str, zone_id: str) -> str:
    return f"q_{question_id}__{zone_id}"


def zone_choices(book: RuleBook, zone_ids: Any = None) -> list[tuple[str, str]]:
    return [(z.id, z.label) for z in book.zones.values() if zone_ids is None or z.id in zone_ids]


class ConsultationForm(forms.Form):
    """The consultation date, the zones to treat, and one field per screening question."""

    on = forms.DateField(label="Consultation date", widget=_date_input())
    zones = forms.MultipleChoiceField(
        label="Zones to treat",
        widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
        error_messages={"required": "Tick at least one zone to treat."},
    )

    def __init__(self, *args: Any, book: RuleBook, patient: Patient, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.book, self.patient, self.today = book, patient, today
        self.fields["on"].initial = today
        zones_field = self.fields["zones"]
        assert isinstance(zones_field, forms.MultipleChoiceField)
        zones_field.choices = zone_choices(book)
        for question in book.questions.values():
            if question.type == "zone_dates":
                for zone in book.zones.values():
                    self.fields[zone_date_field_name(question.id, zone.id)] = forms.DateField(
                        label=zone.label, required=False, widget=_date_input()
                    )
            else:
                self.fields[question_field_name(question.id)] = _question_field(question, book)
        self._prefill_from_record()

    def _prefill_from_record(self) -> None:
        """Age and skin type from the patient's record, for the practitioner to confirm."""
        if "age" in self.book.questions and self.book.questions["age"].type == "integer":
            born = self.patient.date_of_birth
            age = self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))
            self.fields[question_field_name("age")].initial = max(age, 0)
        question = self.book.questions.get("fitzpatrick")
        if question is not None and question.type == "choice" and self.patient.fitzpatrick:
            roman = ("I", "II", "III", "IV", "V", "VI")[self.patient.fitzpatrick - 1]
            if roman in question.choices:
                self.fields[question_field_name("fitzpatrick")].initial = roman

    # --- rendering -----------------------------------------------------------------------------

    def questions(self) -> list[dict[str, Any]]:
        """Each question with its bound field(s), in the rule book's order, for the template."""
        rows = []
        for question in self.book.questions.values():
            if question.type == "zone_dates":
                fields = [self[zone_date_field_name(question.id, z)] for z in self.book.zones]
                rows.append({"question": question, "fields": fields, "answered": any(f.value() for f in fields)})
            else:
                rows.append({"question": question, "field": self[question_field_name(question.id)]})
        return rows

    # --- validation ----------------------------------------------------------------------------

    def clean_on(self) -> dt.date:
        day: dt.date = self.cleaned_data["on"]
        if day > self.today:
            raise forms.ValidationError("The consultation date cannot be in the future.")
        if day < self.patient.date_of_birth:
            raise forms.ValidationError("The consultation date is before the patient's date of birth.")
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        on = cleaned.get("on")
        for name, value in list(cleaned.items()):
            if not name.startswith("q_") or not isinstance(value, dt.date):
                continue
            if value < EARLIEST_DATE:
                self.add_error(name, "This date is before 1900.")
            elif on is not None and value > on:
                self.add_error(name, "This date is after the consultation date: give a date in the past.")
        for question in self.book.questions.values():
            name = question_field_name(question.id)
            if question.type == "zones" and NO_ZONE in (cleaned.get(name) or []) and len(cleaned[name]) > 1:
                self.add_error(name, "Tick either 'None' or the zones, not both.")
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The answers as the screening library reads them (JSON-ready); unanswered questions are left out."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for question in self.book.questions.values():
            if question.type == "zone_dates":
                dates = {
                    zone: day.isoformat()
                    for zone in self.book.zones
                    if (day := data.get(zone_date_field_name(question.id, zone))) is not None
                }
                if dates:
                    answers[question.id] = dates
                continue
            value = data.get(question_field_name(question.id))
            if value is None or value == NOT_ANSWERED or value == []:
                continue
            if question.type == "boolean":
                answers[question.id] = value == YES
            elif question.type == "date":
                answers[question.id] = value.isoformat()
            elif question.type == "zones":
                answers[question.id] = [zone for zone in value if zone != NO_ZONE]
            else:
                answers[question.id] = value
        return answers


def _question_field(question: Question, book: RuleBook) -> forms.Field:
    label = question.text
    if question.type == "boolean":
        return forms.ChoiceField(
            label=label,
            required=False,
            choices=[(NOT_ANSWERED, "Not answered"), (YES, "Yes"), (NO, "No")],
            widget=forms.RadioSelect(attrs={"class": "choices"}),
            initial=NOT_ANSWERED,
        )
    if question.type == "integer":
        return forms.IntegerField(label=label, required=False, min_value=0, max_value=130)
    if question.type == "choice":
        return forms.ChoiceField(
            label=label, required=False, choices=[(NOT_ANSWERED, "Not answered"), *((c, c) for c in question.choices)]
        )
    if question.type == "date":
        return forms.DateField(label=label, required=False, widget=_date_input())
    if question.type == "zones":
        return forms.MultipleChoiceField(
            label=label,
            required=False,
            choices=[(NO_ZONE, "None"), *zone_choices(book)],
            widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
            help_text="Tick 'None' when there are none; leave all unticked only if not asked.",
        )
    raise ValueError(f"no form field for question type {question.type!r}")


# --- the treatment plan ----------------------------------------------------------------------------


def concern_field_name(concern_id: str) -> str:
    return f"concern_{concern_id}"


def concern_zones_field_name(concern_id: str) -> str:
    return f"zones_{concern_id}"


def depth_field_name(zone_id: str) -> str:
    return f"depth_{zone_id}"


class PlanForm(forms.Form):
    """Concerns and their zones (among those screened), device, dates, series and depths.

    The start's bounds (not before the consultation, at most a year ahead) are
    :func:`records.actions.create_plan`'s; the view shows its refusal on the field.
    """

    device = forms.ChoiceField(label="Device")
    start = forms.DateField(label="First session on or after", widget=_date_input())
    sessions = forms.IntegerField(
        label="Sessions",
        required=False,
        min_value=1,
        max_value=12,
        help_text="Leave empty for the usual number for these concerns.",
    )
    interval_weeks = forms.IntegerField(
        label="Weeks between sessions",
        required=False,
        min_value=1,
        max_value=26,
        help_text="Leave empty for the shortest safe interval for these concerns.",
    )
    conservative = forms.BooleanField(
        label="Conservative depths (lower half of each range)",
        required=False,
        help_text="Always applied when the screening asks for it (e.g. Fitzpatrick IV-VI).",
    )

    def __init__(self, *args: Any, book: RuleBook, consultation: Consultation, today: dt.date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.book, self.consultation, self.today = book, consultation, today
        screened = [z for z in consultation.zones if z in book.zones]
        self.screened = screened
        device = self.fields["device"]
        assert isinstance(device, forms.ChoiceField)
        device.choices = [(d.id, f"{d.label} (up to {d.max_mm} mm)") for d in book.devices.values()]
        self.fields["start"].initial = max(today, consultation.eligible_from or today)
        self.concern_ids: list[str] = []
        for concern in book.concerns.values():
            zones = [z for z in concern.zones if z in screened]
            if not zones:
                continue
            self.concern_ids.append(concern.id)
            self.fields[concern_field_name(concern.id)] = forms.BooleanField(label=concern.label, required=False)
            self.fields[concern_zones_field_name(concern.id)] = forms.MultipleChoiceField(
                label=f"Zones for {concern.label.lower()}",
                required=False,
                choices=zone_choices(book, zones),
                widget=forms.CheckboxSelectMultiple(attrs={"class": "choices"}),
                initial=zones,
            )
        for zone_id in screened:
            zone = book.zones[zone_id]
            self.fields[depth_field_name(zone_id)] = forms.FloatField(
                label=f"{zone.label} (range {zone.min_mm}-{zone.max_mm} mm)",
                required=False,
                widget=forms.NumberInput(attrs={"step": "0.05", "min": "0.05", "max": f"{zone.max_mm}"}),
            )

    # --- rendering -----------------------------------------------------------------------------

    def concern_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "concern": self.book.concerns[c],
                "tick": self[concern_field_name(c)],
                "zones": self[concern_zones_field_name(c)],
            }
            for c in self.concern_ids
        ]

    def depth_fields(self) -> list[forms.BoundField]:
        return [self[depth_field_name(z)] for z in self.screened]

    # --- validation ----------------------------------------------------------------------------

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        chosen = [c for c in self.concern_ids if cleaned.get(concern_field_name(c))]
        if not chosen:
            raise forms.ValidationError("Tick at least one concern to treat.")
        for concern_id in chosen:
            name = concern_zones_field_name(concern_id)
            if name in cleaned and not cleaned[name]:
                self.add_error(name, f"Tick at least one zone for {self.book.concerns[concern_id].label.lower()}.")
        return cleaned

    def targets(self) -> tuple[str, ...]:
        """``CONCERN:ZONE,ZONE`` specs of the ticked concerns."""
        data = self.cleaned_data
        return tuple(
            f"{c}:{','.join(data[concern_zones_field_name(c)])}"
            for c in self.concern_ids
            if data.get(concern_field_name(c))
        )

    def depths(self) -> Mapping[str, float]:
        data = self.cleaned_data
        return {z: float(data[depth_field_name(z)]) for z in self.screened if data.get(depth_field_name(z)) is not None}

    def plan_request(self) -> PlanRequest:
        data = self.cleaned_data
        return PlanRequest(
            targets=self.targets(),
            start=data["start"],
            device=data["device"],
            sessions=data.get("sessions"),
            interval_weeks=data.get("interval_weeks"),
            depth_mm=self.depths(),
            conservative=bool(data.get("conservative")),
        )
