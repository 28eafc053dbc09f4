"""Published outcome points and the least-squares fit of the model's kinetics to them.

Run ``python -m dermadelta.outcomes.calibrate --write`` to refit and store the
result in ``fitted.json``; the same points are checked by the test suite with
the tolerances stated here (set from the data's own spread before fitting, not
loosened afterwards).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from dermadelta.outcomes.model import Course, Kinetics, ModelParams, assumed_params, mean_improvement
from dermadelta.protocol.rulebook import load_rulebook

#: The public article the timeline facts come from, cited by its title.
_TIMELINE_ARTICLE = '"Understanding Micro Needling Results: How Long Until You See Changes?"'


@dataclass(frozen=True)
class Point:
    """One calibration target: the model's value, the published value, and the tolerance."""

    id: str
    source: str
    description: str
    target: float
    tolerance: float
    unit: str
    model: Callable[[ModelParams], float]

    def residual(self, params: ModelParams) -> float:
        """Model minus target, in tolerances (|r| <= 1 is within tolerance)."""
        return (self.model(params) - self.target) / self.tolerance


def _acne(sessions: int, interval: int, day: float, depth: float = 1.5) -> Callable[[ModelParams], float]:
    def value(params: ModelParams) -> float:
        course = Course.regular(sessions, interval, depth)
        return float(mean_improvement("acne_scars_rolling", course, [day], params=params)[0])

    return value


def _alam_ratio(params: ModelParams) -> float:
    # 3 sessions 2 weeks apart; follow-up counted from the final session (day 28).
    course = Course.regular(3, 14, 1.5)
    three, six = mean_improvement("acne_scars_rolling", course, [28 + 91, 28 + 182], params=params)
    return float(six / three)


_TIMELINE = load_rulebook().timeline
_PEAK = sum(_TIMELINE.collagen_peak_days) / 2
_PEAK_HALF = (_TIMELINE.collagen_peak_days[1] - _TIMELINE.collagen_peak_days[0]) / 2
_FULL = sum(_TIMELINE.full_results_days) / 2
_FULL_HALF = (_TIMELINE.full_results_days[1] - _TIMELINE.full_results_days[0]) / 2

#: Points the fit uses. Tolerances: the two uncontrolled acne series disagree (fewer
#: sessions gave more improvement in Al Chalabi than in Dogra), so no single model
#: can sit within their reporting precision of both; 0.08 (8 points of percent
#: improvement) is the half-difference of the two series (0.53 - 0.45) / 2 plus
#: rounding. The Alam ratio 3.4 / 2.4 rests on two mean changes of about 1 grade
#: precision each: 0.35. Seed ranges are used as given (the half-width).
FIT_POINTS = (
    Point(
        "dogra_2014",
        "Dogra 2014: 5 monthly sessions, score 11.73 -> 6.5 one month after the last",
        "acne scars, 5 sessions 30 days apart, day 150",
        0.45,
        0.08,
        "fraction improved",
        _acne(5, 30, 150),
    ),
    Point(
        "al_chalabi_2020",
        "Al Chalabi 2020: 4 sessions 6 weeks apart, Goodman-Baron 16.39 -> 7.78 "
        "(assessed one month after the last session: assumption)",
        "acne scars, 4 sessions 42 days apart, day 156",
        0.53,
        0.08,
        "fraction improved",
        _acne(4, 42, 126 + 30),
    ),
    Point(
        "alam_2014",
        "Alam 2014: scar score -2.4 at 3 months, -3.4 at 6 months (counted from the final session: assumption)",
        "acne scars, 3 sessions 14 days apart: improvement at 6 months / at 3 months",
        3.4 / 2.4,
        0.35,
        "ratio",
        _alam_ratio,
    ),
    Point(
        "seed_collagen_peak",
        f"{_TIMELINE_ARTICLE}: collagen peaks 6-8 weeks after a session",
        "day of fastest collagen deposition after one session",
        _PEAK,
        _PEAK_HALF,
        "days",
        lambda p: p.kinetics.peak_day,
    ),
    Point(
        "seed_full_results",
        f"{_TIMELINE_ARTICLE}: full results after 3-6 months",
        "day by which one session has given 90 % of its effect",
        _FULL,
        _FULL_HALF,
        "days",
        lambda p: p.kinetics.day_reaching(0.9),
    ),
)


def _check_2018(params: ModelParams) -> float:
    course = Course.regular(4, 30, 1.5)
    day90, day150 = mean_improvement("wrinkles", course, [90, 150], params=params)
    return float(day90 / day150)


#: Points checked but not fitted (they constrain nothing the fit could move, or are
#: qualitative in the source). ``target`` is the threshold and ``tolerance`` the margin.
CHECK_POINTS = (
    Point(
        "device_2018_day90",
        "Ablon 2018: 4 sessions 30 days apart, significant by day 90, measured at day 150",
        "wrinkles: improvement at day 90 / at day 150 (at least half: 'significant by day 90')",
        0.5,
        1.0,
        "ratio",
        _check_2018,
    ),
)


@dataclass(frozen=True)
class FitResult:
    kinetics: Kinetics
    residuals: dict[str, float]
    values: dict[str, float]
    cost: float
    success: bool


def fit(start: ModelParams | None = None) -> FitResult:
    """Least-squares fit of shape, scale, saturation and acne ceiling to :data:`FIT_POINTS`."""
    # The starting kinetics only seed the search; the result does not depend on fitted.json.
    base = start or assumed_params(Kinetics(3.0, 25.0, 0.5, 0.6))

    def params_from(x: np.ndarray) -> ModelParams:
        return base.with_kinetics(Kinetics(float(x[0]), float(x[1]), float(x[2]), float(x[3])))

    def residuals(x: np.ndarray) -> np.ndarray:
        params = params_from(x)
        return np.array([point.residual(params) for point in FIT_POINTS])

    initial = np.array([3.0, 25.0, 0.5, 0.6])
    result = optimize.least_squares(residuals, initial, bounds=([1.05, 2.0, 0.01, 0.05], [20.0, 200.0, 10.0, 1.0]))
    params = params_from(result.x)
    return FitResult(
        kinetics=params.kinetics,
        residuals={p.id: p.residual(params) for p in FIT_POINTS},
        values={p.id: p.model(params) for p in (*FIT_POINTS, *CHECK_POINTS)},
        cost=float(result.cost),
        success=bool(result.success),
    )
