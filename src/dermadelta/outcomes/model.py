"""Expected response to a course of microneedling: redness by day and improvement by month.

The model follows the healing cascade of the seeds (inflammation, proliferation,
remodeling). Each session starts a wave of new collagen whose cumulative amount
follows a gamma distribution function ``G(t; shape, scale)`` (the deposition
rate peaks at ``(shape - 1) * scale`` days, the seeds' 6-8 weeks). Waves add up
and saturate::

    F(t) = E_concern * factors * (1 - exp(-k * sum_i w(d_i) * G(t - t_i)))

with ``w(d) = (d / 1.5 mm) ** 0.5`` the dose of a session at depth ``d``. ``F`` is
the expected fractional improvement of the concern's severity (0.45 = 45 % less
severe). Between patients, improvement spreads as a normal with ``sd = cv * F``;
``cv`` is set from Majid 2009's responder rate. Redness after each session decays
exponentially, reaching "no longer visibly red" after the depth band's
``redness_days`` (``protocol/rules/care.toml``), the same data the care schedule
uses.

References
----------
Alam M et al. Effect of needle-based microneedling on acne scars: a randomized
split-face trial. JAMA Dermatol 2014. Dogra S et al. Microneedling for acne
scars in Asian skin type. J Cosmet Dermatol 2014. Majid I. Microneedling therapy
in atrophic facial scars. J Cutan Aesthet Surg 2009. Al Chalabi 2020. Ablon G.
Safety and effectiveness of an automated microneedling device in improving the
signs of aging skin. J Clin Aesthet Dermatol 2018. Connolly D et al. Acne scarring:
pathogenesis, evaluation, and treatment options. J Clin Aesthet Dermatol 2017.
"Understanding Micro Needling Results: How Long Until You See Changes?" (timeline).
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import special, stats

from dermadelta.errors import InputError
from dermadelta.protocol.rulebook import RuleBook, load_rulebook

FloatArray = NDArray[np.float64]
PARAMS_FILE = Path(__file__).with_name("params.toml")
FITTED_FILE = Path(__file__).with_name("fitted.json")
#: Redness relative to the session-day peak below which skin no longer looks red.
REDNESS_VISIBLE = 0.2
SEVERITIES = ("mild", "moderate", "severe")
ADHERENCE = ("good", "partial", "poor")
SUN = ("low", "moderate", "high")
FITZPATRICK = ("I", "II", "III", "IV", "V", "VI")


@dataclass(frozen=True)
class Kinetics:
    """Fitted parameters (``fitted.json``): gamma shape and scale (days), saturation, ceiling."""

    shape: float
    scale_days: float
    saturation: float
    acne_ceiling: float

    @property
    def peak_day(self) -> float:
        """Day of fastest collagen deposition after one session (mode of the gamma)."""
        return (self.shape - 1.0) * self.scale_days

    def day_reaching(self, fraction: float) -> float:
        """Day by which one session's wave has laid down ``fraction`` of its collagen."""
        return float(special.gammaincinv(self.shape, fraction) * self.scale_days)


@dataclass(frozen=True)
class ModelParams:
    kinetics: Kinetics
    reference_depth_mm: float
    depth_exponent: float
    cv: float
    coverage: float
    relative: Mapping[str, float]
    factors: Mapping[str, Mapping[str, float]]

    def with_kinetics(self, kinetics: Kinetics) -> ModelParams:
        return replace(self, kinetics=kinetics)


