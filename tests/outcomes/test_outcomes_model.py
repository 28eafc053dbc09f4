"""The expected-response model: shape over time, dose, spacing, patient factors, redness."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.errors import InputError
from dermadelta.outcomes.model import (
    REDNESS_VISIBLE,
    Course,
    Patient,
    expect,
    expected_redness,
    improvement_band,
    mean_improvement,
    pih_risk,
    recovery_windows,
)

DAYS = np.arange(0, 365, 7.0)
SERIES = Course.regular(4, 28, 1.5)


def test_nothing_improves_before_the_first_session_and_improvement_never_falls() -> None:
    values = mean_improvement("acne_scars_rolling", SERIES, DAYS)
    assert values[0] == 0
    assert np.all(np.diff(values) >= -1e-12)


def test_more_sessions_give_more_improvement() -> None:
    three = mean_improvement("wrinkles", Course.regular(3, 28, 1.5), [300])[0]
    six = mean_improvement("wrinkles", Course.regular(6, 28, 1.5), [300])[0]
    assert six > three


def test_deeper_needles_give_more_improvement() -> None:
    shallow = mean_improvement("texture", Course.regular(3, 28, 0.5), [200])[0]
    deep = mean_improvement("texture", Course.regular(3, 28, 1.5), [200])[0]
    assert deep > shallow


def test_closer_spacing_brings_improvement_earlier() -> None:
    close = mean_improvement("texture", Course.regular(4, 28, 1.0), [120])[0]
    wide = mean_improvement("texture", Course.regular(4, 42, 1.0), [120])[0]
    assert close > wide


@pytest.mark.parametrize(
    "worse",
    [
        Patient(age=60),
        Patient(severity="severe"),
        Patient(adherence="poor"),
        Patient(sun="high"),
        Patient(smoker=True),
    ],
)
def test_each_risk_factor_lowers_the_expected_improvement(worse: Patient) -> None:
    # DESIGN.md factors: age, severity, aftercare adherence, sun exposure, smoking.
    base = mean_improvement("wrinkles", SERIES, [200], patient=Patient(age=40))[0]
    assert mean_improvement("wrinkles", SERIES, [200], patient=worse)[0] < base


def test_the_band_contains_the_mean_and_stays_within_zero_and_one() -> None:
    band = improvement_band("texture", SERIES, DAYS)
    assert np.all(band.low <= band.mean) and np.all(band.mean <= band.high)
    assert np.all(band.low >= 0) and np.all(band.high <= 1)


def test_redness_after_two_millimetres_lasts_longer_than_after_half_a_millimetre() -> None:
    # seeds/003: redness 1-2 days; DESIGN.md: deeper needles longer.
    days = np.arange(0, 10, 0.25)
    shallow = expected_redness(Course.regular(1, 28, 0.5), days)
    deep = expected_redness(Course.regular(1, 28, 2.0), days)
    gone_shallow = days[np.argmax(shallow < REDNESS_VISIBLE)]
    gone_deep = days[np.argmax(deep < REDNESS_VISIBLE)]
    assert gone_shallow <= 2 < gone_deep


def test_redness_flares_again_at_every_session() -> None:
    red = expected_redness(SERIES, [0, 20, 28, 50, 56])
    assert red[0] == pytest.approx(1) and red[2] >= 1 and red[4] >= 1
    assert red[1] < REDNESS_VISIBLE and red[3] < REDNESS_VISIBLE


def test_flaking_falls_in_days_three_to_seven_at_medium_depth() -> None:
    # seeds/003: dryness and flaking days 3-7.
    window = recovery_windows(Course.regular(1, 28, 1.0)).flaking[0]
    assert 3 <= window.first_day <= window.last_day <= 7


@pytest.mark.parametrize(
    ("patient", "depth", "risk"),
    [
        (Patient(fitzpatrick="II"), 2.0, "low"),
        (Patient(fitzpatrick="IV"), 1.0, "moderate"),
        (Patient(fitzpatrick="IV"), 2.0, "high"),
        (Patient(fitzpatrick="IV", sun="high"), 0.5, "high"),
        (Patient(fitzpatrick="VI"), 0.5, "high"),
    ],
)
def test_pih_risk_rises_with_darker_skin_depth_and_sun(patient: Patient, depth: float, risk: str) -> None:
    # seeds/000: UV after needling can lead to post-inflammatory hyperpigmentation.
    assert pih_risk(patient, max_depth_mm=depth) == risk


def test_expect_summarises_redness_windows_and_concerns() -> None:
    result = expect(
        {"acne_scars_rolling": SERIES, "texture": Course.regular(4, 28, 0.5)},
        patient=Patient(fitzpatrick="V"),
        months=6,
    )
    data = result.to_dict()
    assert set(data["improvement"]) == {"acne_scars_rolling", "texture"}
    assert len(data["downtime"]) == 4 and data["pih_risk"] == "high"
    assert data["notes"]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Course((), ()),
        lambda: Course((0, 28), (1.0,)),
        lambda: Course((28, 0), (1.0, 1.0)),
        lambda: Course((0,), (float("nan"),)),
        lambda: Course((0,), (-1.0,)),
        lambda: Patient(severity="catastrophic"),
        lambda: Patient(fitzpatrick="VII"),
        lambda: Patient(age=-3),
        lambda: mean_improvement("freckles", SERIES, [10]),
        lambda: expect({}),
        lambda: expect({"texture": SERIES}, months=0),
    ],
)
def test_it_refuses_nonsense_inputs(build) -> None:
    with pytest.raises(InputError):
        build()


def test_a_parameter_citing_a_file_or_the_design_notes_is_refused(monkeypatch, tmp_path) -> None:
    from dermadelta.outcomes import model

    text = model.PARAMS_FILE.read_text(encoding="utf-8")
    model.assumed_params(model.load_params().kinetics)  # the packaged sources all cite articles
    for named in ("seeds/001_daaf24367db97302.txt (pores appear smaller)", "DESIGN.md: red striae respond better"):
        broken = tmp_path / "params.toml"
        broken.write_text(text.replace("Singh and Yadav, Indian Dermatology Online Journal 2016", named, 1))
        monkeypatch.setattr(model, "PARAMS_FILE", broken)
        with pytest.raises(InputError, match=r"\[response\.striae_red\]: source names"):
            model.assumed_params(model.load_params().kinetics)
