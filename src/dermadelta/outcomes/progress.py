"""Measured against expected: is the patient ahead, on track or behind, per metric?

Measurements are plain data (metric, day since the first session, baseline
value, change and its minimal detectable change), as produced by the imaging
comparison; this module never imports the imaging library. Every metric is
"higher = more of the concern" except ``tone_ita`` (higher = lighter).

A change is compared with the expected band widened by its MDC: inside is
``on_track``; a larger improvement is ``ahead``; a smaller one (or a worsening)
is ``behind``. A measurement cannot be judged closer than its own MDC.

Only measured changes are judged. A metric the comparison could not measure
(``not_measurable``: a photo too soft or too noisy for fine detail, glare, too
little skin) is neither a change nor a zero change: it is kept apart as
:class:`Unmeasured`, with its reason, and when a metric's most recent comparison
could not measure it, :attr:`Progress.unmeasured_now` says so instead of
letting an older verdict stand as the current one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from dermadelta.errors import InputError
from dermadelta.outcomes.model import (
    REDNESS_VISIBLE,
    Course,
    ModelParams,
    Patient,
    expected_redness,
    improvement_band,
    load_params,
)
from dermadelta.protocol.rulebook import RuleBook, load_rulebook

METRICS = (
    "redness",
    "pigmentation",
    "tone_ita",
    "unevenness",
    "texture",
    "pores",
    "wrinkles",
    "spots",
)
#: Which response groups (concern outcomes) each metric measures, most specific first.
METRIC_RESPONSES: Mapping[str, tuple[str, ...]] = {
    "texture": (
        "texture",
        "acne_scars_rolling",
        "acne_scars_boxcar",
        "acne_scars_icepick",
        "striae_red",
        "striae_white",
    ),
    "pores": ("pores", "texture"),
    "wrinkles": ("wrinkles", "laxity"),
    "pigmentation": ("pigmentation", "tone"),
    "spots": ("pigmentation",),
    "unevenness": ("pigmentation", "tone"),
    "tone_ita": ("pigmentation", "tone"),
    "redness": (),
}
STATUSES = ("ahead", "on_track", "behind")
#: Metrics with no calibrated size of expected change: redness is expected only as the
#: passing redness after a session, and skin tone (ITA) has no published scale.
UNCALIBRATED_METRICS = ("redness", "tone_ita")
#: The ``change`` values of a ``dermadelta.compare/1`` metric that are a measurement (a change or none).
MEASURED_CHANGES = ("increased", "decreased", "none")


@dataclass(frozen=True)
class Measurement:
    metric: str
    day: float
    delta: float
    mdc: float
    before: float | None = None

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"unknown metric {self.metric!r} (known: {', '.join(METRICS)})")
        numbers = [self.day, self.delta, self.mdc] + ([self.before] if self.before is not None else [])
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in numbers):
            raise InputError(f"{self.metric}: day, delta, mdc and before must be finite numbers")
        if self.mdc < 0:
            raise InputError(f"{self.metric}: the minimal detectable change cannot be negative")
        if self.day < 0:
            raise InputError(f"{self.metric}: day {self.day} is before the first session")


@dataclass(frozen=True)
class Verdict:
    metric: str
    day: float
    status: str
    measured: float
    expected_low: float
    expected_high: float
    mdc: float
    response: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "day": self.day,
            "status": self.status,
            "measured_delta": self.measured,
            "expected_delta": [self.expected_low, self.expected_high],
            "mdc": self.mdc,
            "response": self.response,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class Unmeasured:
    """A metric a comparison could not measure on ``day``, and why, in plain words ("" when not recorded)."""

    metric: str
    day: float
    reason: str = ""

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise InputError(f"unknown metric {self.metric!r} (known: {', '.join(METRICS)})")
        if isinstance(self.day, bool) or not isinstance(self.day, int | float) or not math.isfinite(self.day):
            raise InputError(f"{self.metric}: day must be a finite number")

    def to_dict(self) -> dict[str, Any]:
        return {"metric": self.metric, "day": self.day, "status": "not_measurable", "reason": self.reason}


@dataclass(frozen=True)
class Progress:
    verdicts: tuple[Verdict, ...]
    unmeasured: tuple[Unmeasured, ...] = ()

    @property
    def latest(self) -> dict[str, Verdict]:
        """The verdict of each metric's most recent measurement."""
        latest: dict[str, Verdict] = {}
        for verdict in sorted(self.verdicts, key=lambda v: v.day):
            latest[verdict.metric] = verdict
        return latest

    @property
    def unmeasured_now(self) -> dict[str, Unmeasured]:
        """Metrics whose most recent comparison could not measure them (later than their latest measurement).

        For these the latest verdict is out of date: a later photo could not confirm it,
        so it must not be read as where the patient is now. On the same day a
        measurement wins (another photo of that day could measure it).
        """
        latest = self.latest
        now: dict[str, Unmeasured] = {}
        for item in sorted(self.unmeasured, key=lambda u: u.day):
            if item.metric not in latest or item.day > latest[item.metric].day:
                now[item.metric] = item
        return now

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": "dermadelta.progress/1",
            "latest": {m: v.to_dict() for m, v in self.latest.items()},
            "all": [v.to_dict() for v in self.verdicts],
        }
        if self.unmeasured:  # the schema grows by additions only
            data["not_measurable_now"] = {m: u.to_dict() for m, u in self.unmeasured_now.items()}
            data["not_measurable"] = [u.to_dict() for u in self.unmeasured]
        return data


