"""The course measured against what the plan leads us to expect, and the zone tables of one comparison."""

from __future__ import annotations

import copy
import datetime as dt
import io
from typing import Any

import pytest
from PIL import Image

from dermadelta.clinic.records.choices import JobStatus, QualityVerdict, View
from dermadelta.clinic.records.course_progress import (
    NO_PLAN,
    NOTHING_MEASURED,
    alignment_of,
    course_progress,
    finding_list,
    first_session_day,
    message_png,
    outcome_patient,
    progress_chart_png,
    stored_changes,
    zone_choices,
    zone_table,
)
from dermadelta.clinic.records.models import Comparison, Patient, Photo, TreatmentPlan, TreatmentSession
from dermadelta.protocol.plan import make_plan, parse_targets
from tests.clinic.progress_records import stand_in_photo

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = dt.date(2025, 1, 6)
#: A dermadelta.compare/1 result of the kind the worker stores (the simulated pair's whole-face figures).
RESULT: dict[str, Any] = {
    "schema": "dermadelta.compare/1",
    "alignment": {"after_to_before": None, "residual_iod": 0.0085, "after_colour_gains": [0.9704, 0.88426, 0.96603]},
    "zones": {
        "face": {
            "redness": {
                "before": 10.611296,
                "after": 7.99013,
                "delta": -2.621166,
                "mdc": 0.50022,
                "change": "decreased",
            },
            "texture": {
                "before": 5.577498,
                "after": 3.688998,
                "delta": -1.8885,
                "mdc": 0.089456,
                "change": "decreased",
            },
            "pores": {
                "before": 3.1529,
                "after": 1.5623,
                "delta": -1.5906,
                "mdc": 0.3885,
                "change": "decreased",
            },
            "pigmentation": {"before": 51.4, "after": 51.5, "delta": 0.1, "mdc": 0.58, "change": "none"},
            "wrinkles": {
                "before": None,
                "after": None,
                "delta": None,
                "mdc": None,
                "change": "not_measurable",
                "reason": "too little skin in the zone",
            },
        },
        "forehead": {
            "redness": {"before": 9.0, "after": 9.9, "delta": 0.9, "mdc": 0.6, "change": "increased"},
        },
        "chin": {},
    },
}


def _photo(patient: Patient, name: str, day: dt.date, *, view: str = View.FRONT, quality: str = "ok") -> Photo:
    return stand_in_photo(patient, name, day, view=view, quality=quality)


def _compare(
    patient: Patient, before: Photo, after: Photo, result: dict[str, Any] | None = None, **fields: Any
) -> Comparison:
    return Comparison.objects.create(
        patient=patient,
        before=before,
        after=after,
        status=fields.pop("status", JobStatus.DONE),
        result=copy.deepcopy(RESULT) if result is None else result,
        **fields,
    )


@pytest.fixture
def plan(patient: Patient) -> TreatmentPlan:
    made = make_plan(parse_targets(["texture:left_cheek,right_cheek", "enlarged_pores:nose"]), start=START)
    return TreatmentPlan.objects.create(
        patient=patient,
        targets=["texture:left_cheek,right_cheek", "enlarged_pores:nose"],
        start=START,
        plan=made.to_dict(),
    )


# --- the course -----------------------------------------------------------------------------------


def test_without_a_plan_there_is_nothing_to_judge_and_the_chart_says_so(patient):
    course = course_progress(patient)

    assert course.progress is None and course.reason == NO_PLAN
    assert progress_chart_png(course).startswith(PNG_SIGNATURE)


def test_with_a_plan_but_no_comparison_nothing_is_measured_yet(patient, plan):
    course = course_progress(patient)

    assert course.progress is None and course.reason == NOTHING_MEASURED
    assert course.first_session == START
    png = progress_chart_png(course)
    assert png.startswith(PNG_SIGNATURE) and png == message_png(NOTHING_MEASURED)