@lru_cache(maxsize=1)
def load_params() -> ModelParams:
    """The packaged parameters: assumptions from params.toml, the fit from fitted.json."""
    try:
        fitted = json.loads(FITTED_FILE.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(
            f"{FITTED_FILE.name} is missing: run python -m dermadelta.outcomes.calibrate --write"
        ) from None
    return assumed_params(Kinetics(**fitted["kinetics"]))


def assumed_params(kinetics: Kinetics) -> ModelParams:
    """params.toml's assumptions and calibrated constants, with the given kinetics."""
    data = tomllib.loads(PARAMS_FILE.read_text(encoding="utf-8"))
    _check_sources(data)
    band = data["band"]
    cv = 1.0 / float(stats.norm.ppf(band["responders"] / band["patients"]))
    factors = {
        name: {k: float(v) for k, v in table.items() if isinstance(v, int | float)}
        for name, table in data["factor"].items()
    }
    return ModelParams(
        kinetics=kinetics,
        reference_depth_mm=float(data["dose"]["reference_depth_mm"]),
        depth_exponent=float(data["dose"]["exponent"]),
        cv=cv,
        coverage=float(band["coverage"]),
        relative={k: float(v["relative"]) for k, v in data["response"].items()},
        factors=factors,
    )


def _check_sources(tables: dict[str, Any], where: str = "") -> None:
    """Every ``source`` cites as the rule book's do: never a file name or a design note."""
    from dermadelta.protocol.rulebook import not_a_citation

    for key, value in tables.items():
        if isinstance(value, dict):
            _check_sources(value, f"{where}.{key}" if where else key)
        elif key == "source" and (problem := not_a_citation(str(value))):
            raise InputError(f"{PARAMS_FILE.name} [{where}]: source {problem}")


@dataclass(frozen=True)
class Course:
    """Sessions as day offsets from the first session, with the depth used for the concern."""

    session_days: tuple[int, ...]
    depths_mm: tuple[float, ...]

    def __post_init__(self) -> None:
        if not self.session_days or len(self.session_days) != len(self.depths_mm):
            raise InputError("a course needs one depth per session and at least one session")
        if any(b < a for a, b in zip(self.session_days, self.session_days[1:], strict=False)):
            raise InputError("session days must be in order")
        if not all(math.isfinite(d) and 0 < d <= 5 for d in self.depths_mm):
            raise InputError("session depths must be between 0 and 5 mm")

    @classmethod
    def regular(cls, sessions: int, interval_days: int, depth_mm: float) -> Course:
        return cls(tuple(i * interval_days for i in range(sessions)), (depth_mm,) * sessions)

    @property
    def last_day(self) -> int:
        return self.session_days[-1]


@dataclass(frozen=True)
class Patient:
    """Patient factors; None means unknown (no adjustment)."""

    age: int | None = None
    fitzpatrick: str | None = None
    severity: str = "moderate"
    adherence: str = "good"
    sun: str = "moderate"
    smoker: bool = False

    def __post_init__(self) -> None:
        checks = (
            (self.severity, SEVERITIES, "severity"),
            (self.adherence, ADHERENCE, "adherence"),
            (self.sun, SUN, "sun"),
        )
        for value, allowed, name in checks:
            if value not in allowed:
                raise InputError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
        if self.fitzpatrick is not None and self.fitzpatrick not in FITZPATRICK:
            raise InputError(f"fitzpatrick must be one of {', '.join(FITZPATRICK)}")
        if self.age is not None and not 0 <= self.age <= 130:
            raise InputError(f"age must be between 0 and 130, not {self.age}")


def patient_factor(patient: Patient, params: ModelParams) -> float:
    """Product of the patient's multiplicative factors on the ceiling."""
    f = params.factors
    age = f["age"]["from_30_to_50"]
    if patient.age is not None:
        age = f["age"]["under_30"] if patient.age < 30 else age
        age = f["age"]["over_50"] if patient.age > 50 else age
    return (
        age
        * f["severity"][patient.severity]
        * f["adherence"][patient.adherence]
        * f["sun"][patient.sun]
        * f["smoking"]["yes" if patient.smoker else "no"]
    )


def session_wave(days: FloatArray, kinetics: Kinetics) -> FloatArray:
    """Fraction of one session's collagen laid down ``days`` after it (0 before)."""
    t = np.clip(np.asarray(days, dtype=np.float64), 0.0, None)
    return np.asarray(special.gammainc(kinetics.shape, t / kinetics.scale_days), dtype=np.float64)


def mean_improvement(
    response: str,
    course: Course,
    days: Sequence[float] | FloatArray,
    *,
    patient: Patient | None = None,
    params: ModelParams | None = None,
) -> FloatArray:
    """Expected fractional improvement of ``response`` (a concern's outcome group) on ``days``.

    ``days`` count from the first session.
    """
    p = params or load_params()
    if response not in p.relative:
        raise InputError(f"unknown response group {response!r} (known: {', '.join(p.relative)})")
    t = np.asarray(days, dtype=np.float64)
    dose = np.zeros_like(t)
    for day, depth in zip(course.session_days, course.depths_mm, strict=True):
        weight = (depth / p.reference_depth_mm) ** p.depth_exponent
        dose += weight * session_wave(t - day, p.kinetics)
    ceiling = p.kinetics.acne_ceiling * p.relative[response]
    factor = patient_factor(patient or Patient(), p)
    return np.asarray(ceiling * factor * (1.0 - np.exp(-p.kinetics.saturation * dose)))


@dataclass(frozen=True)
class Band:
    """Expected improvement (fraction of baseline severity) with a between-patient band."""

    days: FloatArray
    mean: FloatArray
    low: FloatArray
    high: FloatArray
    coverage: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "days": self.days.tolist(),
            "mean": np.round(self.mean, 4).tolist(),
            "low": np.round(self.low, 4).tolist(),
            "high": np.round(self.high, 4).tolist(),
            "coverage": self.coverage,
        }


def improvement_band(
    response: str,
    course: Course,
    days: Sequence[float] | FloatArray,
    *,
    patient: Patient | None = None,
    params: ModelParams | None = None,
) -> Band:
    """Mean improvement and the central ``coverage`` band between patients."""
    p = params or load_params()
    mean = mean_improvement(response, course, days, patient=patient, params=p)
    z = float(stats.norm.ppf(0.5 + p.coverage / 2))
    low = np.clip(mean * (1 - z * p.cv), None, 1.0)
    high = np.clip(mean * (1 + z * p.cv), None, 1.0)
    return Band(np.asarray(days, dtype=np.float64), mean, low, high, p.coverage)


