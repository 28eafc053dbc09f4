"""Every change to a patient's record, one function each, called by the web views and the API alike.

Each action validates through the models' ``clean()`` and the protocol library,
writes its audit entry, and enqueues background work only once the transaction
has committed (the worker must find the rows it is given).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AuditAction
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, Verdict, View
from dermadelta.clinic.records.models import (
    MAX_FUTURE_CAPTURE,
    Comparison,
    Consent,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.clinic.records.photofiles import inspect_photo, taken_at
from dermadelta.clinic.records.schedule import clinic_today
from dermadelta.errors import InputError
from dermadelta.protocol.calendar import time_zone
from dermadelta.protocol.care import care_schedule
from dermadelta.protocol.charting import Deviation, session_deviations
from dermadelta.protocol.plan import Plan, make_plan, parse_targets
from dermadelta.protocol.plan_diff import plan_changes
from dermadelta.protocol.screening import Screening, parse_intake, screen

logger = logging.getLogger(__name__)


class ActionError(ValidationError):
    """A change refused for a reason the user can act on (shown as a form or API error)."""


# --- patients and consents ---------------------------------------------------------------------


def create_patient(
    clinic: Clinic, fields: Mapping[str, Any], *, by: Any, request: HttpRequest | None = None
) -> Patient:
    patient = Patient(clinic=clinic, created_by=by, **fields)
    patient.full_clean(exclude=["user"])
    with transaction.atomic():
        patient.save()
        record(request, AuditAction.CREATE, patient, patient=patient, user=by)
    return patient


def grant_consent(
    patient: Patient, kind: ConsentKind | str, *, by: Any, note: str = "", request: HttpRequest | None = None
) -> Consent:
    kind = ConsentKind(kind)
    with transaction.atomic():
        if patient.consents.select_for_update().filter(kind=kind, withdrawn_at__isnull=True).exists():
            raise ActionError(f"{kind.label} consent is already recorded.")
        consent = Consent.objects.create(patient=patient, kind=kind, granted_by=by, note=note[:300])
        record(request, AuditAction.CREATE, consent, patient=patient, user=by, detail=kind.value)
    return consent


def withdraw_consent(consent: Consent, *, by: Any, request: HttpRequest | None = None) -> Consent:
    """Withdraw at once; a withdrawn marketing consent takes the photos out of every export from now on."""
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            raise ActionError("This consent was already withdrawn.")
        consent.withdrawn_at = timezone.now()
        consent.withdrawn_by = by
        consent.save(update_fields=["withdrawn_at", "withdrawn_by"])
        record(request, AuditAction.WITHDRAW, consent, patient=consent.patient, user=by, detail=consent.kind)
    return consent


def require_consent(patient: Patient, kind: ConsentKind) -> None:
    if not patient.has_consent(kind):
        raise ActionError(f"{patient.full_name} has no active {kind.label.lower()} consent.")


# --- consultation and plan ---------------------------------------------------------------------


def screening_of(consultation: Consultation) -> Screening:
    """Re-run the screening from the stored answers (the rule book may explain more than the snapshot)."""
    intake = parse_intake({"answers": consultation.answers}, on=consultation.on, zones=consultation.zones)
    return screen(intake)


def record_consultation(
    patient: Patient,
    *,
    on: dt.date,
    zones: Sequence[str],
    answers: Mapping[str, Any],
    by: Any,
    request: HttpRequest | None = None,
) -> Consultation:
    try:
        intake = parse_intake({"answers": dict(answers)}, on=on, zones=list(zones))
    except InputError as error:
        raise ActionError(str(error)) from None
    result = screen(intake)
    consultation = Consultation(
        patient=patient,
        on=on,
        zones=list(intake.zones),
        answers=dict(answers),
        verdict=result.verdict,
        screening=result.to_dict(),
        eligible_from=result.treatable_from,
        created_by=by,
    )
    with transaction.atomic():
        consultation.save()
        record(request, AuditAction.CREATE, consultation, patient=patient, user=by, detail=result.verdict)
    return consultation


#: How far ahead a plan may start: plans further out are made nearer the time.
MAX_START_AHEAD = dt.timedelta(days=365)


def planning_refusal(consultation: Consultation | None) -> str:
    """Why no plan can be made from this consultation (the patient's latest), or "" when one can.

    A referral, or a deferral without a date, is the protocol's own refusal (the
    screening gives no date treatment may start, and :func:`make_plan` refuses such
    a screening); it is worded here for the clinic.
    """
    if consultation is None:
        return "There is no consultation yet. Record the consultation (screening questionnaire) before planning."
    try:
        screening = screening_of(consultation)
    except InputError as error:
        return f"The consultation of {consultation.on:%d %b %Y} cannot be read again ({error}). Record a new one."
    if screening.treatable_from is None:
        if screening.verdict == Verdict.REFER:
            return (
                f"The consultation of {consultation.on:%d %b %Y} referred the patient to a physician. "
                "Record a new consultation once the physician has cleared treatment."
            )
        return (
            f"The consultation of {consultation.on:%d %b %Y} deferred treatment without a date "
            "(reassess in person). Record a new consultation when the reason has passed."
        )
    if not consultation.zones:
        return "The latest consultation screened no zones. Record a consultation with the zones to treat."
    return ""


@dataclass(frozen=True)
class PlanRequest:
    """What the practitioner asks of :func:`dermadelta.protocol.plan.make_plan`."""

    targets: tuple[str, ...]
    start: dt.date
    device: str = "pen"
    sessions: int | None = None
    interval_weeks: int | None = None
    depth_mm: Mapping[str, float] | None = None
    conservative: bool = False

    @classmethod
    def like(cls, source: Any) -> PlanRequest:
        """The request a stored plan, or an API body with the same fields, stands for."""
        return cls(
            targets=tuple(source.targets),
            start=source.start,
            device=source.device,
            sessions=source.sessions,
            interval_weeks=source.interval_weeks,
            depth_mm=source.depth_mm,
            conservative=source.conservative,
        )


def build_plan(request: PlanRequest, consultation: Consultation | None) -> Plan:
    """The protocol plan for ``request``; a refusal (a depth over a cap, a referral) becomes an ActionError."""
    try:
        return make_plan(
            parse_targets(list(request.targets)),
            start=request.start,
            device=request.device,
            sessions=request.sessions,
            interval_weeks=request.interval_weeks,
            depth_mm=dict(request.depth_mm or {}) or None,
            conservative=request.conservative,
            screening=screening_of(consultation) if consultation else None,
        )
    except InputError as error:
        raise ActionError(str(error)) from None


def remade_plan(treatment_plan: TreatmentPlan) -> Plan:
    """The plan the stored plan's inputs give under the current rule book (only for re-planning)."""
    return build_plan(PlanRequest.like(treatment_plan), treatment_plan.consultation)


