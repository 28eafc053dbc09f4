"""Metrics: the filters do what their papers say, ignore the nuisance they claim to ignore, and survive bad values."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging.metrics import (
    METRIC_NAMES,
    METRICS,
    band_pass,
    black_hat,
    dark_line_strength,
    masked_gaussian,
    measure,
    metric_maps,
)
from dermadelta.imaging.standardize import Standardized


def test_masked_gaussian_ignores_what_is_outside_the_mask():
    image = np.zeros((64, 64), np.float32)
    mask = np.zeros((64, 64), bool)
    mask[:, :32] = True
    image[:, 32:] = 1000.0  # e.g. an eye next to the skin
    smoothed = masked_gaussian(image, mask, 4.0)
    assert np.abs(smoothed[:, :32]).max() < 1e-3


def test_band_pass_of_a_constant_is_zero():
    image = np.full((64, 64), 3.0, np.float32)
    assert np.abs(band_pass(image, np.ones((64, 64), bool), 1.0, 4.0)).max() < 1e-5


def test_black_hat_finds_a_dark_dot_and_not_a_dark_plateau():
    image = np.ones((64, 64), np.float32)
    image[20:23, 20:23] = 0.5  # a pore-sized dot
    image[40:, 40:] = 0.5  # a large darker region
    response = black_hat(image, 7)
    assert response[21, 21] == pytest.approx(0.5)
    assert response[50, 50] == pytest.approx(0.0)


@pytest.mark.parametrize("angle", [0, 45, 90, 135])
def test_ridge_strength_finds_dark_lines_at_any_orientation(angle):
    import cv2

    image = np.ones((101, 101), np.float32)
    direction = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))]) * 40
    cv2.line(image, tuple((50 - direction).astype(int)), tuple((50 + direction).astype(int)), 0.5, 2)
    strength = dark_line_strength(cv2.GaussianBlur(image, (0, 0), 1.0), (1.5, 2.5))
    assert strength[50, 50] > 10 * np.median(strength)


def _largest_eigenvalue_strength(image, sigmas):
    """The plain ridge measure the project used before: the largest Hessian eigenvalue, x sigma^2."""
    import cv2

    best = np.zeros(image.shape, np.float32)
    for sigma in sigmas:
        smooth = cv2.GaussianBlur(image, (0, 0), sigma)
        hxx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
        hyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3)
        hxy = cv2.Sobel(smooth, cv2.CV_32F, 1, 1, ksize=3)
        largest = 0.5 * (hxx + hyy) + np.sqrt(0.25 * (hxx - hyy) ** 2 + hxy**2)
        np.maximum(best, largest * sigma**2, out=best)
    return best


@pytest.mark.parametrize("radius", [2, 3, 5, 8])
def test_line_strength_keeps_lines_and_drops_most_of_a_round_spot(radius):
    import cv2

    # The issue this guards: round brown spots raised "wrinkles". Against the plain
    # largest-eigenvalue measure, a line of the same width keeps most of its response
    # and a round spot loses most of its own (only its rim, locally line-like, stays).
    sigmas = (2.0, 3.0, 4.5)
    spot = np.ones((101, 101), np.float32)
    cv2.circle(spot, (50, 50), radius, 0.5, -1)
    line = np.ones((101, 101), np.float32)
    cv2.line(line, (10, 50), (90, 50), 0.5, 2 * radius)
    spot, line = cv2.GaussianBlur(spot, (0, 0), 1.0), cv2.GaussianBlur(line, (0, 0), 1.0)
    kept_by_spot = dark_line_strength(spot, sigmas).sum() / _largest_eigenvalue_strength(spot, sigmas).sum()
    kept_by_line = (
        dark_line_strength(line, sigmas)[20:80].sum() / _largest_eigenvalue_strength(line, sigmas)[20:80].sum()
    )
    assert kept_by_spot < 0.5
    assert kept_by_line > 0.75


def test_ridge_strength_ignores_bright_lines():
    import cv2

    image = np.full((64, 64), 0.5, np.float32)
    cv2.line(image, (5, 32), (58, 32), 1.0, 2)
    assert dark_line_strength(image, (1.5,))[32, 32] <= 0


def _with_gain(standardized: Standardized, gain: float) -> Standardized:
    from dataclasses import replace

    return replace(standardized, linear=(standardized.linear * np.float32(gain)).astype(np.float32))


def test_structure_metrics_ignore_exposure(analysis):
    # Texture, pores, wrinkles work on log luminance: a gain of the light cancels.
    brighter = _with_gain(analysis.standardized, 1.3)
    before = analysis.measurements.values["face"]
    after = measure(brighter, analysis.zones).values["face"]
    for metric in ("texture", "pores", "wrinkles"):
        assert after[metric] == pytest.approx(before[metric], rel=0.02), metric


def test_metrics_do_not_move_with_capture_resolution(subject):
    import cv2

    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.pipeline import analyze

    near = analyze(sim.encode_jpeg(subject.rgb, quality=95)).measurements.values["face"]
    farther = cv2.resize(subject.rgb, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    far = analyze(sim.encode_jpeg(farther, quality=95)).measurements.values["face"]
    # Scales in millimetres on the face, not pixels, keep roughness within a few percent.
    assert far["texture"] == pytest.approx(near["texture"], rel=0.10)
    assert far["redness"] == pytest.approx(near["redness"], abs=0.3)


@pytest.mark.parametrize(
    "photo", ["london_087_neutral_f31.jpg", "london_137_neutral_m21.jpg", "webmorph_zoom_15cm.jpg"]
)
def test_texture_does_not_move_when_a_real_photo_has_fewer_pixels(photo):
    import cv2

    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.pipeline import analyze
    from tests.imaging.conftest import FACES

    rgb = np.clip(decode(FACES / photo).rgb, 0, 1).astype(np.float32)
    near = analyze(sim.encode_jpeg(rgb, quality=95)).measurements.values["face"]
    fewer = cv2.resize(rgb, None, fx=0.8, fy=0.8, interpolation=cv2.INTER_AREA)
    far = analyze(sim.encode_jpeg(fewer, quality=95)).measurements.values["face"]
    assert far["texture"] == pytest.approx(near["texture"], rel=0.10)
    assert far["redness"] == pytest.approx(near["redness"], abs=0.3)


def test_too_coarse_a_photo_reports_fine_metrics_as_not_measurable(analysis):
    from dataclasses import replace

    coarse = replace(analysis.standardized, source_pixel_spacing_mm=0.75)
    result = measure(coarse, analysis.zones)
    for metric, spec in METRICS.items():
        value = result.values["face"][metric]
        if spec.finest_scale_mm < 0.75:
            assert value is None and "0.75 mm" in result.not_measurable["face"][metric]
        else:
            assert value is not None


def test_every_metric_is_finite_on_a_real_face(analysis):
    for zone, values in analysis.measurements.values.items():
        for metric in METRIC_NAMES:
            assert np.isfinite(values[metric]), (zone, metric)


def test_nan_pixels_do_not_crash_measurement(analysis):
    from dataclasses import replace

    linear = analysis.standardized.linear.copy()
    linear[::50, ::50] = np.nan
    broken = replace(analysis.standardized, linear=linear)
    with np.errstate(invalid="ignore"):
        maps = metric_maps(broken, analysis.zones.masks["face"])
        result = measure(broken, analysis.zones, maps=maps)
    assert set(result.values) == set(analysis.measurements.values)


def test_a_haemoglobin_change_does_not_move_pigmentation_and_a_melanin_change_not_redness(real_face):
    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.compare import default_repeatability
    from dermadelta.imaging.pipeline import analyze

    rgb, skin = real_face
    table = default_repeatability()
    base = analyze(sim.encode_jpeg(rgb, quality=95)).measurements.values["face"]
    redder = analyze(sim.encode_jpeg(sim.add_redness(rgb, skin, delta_a=3.0), quality=95)).measurements.values["face"]
    tanned = analyze(sim.encode_jpeg(sim.add_melanin(rgb, skin, density=0.03), quality=95)).measurements.values["face"]
    assert redder["redness"] - base["redness"] > table.get("face", "redness")
    assert abs(redder["pigmentation"] - base["pigmentation"]) < table.get("face", "pigmentation")
    assert tanned["pigmentation"] - base["pigmentation"] > table.get("face", "pigmentation")
    assert abs(tanned["redness"] - base["redness"]) < table.get("face", "redness")


def test_clipped_pixels_are_left_out_and_a_mostly_clipped_zone_is_not_measured(analysis):
    from dataclasses import replace

    from dermadelta.imaging.zones import find_zones

    saturated = np.zeros(analysis.standardized.valid.shape, bool)
    saturated &= False
    cheek = analysis.zones.masks["left_cheek"]
    rows = np.flatnonzero(cheek.any(axis=1))
    saturated[rows[0] : rows[len(rows) * 3 // 4]] |= cheek[rows[0] : rows[len(rows) * 3 // 4]]
    clipped = replace(analysis.standardized, saturated=saturated)
    zones = find_zones(clipped)
    assert not (zones.masks["left_cheek"] & saturated).any()
    assert zones.saturated_share["left_cheek"] > 0.5
    result = measure(clipped, zones)
    assert result.values["left_cheek"]["redness"] is None
    assert "glare or an over-exposed colour channel" in result.not_measurable["left_cheek"]["redness"]
    assert result.values["right_cheek"]["redness"] is not None


def test_every_metric_is_documented():
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "METRICS.md").read_text()
    for metric in METRIC_NAMES:
        assert f"`{metric}`" in text


def test_fine_detail_leaves_out_a_rim_along_every_edge_of_the_skin_and_unevenness_the_outline(analysis):
    import cv2
    from scipy.ndimage import binary_fill_holes

    maps = analysis.maps
    skin = analysis.zones.masks["face"][maps.box]
    spacing = analysis.standardized.pixel_spacing_mm
    to_outline = cv2.distanceTransform(binary_fill_holes(skin).astype(np.uint8), cv2.DIST_L2, 5) * spacing
    to_any_edge = cv2.distanceTransform(skin.astype(np.uint8), cv2.DIST_L2, 5) * spacing
    rim, beyond = skin & (to_any_edge < 1.5), skin & (to_any_edge > 2.5)
    for name in ("texture", "pores"):
        read = np.isfinite(getattr(maps, name))
        assert not read[rim].any() and read[beyond].all(), name
    unevenness = np.isfinite(maps.unevenness)
    assert not unevenness[rim].any() and not unevenness[skin & (to_outline < 3.5)].any()
    assert unevenness[beyond & (to_outline > 4.5)].all()
    # The eyes, lips and nostrils are holes of the face, not its outline: beside them only the rim is left out.
    assert unevenness[beyond & (to_outline > 4.5) & (to_any_edge < 4)].any()
    # Lines start at the lids (crow's feet, under the eyes): they keep the rim.
    assert np.isfinite(maps.wrinkles[rim & ~maps.near_spots]).any()


@pytest.mark.parametrize("chromophore", ["haemoglobin", "melanin"])
def test_an_even_redness_or_tan_leaves_unevenness_alone(faces_dir, chromophore):
    """Unevenness is a contrast of log luminance: more of a chromophore everywhere darkens
    the skin but makes it no more or less blotchy. (In L*, a cube root, the same redness
    read as a tone 5 % more even.)"""
    from dataclasses import replace

    from dermadelta.imaging.colour import HAEMOGLOBIN_DENSITY, MELANIN_DENSITY
    from dermadelta.imaging.pipeline import analyze

    analysis = analyze(str(faces_dir / "london_087_neutral_f31.jpg"))
    standardized, skin = analysis.standardized, analysis.zones.masks["face"]
    # Each chromophore's optical density per channel, 1 at green (haemoglobin's already is):
    # the same amount of either everywhere is a fixed attenuation of each channel.
    density = {"haemoglobin": HAEMOGLOBIN_DENSITY, "melanin": MELANIN_DENSITY / MELANIN_DENSITY[1]}
    darker = replace(
        standardized,
        linear=(standardized.linear * np.power(10, -0.1 * density[chromophore])).astype(np.float32),
    )

    def unevenness_and_luminance(photo: Standardized) -> tuple[float, float]:
        maps = metric_maps(photo, skin)
        luminance = photo.linear[skin] @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        return float(np.nanstd(maps.unevenness[skin[maps.box]])), float(np.mean(luminance))

    (before, light_before), (after, light_after) = (
        unevenness_and_luminance(standardized),
        unevenness_and_luminance(darker),
    )
    assert light_after < 0.9 * light_before  # a visible change of colour
    assert after == pytest.approx(before, rel=0.01)


def test_the_face_outline_fills_holes_exactly_as_scipy_does():
    import cv2
    from scipy.ndimage import binary_fill_holes

    from dermadelta.imaging.metrics import _holes_filled

    rng = np.random.default_rng(0)
    for number in range(60):
        shape = (int(rng.integers(20, 120)), int(rng.integers(20, 120)))
        if number % 3 == 0:  # speckle: many holes, some touching the border
            mask = rng.random(shape) < 0.5
        else:  # rings and discs, open and closed, some cut by the border
            drawn = np.zeros(shape, np.uint8)
            for _ in range(int(rng.integers(1, 8))):
                centre = (int(rng.integers(0, shape[1])), int(rng.integers(0, shape[0])))
                thickness = int(rng.choice([-1, 1, 2, 3]))
                cv2.circle(drawn, centre, int(rng.integers(2, 30)), int(rng.integers(0, 2)), thickness)
            mask = drawn.astype(bool)
        np.testing.assert_array_equal(_holes_filled(mask), binary_fill_holes(mask).astype(np.uint8))
