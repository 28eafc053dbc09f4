"""Colour maths against colour-science and the published ITA bands."""

from __future__ import annotations

import colour
import numpy as np
import pytest

from dermadelta.imaging.colour import (
    erythema_index,
    individual_typology_angle,
    ita_band,
    lab_to_linear,
    linear_to_srgb,
    melanin_index,
    srgb_to_lab,
    srgb_to_linear,
)


@pytest.fixture
def rgb():
    return np.random.default_rng(0).uniform(0, 1, (64, 64, 3)).astype(np.float32)


def test_srgb_decoding_matches_colour_science(rgb):
    expected = colour.models.eotf_sRGB(rgb.astype(np.float64))
    np.testing.assert_allclose(srgb_to_linear(rgb), expected, atol=2e-6)


def test_srgb_encoding_matches_colour_science(rgb):
    expected = colour.models.eotf_inverse_sRGB(rgb.astype(np.float64))
    np.testing.assert_allclose(linear_to_srgb(rgb), expected, atol=2e-6)


def test_lab_matches_colour_science_in_float32(rgb):
    expected = colour.XYZ_to_Lab(colour.sRGB_to_XYZ(rgb.astype(np.float64)))
    lab = srgb_to_lab(rgb)
    assert lab.dtype == np.float32
    np.testing.assert_allclose(lab, expected, atol=2e-3)


def test_lab_of_white_and_black():
    # sRGB white is D65 to the rounding of the standard's matrix: a* and b* under 0.01.
    np.testing.assert_allclose(srgb_to_lab(np.array([1, 1, 1], np.float32)), [100, 0, 0], atol=1e-2)
    np.testing.assert_allclose(srgb_to_lab(np.array([0, 0, 0], np.float32)), [0, 0, 0], atol=1e-3)


def test_lab_round_trips(rgb):
    linear = srgb_to_linear(rgb)
    np.testing.assert_allclose(lab_to_linear(srgb_to_lab(rgb)), linear, atol=1e-4)


def test_float_lab_resolves_differences_8_bit_lab_cannot():
    # Two skin colours 0.3 a* apart: 8-bit OpenCV Lab rounds a* to whole steps.
    import cv2

    base = np.array([[[0.78, 0.60, 0.52]]], np.float32)
    redder = lab_to_linear(srgb_to_lab(base) + np.array([0, 0.3, 0], np.float32))
    float_delta = srgb_to_lab(linear_to_srgb(redder))[0, 0, 1] - srgb_to_lab(base)[0, 0, 1]
    eight_bit = [
        cv2.cvtColor(np.round(x * 255).astype(np.uint8), cv2.COLOR_RGB2LAB)[0, 0, 1]
        for x in (base, linear_to_srgb(redder))
    ]
    assert float_delta == pytest.approx(0.3, abs=0.02)
    assert int(eight_bit[1]) - int(eight_bit[0]) in (0, 1)  # a step of 1 or nothing: not 0.3


def test_nan_and_inf_do_not_raise():
    values = np.array([[np.nan, 0.5, 0.5], [np.inf, 0.2, 0.1]], np.float32)
    with np.errstate(invalid="ignore"):
        assert srgb_to_lab(values).shape == (2, 3)


@pytest.mark.parametrize(
    ("ita", "band"),
    [
        (70.0, "very_light"),
        (55.01, "very_light"),
        (55.0, "light"),
        (41.01, "light"),
        (41.0, "intermediate"),
        (28.01, "intermediate"),
        (28.0, "tan"),
        (10.01, "tan"),
        (10.0, "brown"),
        (-29.99, "brown"),
        (-30.0, "dark"),
        (-60.0, "dark"),
    ],
)
def test_ita_bands_follow_del_bino(ita, band):
    assert ita_band(ita) == band


def test_ita_band_refuses_nan():
    with pytest.raises(ValueError):
        ita_band(float("nan"))


def test_ita_is_atan2_in_degrees():
    assert individual_typology_angle(50.0, 10.0) == pytest.approx(0.0)
    assert individual_typology_angle(60.0, 10.0) == pytest.approx(45.0)
    assert individual_typology_angle(40.0, 10.0) == pytest.approx(-45.0)


def test_erythema_and_melanin_indices_follow_diffey():
    linear = np.array([0.5, 0.25, 0.2], np.float32)
    assert erythema_index(linear) == pytest.approx(100 * np.log10(2.0), rel=1e-5)
    assert melanin_index(linear) == pytest.approx(100 * np.log10(2.0), rel=1e-5)


def test_indices_survive_zero_reflectance():
    assert np.isfinite(melanin_index(np.zeros(3, np.float32)))
    assert np.isfinite(erythema_index(np.zeros(3, np.float32)))
