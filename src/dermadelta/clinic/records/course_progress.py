"""A patient's course measured against what the plan leads us to expect, and the tables of one comparison.

The measurements come from the patient's finished comparisons (their stored
``dermadelta.compare/1`` results), the expectations from the active treatment
plan (its stored ``dermadelta.plan/1`` snapshot) through :mod:`dermadelta.outcomes`.
Only comparisons that start from a photo taken before treatment began count:
their change is the change since baseline, which is what the expected curve
describes. The chart is drawn by :func:`dermadelta.reports.charts_outcomes.progress_figure`.

Nothing here reads through :mod:`dermadelta.clinic.records.access`: callers pass
a patient they have already looked up (and audited).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from django.utils import timezone

from dermadelta.clinic.records.choices import JobStatus, QualityVerdict, View
from dermadelta.clinic.records.models import Comparison, Patient, Photo, TreatmentPlan
from dermadelta.errors import InputError
from dermadelta.imaging.compare import MetricChange
from dermadelta.outcomes.courses import courses_by_response, courses_from_plan_dict
from dermadelta.outcomes.model import FITZPATRICK, Course
from dermadelta.outcomes.model import Patient as OutcomePatient
from dermadelta.outcomes.progress import METRICS, Measurement, Progress, measurements_from_compare, progress
from dermadelta.protocol.calendar import time_zone
from dermadelta.reports.comparison_report import (
    LARGE_COLOUR_GAIN,
    METRIC_LABELS,
    RESIDUAL_TARGET_IOD,
    ZONE_ORDER,
    findings,
    zone_label,
    zone_rows,
)

#: Plain words for each progress status.
STATUS_WORDS = {"ahead": "ahead of what is expected", "on_track": "on track", "behind": "behind what is expected"}
NOTHING_MEASURED = "Nothing is measured yet: the chart appears once a photo taken after treatment began is compared."
NO_PLAN = "There is no active treatment plan, so there is nothing to compare the measurements with."


@dataclass(frozen=True)
class CourseProgress:
    """What the chart shows: measurements, the courses they are judged against, and the verdicts.

    ``progress`` is None when nothing can be judged; ``reason`` then says why in plain words.
    """

    plan: TreatmentPlan | None
    first_session: dt.date | None
    view: str | None
    measurements: tuple[Measurement, ...] = ()
    courses: Mapping[str, Course] = field(default_factory=dict)
    baselines: Mapping[str, float | None] = field(default_factory=dict)
    patient: OutcomePatient | None = None
    progress: Progress | None = None
    reason: str = ""
    comparisons: tuple[int, ...] = ()

    def latest(self) -> list[dict[str, Any]]:
        """Each metric's latest verdict in words, in the library's metric order."""
        if self.progress is None:
            return []
        latest = self.progress.latest
        return [
            {
                "metric": metric,
                "label": METRIC_LABELS.get(metric, metric),
                "day": int(latest[metric].day),
                "status": latest[metric].status,
                "words": STATUS_WORDS[latest[metric].status],
                "reason": latest[metric].reason,
            }
            for metric in METRICS
            if metric in latest
        ]


def outcome_patient(patient: Patient, *, today: dt.date | None = None) -> OutcomePatient:
    """The outcome model's patient factors that the record knows (age and skin type)."""
    today = today or timezone.localdate()
    born = patient.date_of_birth
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    skin_type = patient.fitzpatrick
    fitzpatrick = FITZPATRICK[skin_type - 1] if skin_type is not None and 1 <= skin_type <= 6 else None
    return OutcomePatient(age=age if 0 <= age <= 130 else None, fitzpatrick=fitzpatrick)


def first_session_day(plan: TreatmentPlan) -> dt.date | None:
    """Day 0 of the course: the first session charted under the plan, else the plan's first date."""
    charted = plan.charted.order_by("on").first()
    if charted is not None:
        return charted.on
    dates = plan.session_dates() if isinstance(plan.plan, dict) else []
    return min(dates, default=None)


def baseline_of(patient: Patient, view: str) -> Photo | None:
    """The patient's first usable photo of ``view``: the framing every later photo of that view should match."""
    usable = patient.photos.filter(
        view=view, status=JobStatus.DONE, quality__in=[QualityVerdict.OK, QualityVerdict.WARN]
    ).select_related("session")
    return min(usable, key=lambda p: (p.day, p.pk), default=None)


def _course_view(comparisons: list[Comparison]) -> str | None:
    """The view the course is followed on: the front if measured, else the view measured most."""
    views = [c.after.view for c in comparisons]
    if not views:
        return None
    if View.FRONT in views:
        return View.FRONT
    return max(sorted(set(views)), key=views.count)


def clinic_time(patient: Patient) -> AbstractContextManager[None]:
    """Dates as the patient's clinic sees them (a photo's day, the days of the course, dates on pages)."""
    try:
        return timezone.override(time_zone(patient.clinic.time_zone))
    except InputError:
        return nullcontext()


def course_progress(patient: Patient, *, zone: str = "face") -> CourseProgress:
    """The measured-vs-expected course of ``patient`` over the active plan (``zone`` of the face).

    Days are counted in the clinic's time zone.
    """
    with clinic_time(patient):
        return _course_progress(patient, zone=zone)