def create_plan(
    patient: Patient,
    plan_request: PlanRequest,
    *,
    consultation: Consultation | None,
    by: Any,
    request: HttpRequest | None = None,
) -> TreatmentPlan:
    """Make the plan and make it the patient's active one (earlier plans are kept, inactive).

    Refused: no plan can be made from ``consultation`` (:func:`planning_refusal`), a
    start before that consultation or more than :data:`MAX_START_AHEAD` after today
    in the clinic, no treatment consent, or a plan the protocol refuses.
    """
    if consultation is not None and consultation.patient_id != patient.pk:
        raise ActionError("That consultation belongs to another patient.")
    refusal = planning_refusal(consultation)
    if refusal or consultation is None:
        raise ActionError(refusal)
    if plan_request.start < consultation.on:
        raise ActionError({"start": "The plan cannot start before the consultation that screened it."})
    if plan_request.start > clinic_today(patient.clinic) + MAX_START_AHEAD:
        raise ActionError({"start": "Plan at most a year ahead; make the plan nearer the time."})
    require_consent(patient, ConsentKind.TREATMENT)
    plan = build_plan(plan_request, consultation)
    unscreened = [zone for zone in plan.zones if zone not in consultation.zones]
    if unscreened:
        # Zone rules (a suspicious mole, a recent filler) were only asked about the screened zones.
        raise ActionError(f"Not screened at the consultation: {', '.join(unscreened)}. Record a new consultation.")
    stored = TreatmentPlan(
        patient=patient,
        consultation=consultation,
        targets=list(plan_request.targets),
        device=plan_request.device,
        start=plan_request.start,
        sessions=plan_request.sessions,
        interval_weeks=plan_request.interval_weeks,
        depth_mm=dict(plan_request.depth_mm or {}),
        conservative=plan_request.conservative,
        plan=plan.to_dict(),
        # Pre-care starts no earlier than today: the patient hears of it now.
        care=care_schedule(plan, not_before=clinic_today(patient.clinic)).to_dict(),
        created_by=by,
    )
    with transaction.atomic():
        patient.plans.filter(active=True).update(active=False)
        stored.save()
        record(request, AuditAction.CREATE, stored, patient=patient, user=by)
    return stored


