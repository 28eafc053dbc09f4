"""A patient's record: consents, consultations, plans, charted sessions, photos and comparisons.

Validation lives in ``clean()`` so that forms and the API run the same rules;
changes that touch several records live in :mod:`dermadelta.clinic.records.actions`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format

from dermadelta.clinic.accounts.models import Clinic
from dermadelta.clinic.records.choices import ConsentKind, Endpoint, JobStatus, QualityVerdict, Verdict, View
from dermadelta.errors import InputError
from dermadelta.protocol.care import CareSchedule, care_schedule
from dermadelta.protocol.plan import Plan
from dermadelta.protocol.rulebook import load_rulebook

#: The highest session number charted (a series is 3 to 6 sessions, plus maintenance).
#: The largest id a record's key (a 64-bit integer) holds; a larger one names no record
#: and is refused before any query.
MAX_ID = 2**63 - 1
MAX_SESSION_NUMBER = 99
#: The most passes over a zone in one session.
MAX_PASSES = 20
#: The longest numbing-cream time charted, in minutes.
MAX_NUMBING_MINUTES = 180


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="patient"
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    fitzpatrick = models.PositiveSmallIntegerField(
        null=True, blank=True, choices=[(n, f"Type {n}") for n in range(1, 7)], help_text="Fitzpatrick skin type"
    )
    notes = models.TextField(blank=True)
    simulated = models.BooleanField(default=False, help_text="A demo record built from simulated photos")
    # SHA-256 of the secret in the patient's calendar feed address; empty when no feed
    # exists or it was revoked. The secret itself is shown once and never stored.
    calendar_feed_hash = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["last_name", "first_name", "id"]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def baseline(self, view: str) -> Photo | None:
        """The first usable photo of ``view`` (by day taken): every later photo of that view is compared with it."""
        usable = self.photos.filter(
            view=view, status=JobStatus.DONE, quality__in=[QualityVerdict.OK, QualityVerdict.WARN]
        ).select_related("session")
        return min(usable, key=lambda p: (p.day, p.pk), default=None)

    def get_absolute_url(self) -> str:
        return reverse("patient", args=[self.pk])

    def clean(self) -> None:
        """Names are trimmed and their inner whitespace collapsed; the date of birth must be plausible."""
        blank = {}
        for name in ("first_name", "last_name"):
            given = getattr(self, name) or ""
            setattr(self, name, " ".join(given.split()))
            if given and not getattr(self, name):  # only whitespace (an empty name is the field's own error)
                blank[name] = "This field is required."
        if blank:
            raise ValidationError(blank)
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth is in the future."})
        if self.date_of_birth and self.date_of_birth < dt.date(1900, 1, 1):
            raise ValidationError({"date_of_birth": "The date of birth is before 1900."})

    def has_consent(self, kind: ConsentKind) -> bool:
        return self.consents.filter(kind=kind, withdrawn_at__isnull=True).exists()

    def active_consents(self) -> set[str]:
        return set(self.consents.filter(withdrawn_at__isnull=True).values_list("kind", flat=True))


class Consent(models.Model):
    """One consent, granted once and possibly withdrawn; a new grant is a new row (history is kept)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(max_length=20, choices=ConsentKind.choices)
    granted_at = models.DateTimeField(default=timezone.now)
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"], condition=Q(withdrawn_at__isnull=True), name="one_active_consent_per_kind"
            )
        ]

    def __str__(self) -> str:
        state = "withdrawn" if self.withdrawn_at else "active"
        return f"{self.get_kind_display()} ({state})"

    @property
    def active(self) -> bool:
        return self.withdrawn_at is None


