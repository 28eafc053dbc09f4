"""What the API takes and gives, declared once: ninja validates requests and writes the OpenAPI document from these.

Inputs refuse fields they do not know and values of the wrong JSON type (a
number in quotes is not a number). Business rules are not repeated here: the
models' ``clean()`` and the actions apply them and say why they refuse.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, TypeVar

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BeforeValidator, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from dermadelta.clinic.records.actions import MAX_OVERRIDE_REASON
from dermadelta.clinic.records.choices import ConsentKind, Endpoint, View
from dermadelta.clinic.records.models import (
    MAX_ID,
    MAX_NUMBING_MINUTES,
    MAX_PASSES,
    MAX_SESSION_NUMBER,
    Comparison,
    Photo,
)
from dermadelta.clinic.records.photofiles import without_camera
from dermadelta.protocol.charting import CODES

MAX_OFFSET = 1_000_000_000

T = TypeVar("T")


def _text_only(value: object) -> object:
    # Pydantic would read a bare number as seconds since 1970; a date must be written as one.
    if not isinstance(value, str | dt.date):
        raise ValueError("give the date as text, YYYY-MM-DD")
    return value


#: An ISO 8601 date (``YYYY-MM-DD``), as text.
IsoDate = Annotated[dt.date, BeforeValidator(_text_only)]
#: A needle depth in millimetres: a JSON number, never NaN or infinite.
Depth = Annotated[float, Field(strict=True, allow_inf_nan=False)]


def _holds_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_holds_nul(item) for item in value)
    return False


class Incoming(Schema):
    """What a caller sends (body, query or form fields)."""

    @model_validator(mode="before")
    @classmethod
    def _no_nul_characters(cls, data: Any) -> Any:
        # PostgreSQL cannot store a NUL character in text or JSON; no field of ours means one.
        # Query and form fields arrive wrapped in ninja's DjangoGetter.
        if _holds_nul(data._obj if isinstance(data, DjangoGetter) else data):
            raise ValueError("text may not contain NUL characters (\\u0000)")
        return data


class Input(Incoming):
    model_config = ConfigDict(extra="forbid")


# --- pagination -----------------------------------------------------------------------------------------


class Paging(Incoming):
    limit: int = Field(20, ge=1, le=100, description="How many items (1 to 100)")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip")


class Page(Schema, Generic[T]):
    count: int = Field(description="How many items match, over all pages")
    items: list[T]


# --- patients and consents -------------------------------------------------------------------------------


class PatientFilters(Incoming):
    q: str = Field("", max_length=100, description="Words of the first or last name (all must match)")
    created_after: dt.datetime | None = Field(
        None, description="Only patients created after this moment (ISO 8601; without an offset: the clinic's time)"
    )

    @field_validator("created_after")
    @classmethod
    def _in_our_era(cls, value: dt.datetime | None) -> dt.datetime | None:
        # No record predates the application; and PostgreSQL refuses far-off years with
        # exotic offsets (a server error before this check). An offset becomes UTC here.
        if value is None:
            return None
        if not dt.datetime(1900, 1, 2) <= value.replace(tzinfo=None) <= dt.datetime(9999, 12, 30):
            raise ValueError("give a moment between the years 1900 and 9999")
        return value.astimezone(dt.UTC) if value.tzinfo is not None else value


class PatientIn(Input):
    first_name: str
    last_name: str
    date_of_birth: IsoDate
    email: str = ""
    phone: str = ""
    fitzpatrick: StrictInt | None = Field(None, description="Fitzpatrick skin type, 1 to 6")
    notes: str = ""


class PatientOut(Schema):
    id: int
    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str
    phone: str
    fitzpatrick: int | None
    notes: str
    simulated: bool
    created_at: dt.datetime
    active_consents: list[str]

    @staticmethod
    def resolve_active_consents(obj: Any) -> list[str]:
        return sorted(obj.active_consents())


class ConsentIn(Input):
    kind: ConsentKind
    note: str = Field("", max_length=300)


class ConsentOut(Schema):
    id: int
    patient_id: int
    kind: str
    note: str
    granted_at: dt.datetime
    withdrawn_at: dt.datetime | None
    active: bool


# --- consultation (screening) and plans ------------------------------------------------------------------


class ConsultationIn(Input):
    on: IsoDate | None = Field(None, description="The consultation's date; default today in the clinic")
    zones: list[str] = Field(description="The zones to treat, e.g. forehead, left_cheek")
    answers: dict[str, Any] = Field(description="Question id: answer (see the clinic's rule book)")


class Finding(Schema):
    rule: str | None = None
    outcome: str | None = None
    reason: str | None = None
    until: str | None = None


class ConsultationOut(Schema):
    id: int
    patient_id: int
    on: dt.date
    zones: list[str]
    answers: dict[str, Any]
    verdict: str = Field(description="go, caution, defer or refer")
    eligible_from: dt.date | None
    reasons: list[str]
    findings: list[Finding]
    unanswered: list[str]
    created_at: dt.datetime

    @staticmethod
    def resolve_reasons(obj: Any) -> list[str]:
        return [str(f.get("reason", "")) for f in _findings(obj) if f.get("reason")]

    @staticmethod
    def resolve_findings(obj: Any) -> list[dict[str, Any]]:
        return _findings(obj)

    @staticmethod
    def resolve_unanswered(obj: Any) -> list[str]:
        screening = obj.screening if isinstance(obj.screening, dict) else {}
        return [str(q) for q in screening.get("unanswered", [])]


def _findings(consultation: Any) -> list[dict[str, Any]]:
    screening = consultation.screening if isinstance(consultation.screening, dict) else {}
    return [f for f in screening.get("findings", []) if isinstance(f, dict)]


class PlanIn(Input):
    """A :class:`records.actions.PlanRequest`; the plan is made from the patient's latest consultation."""

    targets: list[str] = Field(min_length=1, max_length=20, description="CONCERN:ZONE,ZONE specs")
    start: IsoDate
    device: str = Field("pen", max_length=20)
    sessions: StrictInt | None = Field(None, ge=1, le=99)
    interval_weeks: StrictInt | None = Field(None, ge=1, le=520)
    depth_mm: dict[str, Depth] | None = Field(None, description="zone: needle depth in mm, within the caps")
    conservative: StrictBool = False