def made_on(treatment_plan: TreatmentPlan) -> dt.date:
    """The day, in the clinic's time zone, the plan was made: its pre-care never starts before it."""
    return timezone.localdate(treatment_plan.created_at, timezone=time_zone(treatment_plan.patient.clinic.time_zone))


def active_plan(patient: Patient) -> TreatmentPlan | None:
    return patient.plans.filter(active=True).first()


@dataclass(frozen=True)
class Replan:
    """What re-planning a stored plan under the current rule book would change."""

    plan: Plan
    care: dict[str, Any]  # dermadelta.care/1
    changes: tuple[str, ...]  # plain words, one per difference
    rules_before: str
    rules_now: str


def replan_preview(treatment_plan: TreatmentPlan) -> Replan:
    """The plan the current rules make from the stored plan's inputs, and how it differs; ActionError if none can."""
    try:
        stored = treatment_plan.protocol_plan()
        stored_care = treatment_plan.care_schedule()
    except InputError as error:
        raise ActionError(f"The stored plan cannot be read ({error}).") from None
    plan = remade_plan(treatment_plan)
    try:
        care = care_schedule(plan, not_before=made_on(treatment_plan))
    except InputError as error:
        raise ActionError(str(error)) from None
    changes = plan_changes(stored, plan, old_care=stored_care, new_care=care)
    return Replan(plan, care.to_dict(), changes, treatment_plan.rules_version, plan.rules_version)


def replan(treatment_plan: TreatmentPlan, *, by: Any, seen: str, request: HttpRequest | None = None) -> Replan:
    """Re-make the plan under the current rule book, in place (charted sessions stay linked to it), and audit it.

    ``seen`` is the rules version the practitioner was shown the changes for:
    when the rules changed again since, nothing is saved (they must look again).
    """
    preview = replan_preview(treatment_plan)
    if seen != preview.rules_now:
        raise ActionError("The rules changed again since the changes were shown: review them again.")
    with transaction.atomic():
        current = TreatmentPlan.objects.select_for_update().get(pk=treatment_plan.pk)
        current.plan = preview.plan.to_dict()
        current.care = preview.care
        current.save(update_fields=["plan", "care"])
        detail = f"re-planned under rules {preview.rules_now or 'unknown'} (was {preview.rules_before or 'unknown'})"
        summary = "; ".join(preview.changes) or "no change"
        record(request, AuditAction.UPDATE, current, patient=current.patient, user=by, detail=f"{detail}: {summary}")
    treatment_plan.refresh_from_db()
    return preview


# --- sessions ------------------------------------------------------------------------------------


#: The longest reason for charting outside the plan (it is shown on the session and audited).
MAX_OVERRIDE_REASON = 1000


class OutsidePlan(ActionError):
    """A session that departs from its plan, not recorded: it needs an explicit override and a reason."""

    def __init__(self, deviations: Sequence[Deviation], *, missing_reason: bool = False) -> None:
        self.deviations = tuple(deviations)
        errors: dict[str, list[str]] = {}
        for deviation in self.deviations:
            errors.setdefault(deviation.field, []).append(deviation.message)
        errors.setdefault("override_reason", []).append(
            "Give the reason for charting this session outside the plan."
            if missing_reason
            else "To record it all the same, confirm the override and give the reason."
        )
        super().__init__(errors)


def plan_deviations(session: TreatmentSession) -> tuple[Deviation, ...]:
    """How ``session`` (not yet saved, its fields valid) departs from its plan; none without a plan."""
    stored = session.plan
    if stored is None:
        return ()  # charted outside any plan (e.g. before the clinic planned here): the caps still hold
    try:
        plan = stored.protocol_plan()
    except InputError:
        return (
            Deviation(
                "plan_unreadable",
                "number",
                "The active plan cannot be read, so the session cannot be checked against it.",
            ),
        )
    others = session.patient.sessions.exclude(pk=session.pk).values_list("number", "on")
    return session_deviations(
        plan,
        number=session.number,
        on=session.on,
        depths={zone: float(depth) for zone, depth in session.depths.items()},
        screened_zones=stored.consultation.zones if stored.consultation else (),
        other_sessions=list(others),
    )


