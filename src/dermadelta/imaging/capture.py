"""What a capture did to fine detail: its effective blur and its noise, read off the face.

Phones differ most in what they do below a millimetre: lens and focus, the
demosaicing, sharpening, noise reduction and JPEG compression. Two numbers sum
up what matters for skin metrics:

- the **effective blur**: the standard deviation of the Gaussian point spread that
  the photo's sharpest edges show, read on the eyes, lashes and brows (structures
  that no skin treatment changes), by the re-blur ratio at those edges;
- the **noise**: the standard deviation of pixel noise in log luminance (a
  fraction of the signal), from the finest wavelet band over skin.

Both are pure functions of arrays, so the quality gate can read them on the
photo at its own resolution and a comparison on the two faces in one frame.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

FloatMap = NDArray[np.float32]
Mask = NDArray[np.bool_]

#: The known blur added to read the edge's own blur (Zhuo & Sim 2011 use 1 px).
REBLUR_SIGMA_PX = 1.0
#: Share of the region's pixels, the strongest gradients, taken as edges.
_EDGE_TOP_FRACTION = 0.04
_MIN_EDGE_PIXELS = 40
#: Above this the ratio is too close to 1 to read: the photo is extremely soft.
MAX_BLUR_SIGMA_PX = 12.0
#: The 3 x 3 derivative's own spread, in px^2, which the ratio reads as blur: measured
#: on step edges of known blur (0.6-2 px read 0.52-0.61 px^2 too much; tests/imaging/test_capture.py).
_DERIVATIVE_VARIANCE_PX2 = 0.55
#: Normal-distribution MAD to standard deviation (Donoho & Johnstone 1994).
_MAD_TO_SD = 1.0 / 0.6745


def _gradient_magnitude(image: FloatMap) -> FloatMap:
    import cv2

    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3, scale=0.125)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3, scale=0.125)
    return np.sqrt(gx * gx + gy * gy)


def edge_blur_sigma_px(log_lum: FloatMap, region: Mask, *, reblur_px: float = REBLUR_SIGMA_PX) -> float:
    """Effective Gaussian blur (sigma, in pixels) of the strongest edges in ``region``.

    Re-blurring a step edge of blur sigma by a known ``reblur_px`` lowers its peak
    gradient by the ratio R = sqrt(sigma^2 + reblur_px^2) / sigma, hence
    sigma = reblur_px / sqrt(R^2 - 1). The ratio is read as the median over the
    region's strongest edges (the top 4 % of gradients after re-blurring, where
    noise matters least). A sharpened photo's overshoot raises its edge gradients
    and reads as a smaller blur, which is what harmonisation needs: it is the
    crisper photo. Returns ``nan`` when the region has too few edges.

    Parameters
    ----------
    log_lum : (H, W) float32
        Natural-log luminance (contrast does not depend on exposure or skin tone).
    region : (H, W) bool
        Where to look for edges: eyes, lashes and brows.
    reblur_px : float
        The known Gaussian blur, in pixels.

    References
    ----------
    Zhuo S, Sim T. Defocus map estimation from a single image. Pattern Recognition
    2011;44:1852-8.
    """
    import cv2

    if log_lum.shape != region.shape or int(region.sum()) < _MIN_EDGE_PIXELS:
        return float("nan")
    image = np.nan_to_num(log_lum.astype(np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    original = _gradient_magnitude(image)
    reblurred = _gradient_magnitude(cv2.GaussianBlur(image, (0, 0), reblur_px))
    inside = reblurred[region]
    threshold = np.quantile(inside, 1.0 - _EDGE_TOP_FRACTION)
    edges = region & (reblurred >= threshold) & (reblurred > 1e-4)
    if int(edges.sum()) < _MIN_EDGE_PIXELS:
        return float("nan")
    ratio = float(np.median(original[edges] / reblurred[edges]))
    if ratio <= 1.0 + 1e-6:
        return MAX_BLUR_SIGMA_PX
    read = reblur_px / np.sqrt(ratio * ratio - 1.0)
    return float(min(np.sqrt(max(read * read - _DERIVATIVE_VARIANCE_PX2, 0.0)), MAX_BLUR_SIGMA_PX))


def noise_sigma(log_lum: FloatMap, region: Mask) -> float:
    """Standard deviation of pixel noise in log luminance over ``region`` (flat skin).

    The median absolute value of the finest diagonal Haar wavelet band, divided by
    0.6745 (Donoho & Johnstone 1994): skin detail barely reaches that band, noise
    fills it. Returns ``nan`` when the region holds too few 2 x 2 blocks.

    References
    ----------
    Donoho DL, Johnstone IM. Ideal spatial adaptation by wavelet shrinkage.
    Biometrika 1994;81:425-55.
    """
    height, width = (log_lum.shape[0] // 2) * 2, (log_lum.shape[1] // 2) * 2
    image = log_lum[:height, :width].astype(np.float32)
    blocks = region[:height, :width]
    inside = blocks[0::2, 0::2] & blocks[1::2, 0::2] & blocks[0::2, 1::2] & blocks[1::2, 1::2]
    if int(inside.sum()) < _MIN_EDGE_PIXELS:
        return float("nan")
    diagonal = 0.5 * (image[0::2, 0::2] - image[1::2, 0::2] - image[0::2, 1::2] + image[1::2, 1::2])
    values = diagonal[inside]
    values = values[np.isfinite(values)]
    if values.size < _MIN_EDGE_PIXELS:
        return float("nan")
    return float(_MAD_TO_SD * np.median(np.abs(values)))
