"""Bring every photo to one effective resolution before fine detail is measured.

Phones differ most below a millimetre: focus, sharpening, noise reduction and
JPEG compression change the fine detail of the same skin, so a softer photo
would read as smoother skin. Fine-scale metrics (texture, pores, wrinkles,
unevenness, spots) are therefore measured on the face brought to a common
effective resolution, ``ANALYSIS_BLUR_MM``: each photo's own blur is read on its
eyes and brows (:func:`dermadelta.imaging.capture.edge_blur_sigma_px`) and the
Gaussian that completes it to the common blur is added (sigma_add =
sqrt(s_common^2 - s_photo^2)); a crisper photo is degraded, never is a softer
one sharpened. The added blur also averages away most pixel noise, JPEG blocks
and sharpening halos, which live at the scale of one or two pixels. A photo
softer than the common resolution cannot show the detail these metrics need:
they are not measurable on it, with the reason.

Because every photo is brought to the same resolution, an analysis of one photo
and a comparison of two measure fine detail alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.capture import edge_blur_sigma_px
from dermadelta.imaging.colour import log_luminance
from dermadelta.imaging.standardize import Standardized
from dermadelta.imaging.zones import eye_region

#: The effective blur (Gaussian sigma, mm on the face) at which fine detail is
#: measured. It is coarser than what an ordinary photo of a face with 150 px or more
#: between the eyes resolves (real portraits at 190-220 px read 0.40-0.47 mm; a
#: 12 MP phone portrait about 0.1 mm), and fine enough for lines and pores of a
#: millimetre (docs/METRICS.md).
ANALYSIS_BLUR_MM = 0.6
#: The fine-scale metrics, measured at ``ANALYSIS_BLUR_MM``.
FINE_SCALE_METRICS = ("unevenness", "texture", "pores", "wrinkles", "spots")


@dataclass(frozen=True)
class DetailResolution:
    """A photo's effective blur on the face and what it takes to reach the common one.

    ``blur_mm`` is the Gaussian sigma of the photo's sharpest edges in mm on the face
    (NaN when it could not be read); ``added_blur_mm`` the Gaussian added to reach
    ``ANALYSIS_BLUR_MM``; ``reason`` says in plain words why fine detail cannot be
    measured on this photo, and is empty when it can.
    """

    blur_mm: float
    added_blur_mm: float
    reason: str = ""

    @property
    def measurable(self) -> bool:
        return not self.reason

    def to_dict(self) -> dict[str, float | str | None]:
        data: dict[str, float | str | None] = {
            "effective_blur_mm": round(self.blur_mm, 3) if math.isfinite(self.blur_mm) else None,
            "analysis_blur_mm": ANALYSIS_BLUR_MM,
            "added_blur_mm": round(self.added_blur_mm, 3),
        }
        if self.reason:
            data["reason"] = self.reason
        return data


def detail_resolution(standardized: Standardized) -> DetailResolution:
    """How sharp the face is in the canonical frame, read on its eyes and brows."""
    region = eye_region(standardized.landmarks) & standardized.valid
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if rows.size == 0:
        return DetailResolution(math.nan, 0.0, "the eyes are not in the photo, so its sharpness could not be read")
    box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    sigma_px = edge_blur_sigma_px(log_luminance(standardized.linear[box]), region[box])
    blur_mm = sigma_px * standardized.pixel_spacing_mm
    if not math.isfinite(blur_mm):
        return DetailResolution(math.nan, 0.0, "the sharpness of the photo could not be read around the eyes")
    if blur_mm > ANALYSIS_BLUR_MM:
        return DetailResolution(
            blur_mm,
            0.0,
            f"out of focus or too soft for fine detail (it resolves about {blur_mm:.1f} mm on the face; "
            f"fine detail needs {ANALYSIS_BLUR_MM:.1f} mm or finer)",
        )
    return DetailResolution(blur_mm, math.sqrt(ANALYSIS_BLUR_MM**2 - blur_mm**2))


def at_analysis_resolution(
    linear: NDArray[np.float32], resolution: DetailResolution, *, pixel_spacing_mm: float
) -> NDArray[np.float32]:
    """``linear`` (canonical frame) blurred to the common effective resolution."""
    import cv2

    sigma_px = resolution.added_blur_mm / pixel_spacing_mm
    if sigma_px < 0.05:
        return linear
    return cv2.GaussianBlur(linear, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