class PlanOut(Schema):
    id: int
    patient_id: int
    consultation_id: int | None
    targets: list[str]
    device: str
    start: dt.date
    sessions: int | None
    interval_weeks: int | None
    depth_mm: dict[str, Any]
    conservative: bool
    active: bool
    created_at: dt.datetime


class PlanDetailOut(PlanOut):
    plan: dict[str, Any] = Field(description="The plan (dermadelta.plan/1): sessions, depths, care, maintenance")


# --- sessions ----------------------------------------------------------------------------------------------


class SessionIn(Input):
    on: IsoDate
    # The model's bounds, declared here too so that the OpenAPI document states them.
    number: StrictInt = Field(ge=1, le=MAX_SESSION_NUMBER, description="Session number in the series")
    device: str = Field("pen", max_length=20)
    depths: dict[str, Any] = Field(description="zone: needle depth in mm")
    passes: StrictInt = Field(3, ge=1, le=MAX_PASSES)
    endpoint: Endpoint = Endpoint.ERYTHEMA
    numbing_minutes: StrictInt = Field(30, ge=0, le=MAX_NUMBING_MINUTES)
    products: str = ""
    addons: str = ""
    lot_numbers: str = ""
    immediate_reactions: str = ""
    notes: str = ""
    override: StrictBool = Field(
        False, description="Record the session although it departs from the active plan (needs override_reason)"
    )
    override_reason: str = Field("", max_length=MAX_OVERRIDE_REASON, description="Why it departs from the plan")


class DeviationOut(Schema):
    code: str = Field(description="; ".join(CODES))
    field: str
    message: str


class SessionOut(Schema):
    id: int
    patient_id: int
    plan_id: int | None
    number: int
    on: dt.date
    device: str
    depths: dict[str, Any]
    passes: int
    endpoint: str
    numbing_minutes: int
    products: str
    addons: str
    lot_numbers: str
    immediate_reactions: str
    notes: str
    deviations: list[DeviationOut] = Field(
        description="How the session departs from its plan (charted with an override)"
    )
    override_reason: str
    created_at: dt.datetime


# --- photos and comparisons ----------------------------------------------------------------------------------


class SavedPhoto(Schema):
    id: int
    name: str
    status: str


class UploadOut(Schema):
    saved: list[SavedPhoto]
    refused: list[str] = Field(description="Why each refused file was refused, one line per file")


class PhotoOut(Schema):
    id: int
    patient_id: int
    session_id: int | None
    view: View
    original_name: str
    width: int
    height: int
    day: dt.date
    taken_at: dt.datetime | None
    uploaded_at: dt.datetime
    status: str = Field(description="queued, running, done or failed")
    failure: str
    quality: str = Field(description="ok, warn or reject once analysed; empty before")
    quality_notes: list[str]
    label: str = Field(description='The photo\'s name on pages and reports, e.g. "Session 2 · front · 14:05"')
    date_warnings: list[str] = Field(description="Why the camera's date looks wrong, in plain words")

    @staticmethod
    def resolve_quality_notes(obj: Photo) -> list[str]:
        return obj.quality_notes()

    @staticmethod
    def resolve_label(obj: Photo) -> str:
        return obj.label

    @staticmethod
    def resolve_date_warnings(obj: Photo) -> list[str]:
        return obj.date_warnings()


class PhotoDetailOut(PhotoOut):
    analysis: dict[str, Any] | None = Field(description="The analysis (dermadelta.analyze/1) once done")

    @staticmethod
    def resolve_analysis(obj: Photo) -> dict[str, Any] | None:
        return without_camera(obj.analysis)


class ComparisonIn(Input):
    before_id: StrictInt = Field(ge=1, le=MAX_ID)
    after_id: StrictInt = Field(ge=1, le=MAX_ID)


class ComparisonOut(Schema):
    id: int
    patient_id: int
    before_id: int
    after_id: int
    status: str = Field(description="queued, running, done or failed")
    failure: str
    days_between: int
    has_report: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    label: str = Field(description='What it compares, e.g. "Baseline → session 3, front"')
    state: str = Field(description="queued, running, measured, not_measured (done, nothing measurable) or failed")

    @staticmethod
    def resolve_has_report(obj: Comparison) -> bool:
        return bool(obj.report_pdf)

    @staticmethod
    def resolve_label(obj: Comparison) -> str:
        return obj.label

    @staticmethod
    def resolve_state(obj: Comparison) -> str:
        return obj.state_code


class ComparisonDetailOut(ComparisonOut):
    result: dict[str, Any] | None = Field(description="The comparison (dermadelta.compare/1) once done")

    @staticmethod
    def resolve_result(obj: Comparison) -> dict[str, Any] | None:
        return without_camera(obj.result)