def responder_rate(params: ModelParams | None = None) -> float:
    """Share of patients expected to improve at all, P(improvement > 0)."""
    p = params or load_params()
    return float(stats.norm.cdf(1.0 / p.cv))


def expected_redness(
    course: Course, days: Sequence[float] | FloatArray, *, rules: RuleBook | None = None
) -> FloatArray:
    """Redness relative to a session-day peak (1.0), summed over sessions, on ``days``.

    Each session's redness decays exponentially so that it falls below
    :data:`REDNESS_VISIBLE` after its depth band's ``redness_days``.
    """
    book = rules or load_rulebook()
    t = np.asarray(days, dtype=np.float64)
    redness = np.zeros_like(t)
    for day, depth in zip(course.session_days, course.depths_mm, strict=True):
        band = book.depth_band(depth)
        tau = max(band.redness_days, 0.5) / math.log(1.0 / REDNESS_VISIBLE)
        since = t - day
        redness += np.where(since >= 0, np.exp(-np.clip(since, 0, None) / tau), 0.0)
    return redness


@dataclass(frozen=True)
class Window:
    session: int
    first_day: int
    last_day: int


@dataclass(frozen=True)
class RecoveryWindows:
    """Downtime (visible redness) and flaking windows after each session, in course days."""

    downtime: tuple[Window, ...]
    flaking: tuple[Window, ...]


def recovery_windows(course: Course, *, rules: RuleBook | None = None) -> RecoveryWindows:
    book = rules or load_rulebook()
    downtime, flaking = [], []
    for index, (day, depth) in enumerate(zip(course.session_days, course.depths_mm, strict=True)):
        band = book.depth_band(depth)
        downtime.append(Window(index + 1, day, day + band.redness_days))
        flaking.append(Window(index + 1, day + band.flaking_first_day, day + band.flaking_last_day))
    return RecoveryWindows(tuple(downtime), tuple(flaking))


def pih_risk(patient: Patient, *, max_depth_mm: float) -> str:
    """Post-inflammatory hyperpigmentation risk: low, moderate or high.

    Fitzpatrick IV-VI carry more risk ("Unlock Radiant Skin": UV after needling can cause
    PIH); deeper needles and high sun exposure raise it a level.
    """
    level = 0
    if patient.fitzpatrick in ("IV",):
        level = 1
    elif patient.fitzpatrick in ("V", "VI"):
        level = 2
    if level and (max_depth_mm > 1.5 or patient.sun == "high"):
        level = min(level + 1, 2)
    return ("low", "moderate", "high")[level]


@dataclass(frozen=True)
class ConcernExpectation:
    concern: str
    response: str
    band: Band


@dataclass(frozen=True)
class Expectation:
    course: Course
    redness_days: FloatArray
    redness: FloatArray
    windows: RecoveryWindows
    concerns: tuple[ConcernExpectation, ...]
    pih_risk: str
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "dermadelta.expect/1",
            "sessions": [
                {"day": d, "depth_mm": m} for d, m in zip(self.course.session_days, self.course.depths_mm, strict=True)
            ],
            "redness": {
                "days": self.redness_days.tolist(),
                "relative": np.round(self.redness, 4).tolist(),
            },
            "downtime": [vars(w) for w in self.windows.downtime],
            "flaking": [vars(w) for w in self.windows.flaking],
            "improvement": {c.concern: {"response": c.response, **c.band.to_dict()} for c in self.concerns},
            "pih_risk": self.pih_risk,
            "notes": list(self.notes),
        }


def expect(
    concerns: Mapping[str, Course],
    *,
    patient: Patient | None = None,
    months: int = 9,
    rules: RuleBook | None = None,
    params: ModelParams | None = None,
) -> Expectation:
    """What a patient can expect from courses per concern (each concern may differ in depth).

    Redness is modelled on the deepest course; improvement is reported weekly
    for ``months`` months from the first session.
    """
    book = rules or load_rulebook()
    p = params or load_params()
    who = patient or Patient()
    if not concerns:
        raise InputError("expect needs at least one concern")
    if not 1 <= months <= 60:
        raise InputError("months must be between 1 and 60")
    deepest = max(concerns.values(), key=lambda c: max(c.depths_mm))
    horizon = deepest.last_day + 21
    red_days = np.arange(0, horizon + 1, dtype=np.float64)
    weeks = np.arange(0, months * 30.44 + 1, 7.0)
    expectations = tuple(
        ConcernExpectation(
            concern_id,
            book.concern(concern_id).outcome,
            improvement_band(book.concern(concern_id).outcome, course, weeks, patient=who, params=p),
        )
        for concern_id, course in concerns.items()
    )
    max_depth = max(max(c.depths_mm) for c in concerns.values())
    risk = pih_risk(who, max_depth_mm=max_depth)
    notes = []
    if risk != "low":
        notes.append(f"post-inflammatory hyperpigmentation risk {risk}: strict sun protection, conservative depths")
    return Expectation(
        deepest,
        red_days,
        expected_redness(deepest, red_days, rules=book),
        recovery_windows(deepest, rules=book),
        expectations,
        risk,
        tuple(notes),
    )
