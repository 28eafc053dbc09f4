"""The intake questionnaire and the treatment-plan request, built from the rule book.

Each screening question becomes the field its type asks for (yes/no, a whole
number, a date in the past, one choice, zones, a date per zone); every question
may be left unanswered, which the screening reads as unknown, never as a "no".
A date question also has a "Never" tick: the practitioner's confirmation, stored
as an empty answer (which the screening reads as "never"), so that only dates
nobody asked about are listed as not answered. The questions are shown in
sections, each with a "None of these apply" shortcut.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.forms.utils import ErrorDict
from django.http import QueryDict

from dermadelta.clinic.records.actions import PlanRequest
from dermadelta.clinic.records.models import Consultation, Patient
from dermadelta.protocol.rulebook import Question, RuleBook
from dermadelta.protocol.screening import EMPTY_MEANS_NEVER

NOT_ANSWERED = ""
YES, NO = "yes", "no"
#: The "none of these zones" answer of a zones question (distinct from not answering it).
NO_ZONE = "none"
EARLIEST_DATE = dt.date(1900, 1, 1)
#: The name of the "None of these apply" buttons; each one's value is its section's id.
NONE_APPLY = "none_apply"
_NEVER_PREFIX = "never_"


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    questions: tuple[str, ...]


#: How the questionnaire is grouped on the page; a rule-book question named in none of these is shown under
#: "Other questions", so a new question is never left off the form.
SECTIONS = (
    Section(
        "about", "About the patient", ("age", "fitzpatrick", "pregnant_or_breastfeeding", "smoker", "sun_exposure")
    ),
    Section(
        "skin",
        "The skin today",
        (
            "active_infection",
            "active_cold_sore",
            "active_acne",
            "dermatosis_flare",
            "sunburn_last",
            "suspicious_lesions",
        ),
    ),
    Section(
        "health",
        "Health and medicines",
        (
            "hsv_history",
            "keloid_history",
            "anticoagulants",
            "bleeding_disorder",
            "uncontrolled_diabetes",
            "isotretinoin_last_dose",
            "chemo_or_radiotherapy_last",
        ),
    ),
    Section("allergies", "Allergies", ("allergy_stainless_steel", "allergy_topical_anaesthetic")),
    Section(
        "treatments",
        "Earlier treatments",
        ("chemical_peel_last", "laser_last", "neuromodulator_last", "filler_or_surgery"),
    ),
)
OTHER_SECTION = Section("other", "Other questions", ())

_DATE_WIDGET = {"type": "date"}


def _date_input() -> forms.DateInput:
    return forms.DateInput(format="%Y-%m-%d", attrs=_DATE_WIDGET)


def question_field_name(question_id: str) -> str:
    return f"q_{question_id}"


def zone_date_field_name(question_id: str, zone_id: str) -> str:
    return f"q_{question_id}__{zone_id}"


def never_field_name(question_id: str) -> str:
    return f"{_NEVER_PREFIX}{question_id}"


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

    def __init__(
        self,
        *args: Any,
        book: RuleBook,
        patient: Patient,
        today: dt.date,
        check: bool = True,
        filled: str = "",
        **kwargs: Any,
    ) -> None:
        """``check=False`` re-shows the answers as given without judging them (after a shortcut, before
        the practitioner is done); ``filled`` names the section a shortcut just filled in."""
        super().__init__(*args, **kwargs)
        self.book, self.patient, self.today = book, patient, today
        self.check, self.filled = check, filled
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
            if question.type in EMPTY_MEANS_NEVER:
                self.fields[never_field_name(question.id)] = forms.BooleanField(
                    label="Never", label_suffix="", required=False
                )
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

    def sections(self) -> list[Section]:
        """The sections that hold at least one of the rule book's questions, each with only those."""
        placed = {q for section in SECTIONS for q in section.questions}
        other = Section(OTHER_SECTION.id, OTHER_SECTION.title, tuple(q for q in self.book.questions if q not in placed))
        shown = [
            Section(s.id, s.title, tuple(q for q in s.questions if q in self.book.questions))
            for s in (*SECTIONS, other)
        ]
        return [s for s in shown if s.questions]

    def section_rows(self) -> list[dict[str, Any]]:
        """Each section with its questions' bound fields, for the template."""
        return [
            {
                "section": s,
                "rows": [self._row(self.book.questions[q]) for q in s.questions],
                "filled": s.id == self.filled,
            }
            for s in self.sections()
        ]

    def _row(self, question: Question) -> dict[str, Any]:
        row: dict[str, Any] = {"question": question}
        if question.type in EMPTY_MEANS_NEVER:
            row["never"] = self[never_field_name(question.id)]
        if question.type == "zone_dates":
            fields = [self[zone_date_field_name(question.id, z)] for z in self.book.zones]
            row.update(fields=fields, answered=any(f.value() for f in fields))
        else:
            row["field"] = self[question_field_name(question.id)]
        return row

    # --- the "None of these apply" shortcut ---------------------------------------------------------

    def none_apply(self, section_id: str) -> QueryDict:
        """The submitted answers with every unanswered question of the section answered "none":
        yes/no questions "No", zones "None", dates "Never". Answers already given are kept as they are.
        """
        section = next(s for s in self.sections() if s.id == section_id)
        data = self.data.copy() if isinstance(self.data, QueryDict) else QueryDict(mutable=True)
        for question_id in section.questions:
            question = self.book.questions[question_id]
            name = question_field_name(question_id)
            if question.type == "boolean" and not data.get(name):
                data[name] = NO
            elif question.type == "zones" and not any(data.getlist(name)):
                data.setlist(name, [NO_ZONE])
            elif (
                question.type in EMPTY_MEANS_NEVER
                and not self._date_given(data, question)
                and not data.get(never_field_name(question_id))
            ):
                data[never_field_name(question_id)] = "on"
        return data

    def _date_given(self, data: Mapping[str, Any], question: Question) -> bool:
        if question.type == "zone_dates":
            return any(data.get(zone_date_field_name(question.id, z)) for z in self.book.zones)
        return bool(data.get(question_field_name(question.id)))

    # --- validation ----------------------------------------------------------------------------

    def full_clean(self) -> None:
        if self.check:
            super().full_clean()
        else:  # answers re-shown after a shortcut: nothing is judged until the practitioner records them
            self._errors, self.cleaned_data = ErrorDict(), {}

    def is_valid(self) -> bool:
        return self.check and super().is_valid()

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
            if question.type in EMPTY_MEANS_NEVER and cleaned.get(never_field_name(question.id)):
                if self._date_given(self.data, question):
                    self.add_error(never_field_name(question.id), "Give either a date or tick 'Never', not both.")
        # The page offers "Never" on date questions only: a tick anywhere else is not the form's.
        date_questions = {q.id for q in self.book.questions.values() if q.type in EMPTY_MEANS_NEVER}
        if any(k.startswith(_NEVER_PREFIX) and k[len(_NEVER_PREFIX) :] not in date_questions for k in self.data):
            raise forms.ValidationError(
                "'Never' can only be ticked for a question asking when something last happened. Nothing was recorded."
            )
        return cleaned

    def answers(self) -> dict[str, Any]:
        """The answers as the screening library reads them (JSON-ready); unanswered questions are left out."""
        data = self.cleaned_data
        answers: dict[str, Any] = {}
        for question in self.book.questions.values():
            if question.type in EMPTY_MEANS_NEVER and data.get(never_field_name(question.id)):
                answers[question.id] = None  # a confirmed "never", stored empty: how the screening reads "never"
                continue
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