class Consultation(models.Model):
    """The intake questionnaire and the screening verdict it gave (from ``dermadelta.protocol``)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consultations")
    on = models.DateField()
    zones = models.JSONField(default=list)
    answers = models.JSONField(default=dict)
    verdict = models.CharField(max_length=10, choices=Verdict.choices)
    screening = models.JSONField(default=dict, help_text="dermadelta.protocol screening result")
    eligible_from = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-on", "-id"]

    def __str__(self) -> str:
        return f"Consultation {self.on} ({self.get_verdict_display()})"


class TreatmentPlan(models.Model):
    """The inputs of :func:`dermadelta.protocol.plan.make_plan` and the plan it made.

    The inputs are kept so the plan, its care schedule and its calendar can be
    rebuilt exactly; ``plan`` is the snapshot shown and exported.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plans")
    consultation = models.ForeignKey(Consultation, null=True, blank=True, on_delete=models.SET_NULL)
    targets = models.JSONField(help_text="CONCERN:ZONE,ZONE specs")
    device = models.CharField(max_length=20, default="pen")
    start = models.DateField()
    sessions = models.PositiveSmallIntegerField(null=True, blank=True)
    interval_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    depth_mm = models.JSONField(default=dict, blank=True, help_text="zone: depth chosen by the practitioner")
    conservative = models.BooleanField(default=False)
    plan = models.JSONField(help_text="dermadelta.plan/1")
    care = models.JSONField(
        null=True, blank=True, help_text="dermadelta.care/1 as made with the plan (none for plans made before it)"
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Plan of {self.start} ({len(self.plan.get('sessions', []))} sessions)"

    def session_dates(self) -> list[dt.date]:
        return [dt.date.fromisoformat(s["date"]) for s in self.plan.get("sessions", [])]

    def protocol_plan(self) -> Plan:
        """The stored plan as the protocol's typed value; InputError when it cannot be read."""
        return Plan.from_dict(self.plan)

    def care_schedule(self) -> CareSchedule:
        """The care made with the plan; for a plan stored before care was kept, made now from the stored plan."""
        if self.care is None:
            return care_schedule(self.protocol_plan())
        return CareSchedule.from_dict(self.care)

    @property
    def rules_version(self) -> str:
        """The rule book the plan was made under ("" for a plan stored before it was recorded)."""
        version = self.plan.get("rules_version", "") if isinstance(self.plan, dict) else ""
        return version if isinstance(version, str) else ""

    @property
    def rules_changed(self) -> bool:
        """Whether the rule book changed since the plan was made (re-planning is then offered, never automatic)."""
        return self.rules_version != load_rulebook().version


class TreatmentSession(models.Model):
    """One charted session: what was done, with what, and how the skin reacted."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="sessions")
    plan = models.ForeignKey(TreatmentPlan, null=True, blank=True, on_delete=models.SET_NULL, related_name="charted")
    number = models.PositiveSmallIntegerField(
        help_text="Session number in the series",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSION_NUMBER)],
    )
    on = models.DateField("date")
    device = models.CharField(max_length=20, default="pen")
    depths = models.JSONField(default=dict, help_text="zone: needle depth in mm")
    passes = models.PositiveSmallIntegerField(
        default=3, validators=[MinValueValidator(1), MaxValueValidator(MAX_PASSES)]
    )
    endpoint = models.CharField(max_length=20, choices=Endpoint.choices, default=Endpoint.ERYTHEMA)
    numbing_minutes = models.PositiveSmallIntegerField(default=30, validators=[MaxValueValidator(MAX_NUMBING_MINUTES)])
    products = models.CharField(max_length=300, blank=True)
    addons = models.CharField(max_length=300, blank=True, help_text="e.g. PRP")
    lot_numbers = models.CharField(max_length=300, blank=True)
    immediate_reactions = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    deviations = models.JSONField(
        default=list, blank=True, help_text="How the session departs from its plan: [{code, field, message}]"
    )
    override_reason = models.TextField(blank=True, help_text="Why it was charted outside the plan")
    practitioner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "number", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "number"],
                name="one_session_per_number",
                violation_error_message="This patient already has a session with this number: give the next one.",
            )
        ]

    def __str__(self) -> str:
        return f"Session {self.number} on {self.on}"

    @property
    def deepest_mm(self) -> float:
        return max((float(v) for v in self.depths.values()), default=0.0)

    def clean(self) -> None:
        """A session already done, with depths within the caps.

        Its date is not in the future (today in the clinic's time zone) nor before
        the patient's birth; each depth is a number within the zone's and the
        device's caps (from the rule book). All problems are reported together.
        """
        errors: dict[str, list[str]] = {}
        if self.on and self.patient_id:
            from dermadelta.clinic.records.schedule import clinic_today  # schedule reads these models

            if self.on > clinic_today(self.patient.clinic):
                errors["on"] = ["The session date cannot be in the future: chart a session once it is done."]
            elif self.on < self.patient.date_of_birth:
                errors["on"] = ["The session date is before the patient's date of birth."]
        errors.update(self._depth_problems())
        if errors:
            raise ValidationError(errors)

    def _depth_problems(self) -> dict[str, list[str]]:
        book = load_rulebook()
        try:
            device = book.device(self.device)
        except InputError as error:
            return {"device": [str(error)]}
        if not isinstance(self.depths, dict) or not self.depths:
            return {"depths": ["Give the needle depth for at least one zone."]}
        problems = []
        for zone_id, value in self.depths.items():
            try:
                zone = book.zone(zone_id)
            except InputError as error:
                problems.append(str(error))
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value:
                problems.append(f"{zone.label}: depth must be a positive number of millimetres")
            elif value > zone.max_mm:
                problems.append(f"{zone.label}: {value} mm is deeper than the zone's cap of {zone.max_mm} mm")
            elif value > device.max_mm:
                cap = f"the {device.label}'s cap of {device.max_mm} mm"
                problems.append(f"{zone.label}: {value} mm is deeper than {cap}")
        return {"depths": problems} if problems else {}


class ShownPhotos(models.Manager["Photo"]):
    """Photos not hidden: every list, comparison, export and the portal reads through this manager."""

    def get_queryset(self) -> models.QuerySet[Photo]:
        return super().get_queryset().filter(hidden_at__isnull=True)


class ShownComparisons(models.Manager["Comparison"]):
    """Comparisons of two photos that are not hidden."""

    def get_queryset(self) -> models.QuerySet[Comparison]:
        return super().get_queryset().filter(before__hidden_at__isnull=True, after__hidden_at__isnull=True)


#: How far past today (in the clinic's time zone) a camera's date may be before the photo is refused.
MAX_FUTURE_CAPTURE = dt.timedelta(days=1)
#: A capture older than this, on upload, is warned about (an old photo, or a camera's clock set wrong).
OLD_CAPTURE = dt.timedelta(days=365)


def _record_path(photo: Photo, filename: str) -> str:
    # No patient name or original file name in paths: they end up in backups and logs.
    return f"clinic-{photo.patient.clinic_id}/patient-{photo.patient_id}/{filename}"


class Photo(models.Model):
    """An uploaded photo, kept as uploaded; what is served is a copy without location or serials."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="photos")
    session = models.ForeignKey(
        TreatmentSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    view = models.CharField(max_length=10, choices=View.choices, default=View.FRONT)
    original = models.FileField(upload_to=_record_path)
    display = models.FileField(upload_to=_record_path, help_text="sRGB JPEG without EXIF, for the browser")
    original_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_at = models.DateTimeField(null=True, blank=True)
    uploaded_at = models.DateTimeField(auto_now_add=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took the job")
    failure = models.TextField(blank=True, help_text="Why the last analysis failed")
    quality = models.CharField(max_length=10, choices=QualityVerdict.choices, blank=True)
    analysis = models.JSONField(null=True, blank=True, help_text="dermadelta.analyze/1")
    analysed_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True, help_text="When the photo was hidden (a wrong upload)")
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # The first manager is the default one, which related lists (patient.photos) use too:
    # a hidden photo drops out of every list without each of them remembering to filter it.
    objects = ShownPhotos()
    with_hidden = models.Manager()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_view_display()} photo {self.pk}"

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def occasion(self) -> str:
        """When in the course the photo was taken: "Session 2", or the consultation's day for a photo of no session."""
        if self.session_id:
            return f"Session {self.session.number}"  # type: ignore[union-attr]
        return f"Consultation of {date_format(self.day, 'j M Y')}"

    @property
    def label(self) -> str:
        """The photo's name on every page and in reports: "Session 2 · front · 14:05" (clinic time when active)."""
        moment = timezone.localtime(self.taken_at or self.uploaded_at) if (self.taken_at or self.uploaded_at) else None
        clock = f" · {moment:%H:%M}" if moment else ""
        return f"{self.occasion} · {self.get_view_display().lower()}{clock}"

    def date_warnings(self) -> list[str]:
        """Why the camera's date looks wrong, in plain words: after the upload, before the first consultation, or old.

        The photo is kept; the warning asks a person to check the date (a camera's clock is often wrong).
        """
        if self.taken_at is None:
            return []
        taken = timezone.localdate(self.taken_at)
        uploaded = timezone.localdate(self.uploaded_at) if self.uploaded_at else timezone.localdate()
        when = date_format(taken, "j M Y")
        if taken > uploaded:
            return [f"The camera dates this photo {when}, after the day it was uploaded: check the camera's clock."]
        warnings = []
        first = self.patient.consultations.order_by("on").values_list("on", flat=True).first()
        if first is not None and taken < first:
            warnings.append(
                f"The camera dates this photo {when}, before the patient's first consultation "
                f"({date_format(first, 'j M Y')}).",
            )
        elif uploaded - taken > OLD_CAPTURE:
            warnings.append(f"The camera dates this photo {when}, more than a year before it was uploaded.")
        return warnings

    @property
    def day(self) -> dt.date:
        """The day the photo shows: when taken if the camera said so, else the session's or the upload's."""
        if self.taken_at:
            return timezone.localdate(self.taken_at)
        if self.session_id:
            return self.session.on  # type: ignore[union-attr]
        return timezone.localdate(self.uploaded_at)

    def quality_notes(self) -> list[str]:
        """The quality gate's reasons and warnings, each once: its reasons already repeat the warnings."""
        quality: dict[str, Any] = (self.analysis or {}).get("quality", {})
        return list(dict.fromkeys([*quality.get("reasons", []), *quality.get("warnings", [])]))

    def capture_notes(self) -> list[str]:
        """How fine a detail this photo resolves and how much glare it has, in plain words (none if not recorded)."""
        from dermadelta.reports.comparison_report import capture_words

        analysis = self.analysis if isinstance(self.analysis, dict) else {}
        return capture_words(analysis.get("quality"))

    @property
    def usable(self) -> bool:
        return self.status == JobStatus.DONE and self.quality in (QualityVerdict.OK, QualityVerdict.WARN)


class Comparison(models.Model):
    """A before/after pair measured by :func:`dermadelta.compare`, with its report."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="comparisons")
    before = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    after = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True, help_text="When a worker last took the job")
    failure = models.TextField(blank=True)
    result = models.JSONField(null=True, blank=True, help_text="dermadelta.compare/1")
    visuals = models.JSONField(default=dict, blank=True, help_text="name: stored file of the aligned photos and maps")
    report_pdf = models.FileField(upload_to=_record_path, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ShownComparisons()
    with_hidden = models.Manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["before", "after"], name="one_comparison_per_pair"),
            models.CheckConstraint(condition=~Q(before=models.F("after")), name="compare_two_photos"),
        ]

    def __str__(self) -> str:
        return f"Comparison {self.pk}: photo {self.before_id} to {self.after_id}"

    def clean(self) -> None:
        if self.before_id and self.after_id:
            if self.before.patient_id != self.patient_id or self.after.patient_id != self.patient_id:
                raise ValidationError("Both photos must belong to this patient.")
            if self.before.view != self.after.view:
                raise ValidationError("Compare photos of the same view (front with front).")

    @property
    def days_between(self) -> int:
        return (self.after.day - self.before.day).days

    @property
    def measured(self) -> bool:
        """Done and at least one change (or its absence) measured: not a refusal, not all unmeasurable."""
        from dermadelta.clinic.records.course_progress import judged_anything  # it reads these models

        return self.status == JobStatus.DONE and judged_anything(self.result if isinstance(self.result, dict) else None)

    @property
    def state_label(self) -> str:
        """The comparison's state in words: waiting, being measured, measured, could not be measured, or failed."""
        if self.status == JobStatus.DONE:
            return "Measured" if self.measured else "Could not be measured"
        if self.status == JobStatus.RUNNING:
            return "Being measured"
        return self.get_status_display()

    @property
    def state_code(self) -> str:
        """The state as a code for styles and the API: queued, running, measured, not_measured or failed."""
        if self.status == JobStatus.DONE:
            return "measured" if self.measured else "not_measured"
        return str(self.status)

    @property
    def label(self) -> str:
        """What the comparison compares: "Baseline → session 3, front".

        The baseline is the view's first usable photo; any other photo is named by its session.
        """
        first = self.patient.baseline(self.before.view)
        before = "Baseline" if first is not None and first.pk == self.before_id else self.before.occasion
        after = self.after.occasion
        return f"{before} → {after[0].lower()}{after[1:]}, {self.before.get_view_display().lower()}"