def test_it_judges_each_measurement_since_baseline_against_the_plan(patient, plan):
    baseline = _photo(patient, "a", START - dt.timedelta(days=3))
    later = _photo(patient, "b", START + dt.timedelta(days=90))
    comparison = _compare(patient, baseline, later)

    course = course_progress(patient)

    assert course.progress is not None and course.comparisons == (comparison.pk,)
    assert {m.metric for m in course.measurements} == {"redness", "texture", "pores", "pigmentation"}
    assert {m.day for m in course.measurements} == {90.0}
    assert course.baselines["texture"] == pytest.approx(5.577498)
    assert set(course.courses) == {"texture", "pores"}  # keyed by response group
    latest = {item["metric"]: item for item in course.latest()}
    assert latest["texture"]["label"] == "Texture (roughness)" and latest["texture"]["day"] == 90
    assert latest["texture"]["words"] in ("ahead of what is expected", "on track", "behind what is expected")
    assert latest["redness"]["status"] == "ahead"  # less redness where no change was expected, beyond the MDC


SOFTER = "the after photo is too soft to compare fine detail: it resolves 0.6 mm where this needs 0.3 mm"


def _softer_result() -> dict[str, Any]:
    """Texture, pores and lines not measurable (their figures, if counted, would be well ahead); redness unchanged."""
    face = copy.deepcopy(RESULT["zones"]["face"])
    for metric in ("texture", "pores", "wrinkles"):
        face[metric] = {**face[metric], "change": "not_measurable", "reason": SOFTER}
    face["wrinkles"] |= {"before": 0.4, "after": 0.2, "delta": -0.2, "mdc": 0.02}
    face["redness"] = {"before": 10.6, "after": 10.7, "delta": 0.1, "mdc": 0.5, "change": "none"}
    return {**copy.deepcopy(RESULT), "zones": {"face": face}}


def test_a_metric_the_comparison_could_not_measure_is_never_ahead(patient, plan):
    _compare(
        patient, _photo(patient, "a", START), _photo(patient, "b", START + dt.timedelta(days=30)), _softer_result()
    )

    course = course_progress(patient)

    assert course.progress is not None
    assert {m.metric for m in course.measurements} == {"redness", "pigmentation"}  # neither a change nor zero
    latest = {item["metric"]: item for item in course.latest()}
    assert "ahead" not in {item["status"] for item in latest.values()}
    for metric in ("texture", "pores", "wrinkles"):
        assert (latest[metric]["status"], latest[metric]["words"]) == ("not_measurable", "not measurable")
        assert (latest[metric]["reason"], latest[metric]["tone"], latest[metric]["day"]) == (SOFTER, "unknown", 30)
    assert progress_chart_png(course).startswith(PNG_SIGNATURE)


def test_a_later_photo_too_soft_for_fine_detail_does_not_keep_an_earlier_ahead(patient, plan):
    baseline = _photo(patient, "a", START)
    _compare(patient, baseline, _photo(patient, "b", START + dt.timedelta(days=30)))  # texture measured: ahead
    _compare(patient, baseline, _photo(patient, "c", START + dt.timedelta(days=60)), _softer_result())

    course = course_progress(patient)

    assert course.progress is not None and course.progress.latest["texture"].status == "ahead"  # day 30, measured
    latest = {item["metric"]: item for item in course.latest()}
    assert (latest["texture"]["status"], latest["texture"]["day"], latest["texture"]["reason"]) == (
        "not_measurable",
        60,
        SOFTER,
    )
    assert latest["redness"]["status"] != "ahead" and latest["redness"]["day"] == 60
    assert progress_chart_png(course).startswith(PNG_SIGNATURE)


def test_real_measured_improvements_still_count(patient, plan):
    _compare(patient, _photo(patient, "a", START), _photo(patient, "b", START + dt.timedelta(days=30)))

    course = course_progress(patient)

    latest = {item["metric"]: item for item in course.latest()}
    assert (latest["texture"]["status"], latest["texture"]["words"]) == ("ahead", "ahead of what is expected")
    assert latest["pores"]["status"] == "ahead" and latest["texture"]["tone"] == "better"
    assert latest["wrinkles"]["status"] == "not_measurable"  # not measured in this comparison either
    assert latest["wrinkles"]["reason"] == "too little skin in the zone"


def test_an_older_result_without_a_reason_says_no_reason_was_recorded(patient, plan):
    result = _softer_result()
    for values in result["zones"]["face"].values():
        values.pop("reason", None)
    _compare(patient, _photo(patient, "a", START), _photo(patient, "b", START + dt.timedelta(days=30)), result)

    latest = {item["metric"]: item for item in course_progress(patient).latest()}

    assert (latest["texture"]["words"], latest["texture"]["reason"]) == ("not measurable", "no reason was recorded")


