from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dermadelta.imaging.colour import individual_typology_angle
from dermadelta.imaging.harmonise import DetailResolution
from dermadelta.imaging.metrics import METRIC_NAMES, MetricMaps
from dermadelta.imaging.pipeline import Comparison
from dermadelta.reports.change_maps import local_change

SHAPE = (120, 100)
SPACING_MM = 0.2  # 3 mm is 15 px


def flat_maps(*, lightness: float = 60.0, a_star: float = 12.0, b_star: float = 15.0) -> MetricMaps:
    rows, cols = SHAPE
    lab = np.empty((rows, cols, 3), np.float32)
    lab[...] = (lightness, a_star, b_star)
    zeros = np.zeros(SHAPE, np.float32)
    return MetricMaps(
        box=(slice(0, rows), slice(0, cols)),
        lab=lab,
        redness=zeros + a_star,
        melanin=zeros + 40,
        resolution=DetailResolution(blur_mm=0.4, added_blur_mm=0.7),
        unevenness=zeros.copy(),
        texture=zeros.copy(),
        pores=zeros.copy(),
        wrinkles=zeros.copy(),
        spots=np.zeros(SHAPE, bool),
    )


def skin_disc() -> np.ndarray:
    rows, cols = np.indices(SHAPE)
    return (rows - 60) ** 2 + (cols - 50) ** 2 < 45**2


def change(before: MetricMaps, after: MetricMaps, metric: str, skin: np.ndarray | None = None) -> np.ndarray:
    return local_change(before, after, skin_disc() if skin is None else skin, metric, pixel_spacing_mm=SPACING_MM)


@pytest.mark.parametrize("metric", METRIC_NAMES)
def test_the_same_maps_show_no_change_anywhere_on_the_skin(metric: str) -> None:
    maps = flat_maps()
    result = change(maps, maps, metric)
    assert result.dtype == np.float32
    assert result.shape == SHAPE
    np.testing.assert_allclose(result[skin_disc()], 0, atol=1e-4)


@pytest.mark.parametrize("metric", METRIC_NAMES)
def test_it_is_nan_off_the_skin(metric: str) -> None:
    result = change(flat_maps(), flat_maps(a_star=15), metric)
    assert np.isnan(result[~skin_disc()]).all()
    assert np.isfinite(result[skin_disc()]).all()


def test_local_redness_change_is_positive_where_redness_was_added() -> None:
    before = flat_maps()
    redness = before.redness.copy()
    redness[:, 50:] += 3.0
    result = change(before, replace(before, redness=redness), "redness")
    assert result[60, 85] == pytest.approx(3.0, abs=0.05)  # deep in the redder half
    assert result[60, 15] == pytest.approx(0.0, abs=0.05)  # deep in the other half
    assert 0 < result[60, 50] < 3.0  # the edge is blurred over a few millimetres


def test_redness_outside_the_skin_does_not_bleed_into_it() -> None:
    before = flat_maps()
    redness = before.redness.copy()
    redness[~skin_disc()] = 40.0  # lips or a red shirt outside the skin mask
    result = change(before, replace(before, redness=redness), "redness")
    np.testing.assert_allclose(result[skin_disc()], 0, atol=1e-4)


def test_tone_change_is_the_difference_of_ita_angles() -> None:
    result = change(flat_maps(lightness=60, b_star=15), flat_maps(lightness=66, b_star=14), "tone_ita")
    expected = individual_typology_angle(66, 14) - individual_typology_angle(60, 15)
    assert np.nanmedian(result) == pytest.approx(expected, abs=1e-3)


def test_texture_change_is_the_change_of_local_rms() -> None:
    rng = np.random.default_rng(0)
    before = flat_maps()
    rough = replace(before, texture=rng.normal(0, 2.0, SHAPE).astype(np.float32))
    smooth = replace(before, texture=rng.normal(0, 1.0, SHAPE).astype(np.float32))
    result = change(rough, smooth, "texture")
    assert np.nanmedian(result) == pytest.approx(-1.0, abs=0.1)


def test_pore_change_is_the_change_of_local_mean_depth() -> None:
    rng = np.random.default_rng(0)
    before = flat_maps()
    after = replace(before, pores=(rng.random(SHAPE) < 0.25).astype(np.float32))
    result = change(before, after, "pores")
    assert np.nanmedian(result) == pytest.approx(0.25, abs=0.02)
    assert np.nanmin(result) >= 0


def test_non_finite_pixels_are_left_out_and_do_not_spread() -> None:
    before = flat_maps()
    redness = before.redness.copy()
    redness[60, 50] = np.nan
    redness[30, 50] = np.inf
    melanin = before.melanin.copy()
    melanin[70, 40] = np.nan
    after = replace(before, redness=redness + np.float32(1), melanin=melanin)
    redness = change(before, after, "redness")
    assert np.isnan(redness[60, 50]) and np.isnan(redness[30, 50])
    assert np.isfinite(redness[skin_disc()]).sum() == skin_disc().sum() - 2
    np.testing.assert_allclose(redness[61, 50], 1.0, atol=1e-4)
    pigmentation = change(before, after, "pigmentation")
    assert np.isnan(pigmentation[70, 40])
    np.testing.assert_allclose(pigmentation[skin_disc() & np.isfinite(pigmentation)], 0, atol=1e-4)


def test_no_skin_gives_an_all_nan_map() -> None:
    result = change(flat_maps(), flat_maps(a_star=20), "redness", skin=np.zeros(SHAPE, bool))
    assert np.isnan(result).all()


def test_it_refuses_an_unknown_metric_or_mismatched_maps() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        change(flat_maps(), flat_maps(), "shininess")
    shifted = replace(flat_maps(), box=(slice(1, 121), slice(0, 100)))
    with pytest.raises(ValueError, match="different boxes"):
        change(flat_maps(), shifted, "redness")
    with pytest.raises(ValueError, match="positive"):
        local_change(flat_maps(), flat_maps(), skin_disc(), "redness", pixel_spacing_mm=0)


def test_on_a_real_comparison_the_redder_cheek_is_redder(redder_comparison: Comparison) -> None:
    before, after = redder_comparison.before, redder_comparison.after
    assert before.maps is not None and after.maps is not None
    assert before.standardized is not None and before.zones is not None
    masks = before.zones.masks
    result = local_change(
        before.maps, after.maps, masks["face"], "redness", pixel_spacing_mm=before.standardized.pixel_spacing_mm
    )
    box = before.maps.box
    # Redness (haemoglobin) was added to the patient's left half only: the local change
    # there is what the comparison measured on that cheek, and nothing on the other.
    measured = redder_comparison.zones["left_cheek"]["redness"].delta
    assert measured > 0
    assert np.nanmedian(result[masks["left_cheek"][box]]) == pytest.approx(measured, rel=0.25)
    assert abs(np.nanmedian(result[masks["right_cheek"][box]])) < 0.1 * measured
