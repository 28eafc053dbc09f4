"""A patient's course measured against what the plan leads us to expect, and the tables of one comparison.

The measurements come from the patient's finished comparisons (their stored
``dermadelta.compare/1`` results), the expectations from the active treatment
plan (its stored ``dermadelta.plan/1`` snapshot) through :mod:`dermadelta.outcomes`.
Only comparisons that start from a photo taken before treatment began count:
their change is the change since baseline, which is what the expected curve
describes. Only measured changes count: a metric a comparison could not measure
(a softer or noisier photo, glare) is neither a change nor "no change"; when a
metric's latest comparison could not measure it, its status says so, with the
reason, instead of an older verdict. The chart is drawn by
:func:`dermadelta.reports.charts_outcomes.progress_figure`.

Nothing here reads through :mod:`dermadelta.clinic.records.access`: callers pass
a patient they have already looked up (and audited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from django.utils import timezone

from dermadelta.clinic.records.choices import JobStatus, View
from dermadelta.clinic.records.models import Comparison, Patient, TreatmentPlan
from dermadelta.errors import InputError
from dermadelta.imaging.compare import MetricChange
from dermadelta.outcomes.courses import courses_by_response, courses_from_plan_dict
from dermadelta.outcomes.model import FITZPATRICK, Course
from dermadelta.outcomes.model import Patient as OutcomePatient
from dermadelta.outcomes.progress import (
    METRICS,
    Measurement,
    Progress,
    Unmeasured,
    has_expected_band,
    measurements_from_compare,
    progress,
    unmeasured_from_compare,
)
from dermadelta.reports.comparison_report import (
    METRIC_LABELS,
    ZONE_ORDER,
    alignment_summary,
    capture_words,
    display_unit,
    findings,
    judged,
    not_measured,
    refusal_reasons,
    shown_number,
    was_mirrored,
    zone_label,
    zone_rows,
)
from dermadelta.reports.progress_words import NO_BAND_WORDS, PATIENT_REASONS, Audience, status_tone, status_words

NO_REASON = "no reason was recorded"
NOTHING_MEASURED = "Nothing is measured yet: the chart appears once a photo taken after treatment began is compared."
NO_PLAN = "There is no active treatment plan, so there is nothing to compare the measurements with."
NO_RANGE = "none"


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

    def latest(self, audience: Audience = "clinic") -> list[dict[str, Any]]:
        """Each metric's latest status in words, in the library's metric order.

        A metric that its latest comparison could not measure is "not measurable",
        with that comparison's reason: an earlier verdict is not where the patient is now.
        For the patient (``audience="patient"``) the words and reasons are the patient's
        (no "behind", no red badge); a reason why a photo could not be measured stays as given.
        """
        if self.progress is None:
            return []
        latest, unmeasured = self.progress.latest, self.progress.unmeasured_now
        items = []
        for metric in METRICS:
            if metric in unmeasured:
                status, day, reason = "not_measurable", unmeasured[metric].day, unmeasured[metric].reason or NO_REASON
            elif metric in latest:
                status, day, reason = latest[metric].status, latest[metric].day, latest[metric].reason
                reason = _reason(status, reason, audience)
            else:
                continue
            items.append(
                {
                    "metric": metric,
                    "label": METRIC_LABELS.get(metric, metric),
                    "day": int(day),
                    "status": status,
                    "words": status_words(status, audience),
                    "tone": status_tone(status, audience),
                    "reason": reason,
                }
            )
        return items

    def numbers(self, audience: Audience = "clinic") -> list[dict[str, Any]]:
        """Every point of the chart as a row of words and numbers: its text alternative.

        One row per measure and day, in the library's metric order and then by day: the
        measured change since baseline, the smallest detectable change (the chart's bar),
        the expected range at that day (the chart's shaded band, where the model has one)
        and where it stands, in the units and rounding of the results table.
        """
        if self.progress is None:
            return []
        responses = list(self.courses)
        rows: list[dict[str, Any]] = []
        for verdict in self.progress.verdicts:
            banded = has_expected_band(verdict.metric, responses)
            low, high = (
                shown_number(v, verdict.metric, signed=True) for v in (verdict.expected_low, verdict.expected_high)
            )
            rows.append(
                _numbers_row(verdict.metric, verdict.day)
                | {
                    "measured": shown_number(verdict.measured, verdict.metric, signed=True),
                    "mdc": shown_number(verdict.mdc, verdict.metric),
                    "expected": f"{low} to {high}" if banded else NO_RANGE,
                    "words": status_words(verdict.status, audience),
                    "reason": _reason(verdict.status, verdict.reason, audience),
                }
            )
        for item in self.progress.unmeasured:
            rows.append(
                _numbers_row(item.metric, item.day)
                | {
                    "measured": "–",
                    "mdc": "–",
                    "expected": "–",
                    "words": NO_BAND_WORDS[audience]["unmeasured"].lower(),
                    "reason": item.reason or NO_REASON,
                }
            )
        order = {metric: index for index, metric in enumerate(METRICS)}
        return sorted(rows, key=lambda row: (order[row["metric"]], row["day"]))


def _numbers_row(metric: str, day: float) -> dict[str, Any]:
    return {"metric": metric, "label": METRIC_LABELS.get(metric, metric), "unit": display_unit(metric), "day": int(day)}


def _reason(status: str, reason: str, audience: Audience) -> str:
    """Why a measured status is what it is: the outcome model's reason for the clinic, plain words for the patient."""
    return PATIENT_REASONS[status] if audience == "patient" else reason


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


def _course_view(comparisons: list[Comparison]) -> str | None:
    """The view the course is followed on: the front if measured, else the view measured most."""
    views = [c.after.view for c in comparisons]
    if not views:
        return None
    if View.FRONT in views:
        return View.FRONT
    return max(sorted(set(views)), key=views.count)


def course_progress(patient: Patient, *, zone: str = "face") -> CourseProgress:
    """The measured-vs-expected course of ``patient`` over the active plan (``zone`` of the face).

    Days are counted in the clinic's time zone.
    """
    with patient.clinic.local_time():  # also when called outside a page (the worker, the API)
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
    unmeasured: list[Unmeasured] = []
    used: list[int] = []
    for comparison in sorted(chosen.values(), key=lambda c: (c.after.day, c.pk)):
        day = (comparison.after.day - first).days
        result = cast(dict[str, Any], comparison.result)
        try:
            found = measurements_from_compare(result, day=day, zone=zone)
            unmeasured.extend(unmeasured_from_compare(result, day=day, zone=zone))
        except InputError:
            continue  # a comparison that measured nothing (a rejected photo) adds no point
        if found:
            measurements.extend(found)
            used.append(comparison.pk)
    who = outcome_patient(patient)
    common: dict[str, Any] = {"plan": plan, "first_session": first, "view": view, "courses": courses, "patient": who}
    if not measurements:
        return CourseProgress(**common, reason=_nothing_measured(unmeasured))
    baselines: dict[str, float | None] = {}
    for measurement in measurements:  # in day order: the first measurement holds the baseline
        baselines.setdefault(measurement.metric, measurement.before)
    try:
        judged = progress(measurements, courses=courses, patient=who, unmeasured=unmeasured)
    except InputError as error:  # stored figures the outcome model cannot judge: say so, never fail the page
        return CourseProgress(**common, reason=f"The measurements cannot be judged against the plan: {error}")
    return CourseProgress(
        **common,
        measurements=tuple(measurements),
        baselines=baselines,
        progress=judged,
        comparisons=tuple(used),
    )


def _nothing_measured(unmeasured: list[Unmeasured]) -> str:
    """Why there is no chart: nothing compared yet, or comparisons that could not measure anything."""
    if not unmeasured:
        return NOTHING_MEASURED
    reasons = list(dict.fromkeys(u.reason for u in unmeasured if u.reason))
    if not reasons:
        return "Nothing could be measured yet: the comparisons so far could not measure any change."
    return "Nothing could be measured yet: " + "; ".join(reasons) + "."


def progress_chart_png(course: CourseProgress, *, audience: Audience = "clinic") -> bytes:
    """The chart of ``course`` as PNG bytes for ``audience``; a chart that says why when nothing can be drawn."""
    if course.progress is None:
        return message_png(course.reason or NOTHING_MEASURED)
    from dermadelta.reports.charts_outcomes import progress_png

    return progress_png(
        course.progress, courses=course.courses, baselines=course.baselines, patient=course.patient, audience=audience
    )


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
                    reason=values["reason"] if isinstance(values.get("reason"), str) else "",
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


def not_measured_list(result: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """The measures the comparison could not measure over the whole face, grouped by reason, in plain words."""
    return [{**item, "reason": item["reason"] or NO_REASON} for item in not_measured(cast(Any, stored_changes(result)))]


def judged_anything(result: Mapping[str, Any] | None) -> bool:
    """Whether the comparison measured at least one change (or the absence of one) anywhere."""
    return judged(cast(Any, stored_changes(result)))


def refusal_list(result: Mapping[str, Any] | None) -> list[str]:
    """Why a comparison measured nothing (a different person, a rejected photo), in plain words."""
    return refusal_reasons(result)


def photo_rows(comparison: Comparison) -> list[dict[str, Any]]:
    """The two photos of a comparison with what each capture allows (sharpness, glare), in plain words.

    The figures are the ones the comparison read (its stored result); a result
    without them falls back on each photo's own analysis, and older analyses
    without them show none.
    """
    result = comparison.result if isinstance(comparison.result, Mapping) else {}
    rows = []
    for role, photo in (("Before", comparison.before), ("After", comparison.after)):
        stored = result.get(role.lower())
        quality = stored.get("quality") if isinstance(stored, Mapping) else None
        capture = capture_words(quality) or photo.capture_notes()
        rows.append({"role": role, "photo": photo, "capture": capture})
    return rows


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
        **alignment_summary(residual, gains, alignment.get("face_size_ratio")),
        "mirrored": was_mirrored(result),
    }