def test_when_nothing_could_be_measured_the_course_says_why(patient, plan):
    result = _softer_result()
    result["zones"]["face"] = {m: v for m, v in result["zones"]["face"].items() if v["change"] == "not_measurable"}
    _compare(patient, _photo(patient, "a", START), _photo(patient, "b", START + dt.timedelta(days=30)), result)

    course = course_progress(patient)

    assert course.progress is None
    assert course.reason == f"Nothing could be measured yet: {SOFTER}."


def test_the_chart_is_a_real_chart_once_something_is_measured(patient, plan):
    _compare(patient, _photo(patient, "a", START), _photo(patient, "b", START + dt.timedelta(days=60)))

    png = progress_chart_png(course_progress(patient))

    assert png.startswith(PNG_SIGNATURE)
    width, height = Image.open(io.BytesIO(png)).size
    assert width > 800 and height > 300  # panels per metric, not the one-line message
    assert png != message_png(NOTHING_MEASURED)


def test_it_counts_only_comparisons_from_before_treatment(patient, plan):
    during = _photo(patient, "a", START + dt.timedelta(days=30))
    later = _photo(patient, "b", START + dt.timedelta(days=90))
    _compare(patient, during, later)  # not a change since baseline
    _compare(
        patient, _photo(patient, "c", START - dt.timedelta(days=20)), _photo(patient, "d", START - dt.timedelta(days=5))
    )

    course = course_progress(patient)

    assert course.progress is None and course.reason == NOTHING_MEASURED


def test_it_skips_unfinished_and_unmeasured_comparisons(patient, plan):
    baseline = _photo(patient, "a", START)
    _compare(patient, baseline, _photo(patient, "b", START + dt.timedelta(days=30)), status=JobStatus.QUEUED)
    _compare(patient, baseline, _photo(patient, "c", START + dt.timedelta(days=40)), result={"zones": {}})
    _compare(patient, baseline, _photo(patient, "d", START + dt.timedelta(days=50)), status=JobStatus.FAILED)

    assert course_progress(patient).reason == NOTHING_MEASURED


def test_it_follows_the_front_view_and_one_point_per_photo(patient, plan):
    first, second = _photo(patient, "a", START - dt.timedelta(days=10)), _photo(patient, "b", START)
    later = _photo(patient, "c", START + dt.timedelta(days=60))
    kept = _compare(patient, first, later)
    _compare(patient, second, later)  # the same after photo from a later baseline: not counted twice
    side_before = _photo(patient, "d", START, view=View.LEFT)
    _compare(patient, side_before, _photo(patient, "e", START + dt.timedelta(days=60), view=View.LEFT))

    course = course_progress(patient)

    assert course.view == View.FRONT and course.comparisons == (kept.pk,)


def test_a_side_view_is_followed_when_there_is_no_front_view(patient, plan):
    before = _photo(patient, "a", START, view=View.LEFT)
    _compare(patient, before, _photo(patient, "b", START + dt.timedelta(days=60), view=View.LEFT))

    assert course_progress(patient).view == View.LEFT


def test_day_zero_is_the_first_session_charted_under_the_plan(patient, plan):
    assert first_session_day(plan) == START
    TreatmentSession.objects.create(
        patient=patient, plan=plan, number=1, on=START + dt.timedelta(days=7), depths={"nose": 0.5}
    )

    assert first_session_day(plan) == START + dt.timedelta(days=7)


def test_a_plan_the_outcome_model_cannot_read_is_no_plan(patient):
    TreatmentPlan.objects.create(patient=patient, targets=["texture"], start=START, plan={"sessions": []})

    course = course_progress(patient)

    assert course.progress is None and course.reason == NO_PLAN


def test_the_patient_factors_are_age_and_skin_type(patient):
    who = outcome_patient(patient, today=dt.date(2026, 4, 1))
    assert (who.age, who.fitzpatrick) == (37, "III")

    patient.fitzpatrick = None
    assert outcome_patient(patient, today=dt.date(2026, 4, 2)).age == 38
    assert outcome_patient(patient).fitzpatrick is None


