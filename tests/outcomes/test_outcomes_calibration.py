"""Calibration: the fitted model against each published outcome, within the stated tolerance.

Tolerances are fixed in dermadelta.outcomes.calibration with the reason for each
(the spread of the source data), set before the fit. A point the model misses is
marked as a known miss here, never hidden by widening its tolerance.
"""

from __future__ import annotations

import json

import pytest

from dermadelta.outcomes.calibration import CHECK_POINTS, FIT_POINTS, fit
from dermadelta.outcomes.model import FITTED_FILE, Course, load_params, mean_improvement, responder_rate

POINTS = {point.id: point for point in FIT_POINTS}
KNOWN_MISSES = {
    "alam_2014": "single-wave kinetics that also meet the seeds' 3-6 month plateau rise only "
    "about 4 % from 3 to 6 months after the series; Alam reports 42 % (residual -1.06 tolerances)",
}


@pytest.mark.parametrize(
    "point_id",
    [
        pytest.param(p.id, marks=pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[p.id]))
        if p.id in KNOWN_MISSES
        else p.id
        for p in FIT_POINTS
    ],
)
def test_the_model_meets_each_published_point_within_tolerance(point_id: str) -> None:
    point = POINTS[point_id]
    assert abs(point.residual(load_params())) <= 1.0, (point.source, point.model(load_params()))


def test_dogra_2014_five_monthly_sessions_give_about_45_percent() -> None:
    # Dogra 2014: 11.73 -> 6.5 one month after the 5th monthly session; tolerance 0.08.
    value = mean_improvement("acne_scars_rolling", Course.regular(5, 30, 1.5), [150])[0]
    assert value == pytest.approx(0.45, abs=0.08)


def test_significant_improvement_by_day_90_in_the_2018_schedule() -> None:
    # Ablon 2018: 4 sessions 30 days apart, significant by day 90 (measured at day 150).
    (check,) = CHECK_POINTS
    assert check.model(load_params()) >= check.target


def test_majid_2009_responder_rate_sets_the_band() -> None:
    # Majid 2009: 34 of 36 improved; the band's spread gives P(improvement > 0) = 34/36.
    assert responder_rate() == pytest.approx(34 / 36, abs=1e-9)


def test_collagen_deposition_peaks_at_six_to_eight_weeks() -> None:
    # DESIGN.md and seeds: collagen peaks 6-8 weeks after a session.
    assert 42 <= load_params().kinetics.peak_day <= 56


def test_one_session_gives_most_of_its_result_within_three_to_six_months() -> None:
    # seeds/003_375cff799373794a.txt: full results after 3-6 months.
    assert 90 <= load_params().kinetics.day_reaching(0.9) <= 180


def test_change_is_under_way_within_two_to_four_weeks() -> None:
    # seeds/003_375cff799373794a.txt: visible results 2-4 weeks after a session.
    one = Course.regular(1, 28, 1.0)
    at_14, at_28, at_180 = mean_improvement("texture", one, [14, 28, 180])
    assert 0 < at_14 < at_28 < at_180
    assert at_28 / at_180 >= 0.1


def test_ice_pick_scars_barely_respond_compared_with_rolling() -> None:
    # Connolly 2017: ice-pick scars respond poorly to needling; rolling and boxcar are assumed alike.
    course = Course.regular(5, 30, 1.5)
    rolling, boxcar, icepick = (
        mean_improvement(group, course, [180])[0]
        for group in ("acne_scars_rolling", "acne_scars_boxcar", "acne_scars_icepick")
    )
    assert icepick < rolling / 3 and boxcar == pytest.approx(rolling)


def test_red_striae_respond_better_than_white() -> None:
    # DESIGN.md: red striae respond better than white.
    course = Course.regular(4, 35, 2.0)
    red, white = (mean_improvement(g, course, [240])[0] for g in ("striae_red", "striae_white"))
    assert red > white


def test_texture_laxity_and_wrinkles_keep_the_2018_ratios() -> None:
    # Ablon 2018 at day 150: texture -1.54, wrinkle -1.23, laxity -1.09 grades.
    course = Course.regular(4, 30, 1.5)
    wrinkle, texture, laxity = (mean_improvement(g, course, [150])[0] for g in ("wrinkles", "texture", "laxity"))
    assert texture / wrinkle == pytest.approx(1.54 / 1.23, rel=0.01)
    assert laxity / wrinkle == pytest.approx(1.09 / 1.23, rel=0.01)


def test_the_stored_fit_is_what_the_fit_produces() -> None:
    stored = json.loads(FITTED_FILE.read_text())["kinetics"]
    result = fit()
    assert result.success
    assert result.kinetics.shape == pytest.approx(stored["shape"], rel=1e-3)
    assert result.kinetics.scale_days == pytest.approx(stored["scale_days"], rel=1e-3)
    assert result.kinetics.saturation == pytest.approx(stored["saturation"], rel=1e-3)
    assert result.kinetics.acne_ceiling == pytest.approx(stored["acne_ceiling"], rel=1e-3)