def response_for(metric: str, responses: Sequence[str]) -> str | None:
    """The treated response group a metric measures, or None if it measures none of them."""
    for response in METRIC_RESPONSES[metric]:
        if response in responses:
            return response
    return None


def has_expected_band(metric: str, responses: Sequence[str]) -> bool:
    """Whether the model gives ``metric`` a calibrated range of expected change under the treated ``responses``."""
    return metric not in UNCALIBRATED_METRICS and response_for(metric, responses) is not None


def expected_delta(
    metric: str,
    day: float,
    before: float | None,
    *,
    courses: Mapping[str, Course],
    patient: Patient | None = None,
    params: ModelParams | None = None,
) -> tuple[float, float, str | None]:
    """Expected change of ``metric`` on ``day`` as (low, high) in the metric's units.

    Negative is improvement for every metric except ``tone_ita``. ``tone_ita``
    has no calibrated scale: only a darkening beyond the MDC is judged.
    """
    response = response_for(metric, list(courses))
    if response is None or not has_expected_band(metric, list(courses)):
        return 0.0, 0.0, response
    if before is None:
        raise InputError(f"{metric}: the baseline value ('before') is needed to judge progress")
    band = improvement_band(response, courses[response], [day], patient=patient, params=params)
    scale = abs(before)
    return -float(band.high[0]) * scale, -float(band.low[0]) * scale, response


def deepest(courses: Mapping[str, Course]) -> Course:
    """The course with the deepest needle: it sets the redness to expect."""
    if not courses:
        raise InputError("no treated concerns to judge progress against")
    return max(courses.values(), key=lambda c: max(c.depths_mm))


def judge(
    measurement: Measurement,
    *,
    courses: Mapping[str, Course],
    patient: Patient | None = None,
    params: ModelParams | None = None,
    rules: RuleBook | None = None,
) -> Verdict:
    """Ahead, on track or behind for one measurement."""
    m = measurement
    p = params or load_params()
    low, high, response = expected_delta(m.metric, m.day, m.before, courses=courses, patient=patient, params=p)
    if m.metric == "redness":
        book = rules or load_rulebook()
        red = float(expected_redness(deepest(courses), [m.day], rules=book)[0])
        if red >= REDNESS_VISIBLE:
            return Verdict(
                m.metric,
                m.day,
                "on_track",
                m.delta,
                0.0,
                math.inf,
                m.mdc,
                None,
                "redness is expected this soon after a session",
            )
        low, high = 0.0, 0.0
    if m.metric == "tone_ita":
        status = "behind" if m.delta < -m.mdc else "on_track"
        reason = (
            "skin darker than at baseline by more than the smallest detectable change: check for post-inflammatory "
            "hyperpigmentation"
            if status == "behind"
            else "no darkening beyond the smallest detectable change (no expected size is known for skin tone)"
        )
        return Verdict(m.metric, m.day, status, m.delta, 0.0, 0.0, m.mdc, response, reason)
    if m.delta < low - m.mdc:
        status = "ahead"
    elif m.delta > high + m.mdc:
        status = "behind"
    else:
        status = "on_track"
    expects_change = response is not None and m.metric != "redness"
    return Verdict(
        m.metric,
        m.day,
        status,
        m.delta,
        low,
        high,
        m.mdc,
        response,
        _REASONS[expects_change][status],
    )