def chart_session(
    patient: Patient, fields: Mapping[str, Any], *, by: Any, request: HttpRequest | None = None
) -> TreatmentSession:
    """Record a session done, under the patient's active plan.

    ``fields`` are the session's own, plus ``override`` (True to record a session
    that departs from the plan) and ``override_reason``. Refused: no treatment
    consent, a session the model refuses (a date in the future, a depth over the
    rule book's caps), and a session that departs from the plan
    (:func:`plan_deviations`) unless overridden with a reason: :class:`OutsidePlan`.
    An override is kept on the session with its deviations and audited; given
    for a session that keeps the plan, it is not recorded.
    """
    fields = dict(fields)
    override = fields.pop("override", False) is True
    reason = str(fields.pop("override_reason", "") or "").strip()
    if len(reason) > MAX_OVERRIDE_REASON:
        raise ActionError({"override_reason": [f"Keep the reason under {MAX_OVERRIDE_REASON} characters."]})
    require_consent(patient, ConsentKind.TREATMENT)
    session = TreatmentSession(patient=patient, practitioner=by, plan=active_plan(patient), **fields)
    session.full_clean()
    deviations = plan_deviations(session)
    if deviations and not (override and reason):
        raise OutsidePlan(deviations, missing_reason=override)
    detail = f"session {session.number}"
    if deviations:
        session.deviations = [d.to_dict() for d in deviations]
        session.override_reason = reason
        codes = ", ".join(dict.fromkeys(d.code for d in deviations))
        detail += f", outside the plan ({codes}): {reason}"
    with transaction.atomic():
        session.save()
        record(request, AuditAction.CREATE, session, patient=patient, user=by, detail=detail)
    return session


# --- photos and comparisons ----------------------------------------------------------------------


@dataclass(frozen=True)
class UploadOutcome:
    saved: list[Photo]
    refused: list[str]  # one reason per refused file


def upload_photos(
    patient: Patient,
    files: Sequence[tuple[str, bytes | File]],
    *,
    view: View | str,
    session: TreatmentSession | None,
    by: Any,
    request: HttpRequest | None = None,
) -> UploadOutcome:
    """Store each photo whose header is sound and queue its decoding; say why each other file is refused.

    ``files`` are (name, content) pairs: the uploaded files as the request streamed
    them to disk, or bytes. Only headers are read here (format, declared size); the
    worker decodes each photo, makes its served copy and checks its quality
    (:func:`records.tasks.analyse_photo`), once the upload has committed. A refused
    file leaves nothing behind.
    """
    require_consent(patient, ConsentKind.PHOTOGRAPHY)
    if not files:
        raise ActionError("Choose at least one photo.")
    if len(files) > settings.MAX_PHOTOS_PER_UPLOAD:
        raise ActionError(f"Upload at most {settings.MAX_PHOTOS_PER_UPLOAD} photos at once.")
    if session is not None and session.patient_id != patient.pk:
        raise ActionError("That session belongs to another patient.")
    view = View(view)
    zone = time_zone(patient.clinic.time_zone)
    saved: list[Photo] = []
    refused: list[str] = []
    for index, (name, source) in enumerate(files, start=1):
        label = _safe_label(name) or f"photo {index}"
        content = source if isinstance(source, File) else ContentFile(source)
        try:
            inspected = inspect_photo(
                content, label=label, max_bytes=settings.MAX_PHOTO_BYTES, max_pixels=settings.MAX_PHOTO_PIXELS
            )
        except InputError as error:
            refused.append(str(error))
            continue
        taken = taken_at(inspected.camera_time, zone=zone)
        if taken is not None and taken.date() > clinic_today(patient.clinic) + MAX_FUTURE_CAPTURE:
            refused.append(
                f"{label}: the camera dates it {taken:%d %b %Y}, after today; "
                "set the camera's clock right and take the photo again."
            )
            continue
        photo = Photo(
            patient=patient,
            session=session,
            view=view,
            original_name=label,
            sha256=inspected.sha256,
            width=inspected.width,  # as declared; the worker sets them upright once decoded
            height=inspected.height,
            taken_at=taken,
            status=JobStatus.QUEUED,
            uploaded_by=by,
        )
        try:
            _store_photo(photo, content, request=request, by=by)
        except Exception:  # noqa: BLE001 - storage or database failed for this file: say which, go on
            logger.exception("storing uploaded photo %r of patient %s failed", label, patient.pk)
            refused.append(f"{label}: could not be stored just now; nothing of it was kept. Try this photo again.")
            continue
        saved.append(photo)
    return UploadOutcome(saved=saved, refused=refused)