def _course_progress(patient: Patient, *, zone: str) -> CourseProgress:
    plan = patient.plans.filter(active=True).first()
    if plan is None:
        return CourseProgress(plan=None, first_session=None, view=None, reason=NO_PLAN)
    first = first_session_day(plan)
    try:
        courses = courses_by_response(courses_from_plan_dict(plan.plan))
    except (InputError, KeyError, ValueError):
        courses = {}
    if first is None or not courses:
        return CourseProgress(plan=plan, first_session=first, view=None, reason=NO_PLAN)
    done = [
        c
        for c in patient.comparisons.filter(status=JobStatus.DONE, result__isnull=False).select_related(
            "before__session", "after__session"
        )
        # Change since baseline: the before photo from before treatment, the after photo from the course.
        if c.before.day <= first <= c.after.day
    ]
    view = _course_view(done)
    chosen: dict[int, Comparison] = {}
    for comparison in sorted(done, key=lambda c: (c.before.day, c.before_id, c.pk)):
        if comparison.after.view == view:
            chosen.setdefault(comparison.after_id, comparison)  # one point per after photo, from the earliest baseline
    measurements: list[Measurement] = []
    used: list[int] = []
    for comparison in sorted(chosen.values(), key=lambda c: (c.after.day, c.pk)):
        day = (comparison.after.day - first).days
        try:
            found = measurements_from_compare(cast(dict[str, Any], comparison.result), day=day, zone=zone)
        except InputError:
            continue  # a comparison that measured nothing (a rejected photo) adds no point
        if found:
            measurements.extend(found)
            used.append(comparison.pk)
    who = outcome_patient(patient)
    common: dict[str, Any] = {"plan": plan, "first_session": first, "view": view, "courses": courses, "patient": who}
    if not measurements:
        return CourseProgress(**common, reason=NOTHING_MEASURED)
    baselines: dict[str, float | None] = {}
    for measurement in measurements:  # in day order: the first measurement holds the baseline
        baselines.setdefault(measurement.metric, measurement.before)
    try:
        judged = progress(measurements, courses=courses, patient=who)
    except InputError as error:  # stored figures the outcome model cannot judge: say so, never fail the page
        return CourseProgress(**common, reason=f"The measurements cannot be judged against the plan: {error}")
    return CourseProgress(
        **common,
        measurements=tuple(measurements),
        baselines=baselines,
        progress=judged,
        comparisons=tuple(used),
    )


def progress_chart_png(course: CourseProgress) -> bytes:
    """The chart of ``course`` as PNG bytes; a chart that says why when nothing can be drawn."""
    if course.progress is None:
        return message_png(course.reason or NOTHING_MEASURED)
    from dermadelta.reports.charts_outcomes import progress_figure

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "progress.png"
        progress_figure(
            course.progress, path, courses=course.courses, baselines=course.baselines, patient=course.patient
        )
        return path.read_bytes()


def message_png(message: str) -> bytes:
    """A small PNG that carries ``message`` in words, where a chart would be."""
    import io
    import textwrap

    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 2.0), dpi=110)
    figure.text(0.5, 0.5, textwrap.fill(message, 60), ha="center", va="center", fontsize=11, color="#5b6573")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": "dermadelta"})
    return buffer.getvalue()


# --- one comparison's tables, from its stored result ----------------------------------------------


@dataclass(frozen=True)
class _StoredChanges:
    """The part of an imaging comparison that the report's table helpers read: per-zone metric changes."""

    zones: dict[str, dict[str, MetricChange]]


def stored_changes(result: Mapping[str, Any] | None) -> _StoredChanges:
    """The metric changes of a ``dermadelta.compare/1`` result (entries that do not fit are left out)."""
    zones: dict[str, dict[str, MetricChange]] = {}
    raw = (result or {}).get("zones")
    if not isinstance(raw, Mapping):
        return _StoredChanges({})
    for zone, metrics in raw.items():
        if not isinstance(metrics, Mapping):
            continue
        changes = {}
        for metric, values in metrics.items():
            if metric not in METRICS or not isinstance(values, Mapping):
                continue
            try:
                changes[metric] = MetricChange(
                    before=_number(values.get("before")),
                    after=_number(values.get("after")),
                    delta=_number(values.get("delta")),
                    mdc=_number(values.get("mdc")),
                    change=values["change"],
                    reason=str(values.get("reason", "")),
                )
            except KeyError:
                continue
        zones[str(zone)] = changes
    return _StoredChanges(zones)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def zone_table(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Per zone, the rows of the report's table (metric, before, after, change, MDC, verdict in words).

    Zones the comparison did not measure are left out.
    """
    rows = zone_rows(cast(Any, stored_changes(result)))
    return [row for row in rows if row["metrics"]]


def finding_list(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each detected change in words, with the zones it was found in."""
    return findings(cast(Any, stored_changes(result)))


def zone_choices(result: Mapping[str, Any] | None) -> list[tuple[str, str]]:
    """The zones a comparison measured, as (id, label), the whole face first."""
    measured = stored_changes(result).zones
    return [(zone, zone_label(zone)) for zone in ZONE_ORDER if measured.get(zone)]


def alignment_of(result: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """How well the after photo was aligned and colour-matched onto the before photo, in words the page shows."""
    alignment = (result or {}).get("alignment")
    if not isinstance(alignment, Mapping):
        return None
    residual = _number(alignment.get("residual_iod"))
    if residual is None:
        return None
    raw_gains = alignment.get("after_colour_gains")
    gains = [g for g in (_number(v) for v in raw_gains) if g is not None] if isinstance(raw_gains, list) else []
    return {
        "residual_percent": f"{100 * residual:.2f}",
        "residual_ok": residual <= RESIDUAL_TARGET_IOD,
        "target_percent": f"{100 * RESIDUAL_TARGET_IOD:.0f}",
        "gains": [f"{g:.3f}" for g in gains],
        "gains_large": any(abs(g - 1) > LARGE_COLOUR_GAIN for g in gains),
        "large_percent": f"{100 * LARGE_COLOUR_GAIN:.0f}",
    }
