"""Capture estimates: the effective blur of edges and the noise of flat skin, against known values."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging.capture import MAX_BLUR_SIGMA_PX, edge_blur_sigma_px, noise_sigma


def _edges(blur_px: float) -> np.ndarray:
    """Log-luminance steps (a checkerboard of 32 px squares, contrast 1) blurred by ``blur_px``."""
    import cv2

    rows, cols = np.indices((160, 160))
    image = (((rows // 32) + (cols // 32)) % 2).astype(np.float32)
    return cv2.GaussianBlur(image, (0, 0), blur_px) if blur_px > 0 else image


@pytest.mark.parametrize("blur_px", [0.8, 1.0, 1.5, 2.5, 4.0])
def test_it_reads_the_known_blur_of_step_edges(blur_px):
    region = np.ones((160, 160), bool)
    assert edge_blur_sigma_px(_edges(blur_px), region) == pytest.approx(blur_px, rel=0.1)


def test_a_sharpened_photo_reads_crisper_and_a_softer_one_softer():
    import cv2

    region = np.ones((160, 160), bool)
    base = _edges(1.5)
    sharpened = base + 0.8 * (base - cv2.GaussianBlur(base, (0, 0), 1.2))
    softer = cv2.GaussianBlur(base, (0, 0), 1.0)
    assert edge_blur_sigma_px(sharpened, region) < edge_blur_sigma_px(base, region) < edge_blur_sigma_px(softer, region)


def test_the_blur_does_not_depend_on_the_contrast_or_level():
    region = np.ones((160, 160), bool)
    base = edge_blur_sigma_px(_edges(2.0), region)
    assert edge_blur_sigma_px(0.3 * _edges(2.0) - 2.0, region) == pytest.approx(base, rel=0.02)


def test_a_region_without_edges_reads_as_the_softest_not_as_sharp():
    flat = np.zeros((80, 80), np.float32)
    value = edge_blur_sigma_px(flat, np.ones((80, 80), bool))
    assert np.isnan(value) or value == MAX_BLUR_SIGMA_PX


def test_too_small_or_mismatched_regions_give_nan_not_an_error():
    image = _edges(1.0)
    assert np.isnan(edge_blur_sigma_px(image, np.zeros((160, 160), bool)))
    assert np.isnan(edge_blur_sigma_px(image, np.ones((10, 10), bool)))
    assert np.isnan(noise_sigma(image, np.zeros((160, 160), bool)))


def test_nan_and_inf_pixels_do_not_crash():
    image = _edges(1.5)
    image[::7, ::5] = np.nan
    image[3, 3] = np.inf
    region = np.ones(image.shape, bool)
    assert np.isfinite(edge_blur_sigma_px(image, region))
    assert np.isfinite(noise_sigma(image, region))


@pytest.mark.parametrize("sigma", [0.005, 0.02, 0.05])
def test_it_reads_the_known_noise_of_flat_skin(sigma):
    rng = np.random.default_rng(1)
    import cv2

    # Skin-like relief at a few pixels barely reaches the finest band; noise fills it.
    relief = cv2.GaussianBlur(rng.standard_normal((256, 256)).astype(np.float32), (0, 0), 3.0) * 0.5
    image = (relief + sigma * rng.standard_normal((256, 256))).astype(np.float32)
    assert noise_sigma(image, np.ones(image.shape, bool)) == pytest.approx(sigma, rel=0.2)