def _store_photo(photo: Photo, content: File, *, request: HttpRequest | None, by: Any) -> None:
    """Write the original and the row together: on any failure, neither is left.

    The original is moved from the upload's temporary file where the storage can
    (a local folder), else copied from it in chunks. A process killed midway (a web
    worker past its timeout) can still leave the file without its row:
    :mod:`records.orphans` removes those.
    """
    with transaction.atomic():
        try:
            photo.original.save(f"{photo.sha256[:16]}-original", content, save=False)
            photo.save()
            record(request, AuditAction.CREATE, photo, patient=photo.patient, user=by, detail=View(photo.view).value)
        except Exception:
            _delete_files(photo)
            photo.pk = None
            raise
        transaction.on_commit(partial(_enqueue_photo, photo.pk))


def _safe_label(name: str) -> str:
    """A file name fit to show back: no folders, no control characters, not too long."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:120].strip()


def _delete_files(obj: Photo | Comparison) -> None:
    for field in ("original", "display", "report_pdf"):
        stored = getattr(obj, field, None)
        if stored:
            stored.delete(save=False)


#: Shown on a job whose queue did not answer when it was saved; "Retry" queues it again.
QUEUE_UNREACHABLE = (
    "the background queue did not answer when this was saved; nothing was lost: retry in a moment, "
    "or tell your administrator"
)


def _enqueue(jobs: Any, task: Any, pk: int) -> None:
    """Queue a saved job (after its commit); when the queue is away, fail it with the reason.

    The record is committed by now: were the error raised, the person would see an
    error page for a photo that was saved, and the job would wait for ever.
    """
    try:
        task.enqueue(pk)
    except Exception:  # whatever the queue's backend raises: a Redis or database outage
        logger.exception("could not queue %s %s", jobs.model.__name__, pk)
        jobs.filter(pk=pk, status=JobStatus.QUEUED).update(status=JobStatus.FAILED, failure=QUEUE_UNREACHABLE)


def _enqueue_photo(photo_id: int) -> None:
    from dermadelta.clinic.records.tasks import analyse_photo

    _enqueue(Photo.with_hidden, analyse_photo, photo_id)


def _enqueue_comparison(comparison_id: int) -> None:
    from dermadelta.clinic.records.tasks import compare_photos

    _enqueue(Comparison.with_hidden, compare_photos, comparison_id)


def request_comparison(before: Photo, after: Photo, *, by: Any, request: HttpRequest | None = None) -> Comparison:
    """Measure ``after`` against ``before`` in the background (an existing comparison is reused)."""
    if before.pk == after.pk:
        raise ActionError("Choose two different photos.")
    if before.hidden or after.hidden:
        raise ActionError("A hidden photo cannot be compared: show it again first.")
    if before.day > after.day:
        before, after = after, before  # "before" is the earlier photo, whatever order they were picked in
    comparison = Comparison(patient=before.patient, before=before, after=after, created_by=by)
    comparison.clean()
    with transaction.atomic():
        existing = Comparison.objects.filter(before=before, after=after).first()
        if existing is not None:
            return existing
        comparison.save()
        record(request, AuditAction.CREATE, comparison, patient=before.patient, user=by)
        transaction.on_commit(partial(_enqueue_comparison, comparison.pk))
    return comparison


def retry(job: Photo | Comparison, *, by: Any, request: HttpRequest | None = None) -> None:
    """Queue a failed analysis or comparison again; the reason of the last failure stays until it succeeds."""
    if isinstance(job, Photo) and not job.original:
        raise ActionError("This photo could not be read and was not kept: upload it again.")
    with transaction.atomic():
        updated = type(job).objects.filter(pk=job.pk, status=JobStatus.FAILED).update(status=JobStatus.QUEUED)
        if not updated:
            raise ActionError("Only a failed job can be retried.")
        record(request, AuditAction.RETRY, job, patient=job.patient, user=by)
        enqueue = _enqueue_photo if isinstance(job, Photo) else _enqueue_comparison
        transaction.on_commit(partial(enqueue, job.pk))
    job.refresh_from_db()


def baseline_photo(photo: Photo) -> Photo | None:
    """The patient's baseline of ``photo``'s view (:meth:`Patient.baseline`) when it was taken before ``photo``."""
    first = photo.patient.baseline(photo.view)
    return first if first is not None and first.pk != photo.pk and first.day < photo.day else None