_REASONS = {
    True: {
        "ahead": "improved more than the expected range, beyond the smallest detectable change",
        "behind": "improved less than the expected range, beyond the smallest detectable change",
        "on_track": "within the expected range, allowing for the smallest detectable change",
    },
    False: {
        "ahead": "better than at baseline beyond the smallest detectable change, though no change was expected",
        "behind": "worse than at baseline beyond the smallest detectable change, where no change was expected "
        "(after the expected redness)",
        "on_track": "no change expected and none beyond the smallest detectable change",
    },
}


def progress(
    measurements: Sequence[Measurement],
    *,
    courses: Mapping[str, Course],
    patient: Patient | None = None,
    params: ModelParams | None = None,
    rules: RuleBook | None = None,
    unmeasured: Sequence[Unmeasured] = (),
) -> Progress:
    """Verdicts for every measurement, in the order given.

    ``courses`` maps each treated response group (a concern's ``outcome``) to its
    course; a metric is judged against the course of the group it measures.
    ``unmeasured`` (what comparisons could not measure) is carried, never judged.
    """
    if not measurements:
        raise InputError("no measurements to judge")
    verdicts = tuple(judge(m, courses=courses, patient=patient, params=params, rules=rules) for m in measurements)
    return Progress(verdicts, tuple(unmeasured))


def _zone_of(compare: Mapping[str, Any], zone: str) -> Mapping[str, Any]:
    zones = compare.get("zones")
    if not isinstance(zones, Mapping) or zone not in zones:
        raise InputError(f"comparison has no zone {zone!r}")
    metrics = zones[zone]
    return metrics if isinstance(metrics, Mapping) else {}


def measurements_from_compare(compare: Mapping[str, Any], *, day: float, zone: str = "face") -> list[Measurement]:
    """Measurements of one zone from a ``dermadelta.compare/1`` JSON object.

    Only measured changes count (``increased``, ``decreased`` or ``none``): a metric
    the comparison could not measure, or whose verdict is missing or unknown, is
    skipped, whatever figures it carries (see :func:`unmeasured_from_compare`).
    """
    found = []
    for metric, values in _zone_of(compare, zone).items():
        if metric not in METRICS or not isinstance(values, Mapping):
            continue
        if values.get("change") not in MEASURED_CHANGES:
            continue
        try:
            found.append(
                Measurement(metric, float(day), float(values["delta"]), float(values["mdc"]), float(values["before"]))
            )
        except (KeyError, TypeError, ValueError):
            raise InputError(f"comparison {zone}/{metric} lacks before, delta or mdc") from None
    return found


def unmeasured_from_compare(compare: Mapping[str, Any], *, day: float, zone: str = "face") -> list[Unmeasured]:
    """The metrics of one zone that a ``dermadelta.compare/1`` object reports as ``not_measurable``, with reasons.

    A reason missing from an older result is "" (never made up).
    """
    found = []
    for metric, values in _zone_of(compare, zone).items():
        if metric not in METRICS or not isinstance(values, Mapping) or values.get("change") != "not_measurable":
            continue
        reason = values.get("reason")
        found.append(Unmeasured(metric, float(day), reason.strip() if isinstance(reason, str) else ""))
    return found


def expected_curve(
    metric: str,
    before: float | None,
    days: Sequence[float] | np.ndarray,
    *,
    courses: Mapping[str, Course],
    patient: Patient | None = None,
    params: ModelParams | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Low and high expected change over ``days`` (for plots)."""
    pairs = [expected_delta(metric, d, before, courses=courses, patient=patient, params=params)[:2] for d in days]
    array = np.array(pairs, dtype=np.float64).reshape(-1, 2)
    return array[:, 0], array[:, 1]
