"""Measured vs expected: ahead, on track or behind per metric, allowing for the MDC."""

from __future__ import annotations

import datetime as dt

import pytest

from dermadelta.errors import InputError
from dermadelta.outcomes.courses import courses_by_response, courses_from_plan, courses_from_plan_dict
from dermadelta.outcomes.model import Course, improvement_band
from dermadelta.outcomes.progress import (
    Measurement,
    Unmeasured,
    judge,
    measurements_from_compare,
    progress,
    unmeasured_from_compare,
)
from dermadelta.protocol.plan import make_plan, parse_targets

TEXTURE = {"texture": Course.regular(3, 28, 1.0)}


def band_at(day: float) -> tuple[float, float]:
    band = improvement_band("texture", TEXTURE["texture"], [day])
    return float(band.low[0]), float(band.high[0])


def texture(delta: float, *, day: float = 150, mdc: float = 0.01) -> str:
    return judge(Measurement("texture", day, delta, mdc, before=1.0), courses=TEXTURE).status


def test_it_is_on_track_inside_the_expected_band() -> None:
    low, high = band_at(150)
    assert texture(-(low + high) / 2) == "on_track"


def test_it_is_ahead_beyond_the_band_and_the_mdc() -> None:
    _, high = band_at(150)
    assert texture(-high - 0.05) == "ahead"


def test_it_is_behind_when_improvement_falls_short_by_more_than_the_mdc() -> None:
    low, _ = band_at(150)
    assert texture(-low + 0.05) == "behind"
    assert texture(+0.2) == "behind"


def test_a_shortfall_within_the_mdc_is_not_called_behind() -> None:
    low, _ = band_at(150)
    assert texture(-low + 0.05, mdc=0.1) == "on_track"


def test_redness_soon_after_a_session_is_on_track() -> None:
    verdict = judge(Measurement("redness", 1, 5.0, 1.0, before=10), courses=TEXTURE)
    assert verdict.status == "on_track"


def test_persistent_redness_months_later_is_behind() -> None:
    verdict = judge(Measurement("redness", 120, 5.0, 1.0, before=10), courses=TEXTURE)
    assert verdict.status == "behind"


def test_darker_tone_beyond_the_mdc_flags_pigmentation() -> None:
    verdict = judge(
        Measurement("tone_ita", 90, -6.0, 2.0, before=30), courses={"pigmentation": Course.regular(3, 28, 0.5)}
    )
    assert verdict.status == "behind" and "hyperpigmentation" in verdict.reason


def test_an_untreated_metric_is_expected_not_to_change() -> None:
    verdict = judge(Measurement("wrinkles", 90, -0.001, 0.01, before=0.2), courses=TEXTURE)
    assert verdict.status == "on_track" and verdict.response is None


def test_the_latest_measurement_of_each_metric_decides() -> None:
    low, high = band_at(150)
    result = progress(
        [Measurement("texture", 150, -(low + high) / 2, 0.01, 1.0), Measurement("texture", 30, 0.5, 0.01, 1.0)],
        courses=TEXTURE,
    )
    assert result.latest["texture"].status == "on_track"
    assert result.to_dict()["schema"] == "dermadelta.progress/1"


def test_it_reads_the_imaging_comparison_json() -> None:
    compare = {
        "schema": "dermadelta.compare/1",
        "zones": {
            "face": {
                "texture": {"before": 1.0, "after": 0.7, "delta": -0.3, "mdc": 0.02, "change": "decreased"},
                "pores": {"before": 0.1, "after": None, "delta": None, "mdc": 0.01, "change": "not_measurable"},
                "made_up": {"before": 1},
            }
        },
    }
    (m,) = measurements_from_compare(compare, day=90)
    assert (m.metric, m.delta, m.before, m.day) == ("texture", -0.3, 1.0, 90.0)
    with pytest.raises(InputError, match="no zone 'nose'"):
        measurements_from_compare(compare, day=90, zone="nose")


SOFTER = "the after photo is too soft to compare fine detail: it resolves 0.6 mm where this needs 0.3 mm"


def test_it_counts_only_measured_changes_never_a_not_measurable_one() -> None:
    # A softer photo's figures would read as smoother skin: they must not count, whatever they say.
    soft = {"before": 1.0, "after": 0.5, "delta": -0.5, "mdc": 0.02, "change": "not_measurable", "reason": SOFTER}
    compare = {
        "zones": {
            "face": {
                "redness": {"before": 10.0, "after": 10.1, "delta": 0.1, "mdc": 0.5, "change": "none"},
                "texture": soft,
                "pores": {**soft, "reason": "  "},
                "wrinkles": {"before": 1.0, "after": 0.5, "delta": -0.5, "mdc": 0.02},  # no verdict: not a measurement
                "spots": {**soft, "change": "maybe"},
            }
        }
    }

    assert [m.metric for m in measurements_from_compare(compare, day=30)] == ["redness"]
    assert unmeasured_from_compare(compare, day=30) == [
        Unmeasured("texture", 30.0, SOFTER),
        Unmeasured("pores", 30.0, ""),
    ]


def test_a_metric_its_latest_comparison_could_not_measure_has_no_current_verdict() -> None:
    _, high = band_at(30)
    ahead = Measurement("texture", 30, -high - 0.05, 0.01, 1.0)

    later = progress([ahead], courses=TEXTURE, unmeasured=[Unmeasured("texture", 60, SOFTER)])
    same_day = progress([ahead], courses=TEXTURE, unmeasured=[Unmeasured("texture", 30, SOFTER)])
    earlier = progress([ahead], courses=TEXTURE, unmeasured=[Unmeasured("texture", 10, SOFTER)])

    assert later.latest["texture"].status == "ahead" and later.unmeasured_now == {
        "texture": Unmeasured("texture", 60, SOFTER)
    }
    assert later.to_dict()["not_measurable_now"]["texture"]["reason"] == SOFTER
    assert same_day.unmeasured_now == {} and earlier.unmeasured_now == {}  # a measurement of that day or later wins
    assert "not_measurable_now" not in progress([ahead], courses=TEXTURE).to_dict()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Measurement("glow", 10, -0.1, 0.01, 1.0),
        lambda: Measurement("texture", 10, float("nan"), 0.01, 1.0),
        lambda: Measurement("texture", 10, -0.1, float("inf"), 1.0),
        lambda: Measurement("texture", 10, -0.1, -0.01, 1.0),
        lambda: Measurement("texture", -5, -0.1, 0.01, 1.0),
        lambda: judge(Measurement("texture", 10, -0.1, 0.01), courses=TEXTURE),
        lambda: progress([], courses=TEXTURE),
        lambda: courses_from_plan_dict({"plan": {"sessions": []}}),
        lambda: Unmeasured("glow", 10, "why"),
        lambda: Unmeasured("texture", float("nan"), "why"),
    ],
)
def test_it_refuses_broken_measurements(build) -> None:
    with pytest.raises(InputError):
        build()


def test_courses_follow_the_plan_per_concern() -> None:
    plan = make_plan(parse_targets(["acne_scars_rolling:left_cheek", "texture:nose"]), start=dt.date(2027, 1, 11))
    courses = courses_from_plan(plan)
    assert courses["acne_scars_rolling"].depths_mm[0] == 1.5
    assert courses["texture"].depths_mm[0] == 0.25
    assert courses["texture"].session_days == (0, 28, 56, 84)  # one series for both concerns
    assert set(courses_by_response(courses)) == {"acne_scars_rolling", "texture"}