def test_the_baseline_is_the_first_usable_photo_of_the_view(patient):
    _photo(patient, "r", START - dt.timedelta(days=20), quality=QualityVerdict.REJECT)
    first = _photo(patient, "a", START - dt.timedelta(days=10), quality=QualityVerdict.WARN)
    _photo(patient, "b", START)
    side = _photo(patient, "c", START + dt.timedelta(days=5), view=View.LEFT)

    assert patient.baseline(View.FRONT) == first
    assert patient.baseline(View.LEFT) == side
    assert patient.baseline(View.RIGHT) is None


# --- the tables of one comparison ------------------------------------------------------------------


def test_the_zone_table_says_what_the_report_says():
    rows = {row["id"]: row for row in zone_table(RESULT)}

    assert list(rows) == ["face", "forehead"]  # zones with nothing measured are left out
    face = {m["label"]: m for m in rows["face"]["metrics"]}
    assert face["Redness"] == {
        "label": "Redness",
        "unit": face["Redness"]["unit"],
        "before": "10.61",
        "after": "7.99",
        "delta": "-2.62",
        "mdc": "0.50",
        "verdict": "less redness",
        "reason": "",
        "tone": "better",
    }
    assert (face["Pores"]["before"], face["Pores"]["unit"]) == ("3.15", "% contrast")
    assert face["Pigmentation"]["verdict"] == "no detectable change"
    wrinkles = face["Lines and wrinkles"]
    assert (wrinkles["verdict"], wrinkles["reason"], wrinkles["tone"]) == (
        "not measurable",
        "too little skin in the zone",
        "unknown",
    )
    assert rows["forehead"]["zone"] == "forehead" and rows["forehead"]["metrics"][0]["tone"] == "worse"


def test_the_findings_name_the_zones_of_each_change():
    found = {f["words"]: f["zones"] for f in finding_list(RESULT)}

    assert found["less redness"] == ["whole face"]
    assert found["more redness"] == ["forehead"]
    assert "no detectable change" not in found


def test_the_zone_choices_are_the_measured_zones_face_first():
    assert zone_choices(RESULT) == [("face", "whole face"), ("forehead", "forehead")]


@pytest.mark.parametrize(
    "broken",
    [
        None,
        {},
        {"zones": "face"},
        {"zones": {"face": "redness"}},
        {"zones": {"face": {"redness": {"before": "ten", "delta": [], "change": "decreased"}}}},
        {"zones": {"face": {"redness": {"before": 1.0}, "colour": {"change": "none"}}}},
        {"zones": {"face": {"redness": {"before": True, "after": 1e308, "delta": float("nan"), "change": "none"}}}},
    ],
)
def test_a_stored_result_that_does_not_fit_never_breaks_the_page(broken):
    rows = zone_table(broken)
    finding_list(broken)
    zone_choices(broken)
    alignment_of(broken)

    assert all(m["label"] in ("Redness",) for row in rows for m in row["metrics"])


def test_text_numbers_are_not_numbers():
    changes = stored_changes({"zones": {"face": {"redness": {"before": "10", "change": "none"}}}})

    assert changes.zones["face"]["redness"].before is None


def test_the_alignment_is_judged_against_the_target():
    good = alignment_of(RESULT)
    assert good is not None
    assert (good["residual_percent"], good["residual_ok"], good["gains_large"]) == ("0.85", True, True)
    assert good["gains"] == ["0.970", "0.884", "0.966"]

    poor = alignment_of({"alignment": {"residual_iod": 0.031, "after_colour_gains": [1.0, 1.02, 0.99]}})
    assert poor is not None and (poor["residual_ok"], poor["gains_large"]) == (False, False)
    assert alignment_of({"alignment": {"residual_iod": None}}) is None
    assert alignment_of({"alignment": {"residual_iod": 0.01, "after_colour_gains": "n/a"}})["gains"] == []


def test_a_comparison_whose_light_could_not_be_matched_says_so_in_plain_words():
    matched = alignment_of(RESULT)
    unmatched = alignment_of({"alignment": {"residual_iod": 0.006, "after_colour_gains": None}})
    assert matched is not None and matched["unmatched"] == ""
    assert unmatched is not None and unmatched["gains"] == []
    assert "could not be matched" in unmatched["unmatched"]
    assert "redness" in unmatched["unmatched"] and "gain" not in unmatched["unmatched"]
