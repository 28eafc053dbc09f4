"""Bring every photo to one effective resolution before fine detail is measured.

Phones differ most below a millimetre: focus, sharpening, noise reduction and
JPEG compression change the fine detail of the same skin, so a softer photo
would read as smoother skin. Fine-scale metrics (texture, pores, wrinkles,
unevenness, spots) are therefore measured on the face brought to a common
effective resolution, ``ANALYSIS_BLUR_MM``. A photo alone has its blur read on
its eyes and brows (:func:`detail_resolution`); in a comparison the two photos'
relative blur is measured directly on the same structures
(:func:`relative_blur_mm2`), the crisper one is degraded to the softer one, and
both get the Gaussian that takes the softer to the common blur
(:func:`harmonise_pair`). A softer photo is never sharpened. The added blur also
averages away most pixel noise, JPEG blocks and sharpening halos, which live at
the scale of one or two pixels. A photo softer than the common resolution, or two
photos too different to be brought together, cannot show the detail these metrics
need: they are not measurable, with the reason.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.capture import edge_blur_sigma_px
from dermadelta.imaging.colour import log_luminance
from dermadelta.imaging.standardize import Standardized
from dermadelta.imaging.zones import eye_region

#: The effective blur (Gaussian sigma, mm on the face) at which fine detail is
#: measured: coarser than what ordinary photos of a whole face resolve, even after a
#: softer phone or a farther capture, so that the phone's own processing at one or
#: two pixels is averaged away (docs/METRICS.md).
ANALYSIS_BLUR_MM = 0.8
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


#: Spatial frequencies (cycles per canonical pixel: wavelengths of about 8 mm down to
#: 2 mm) over which the two photos' eye regions are compared: below, the window's own
#: spectrum; above, a blurred photo's detail sinks under its noise and JPEG
#: quantization, and the added blur is read too small (a 1 px blur is recovered
#: within 20 % with this band: tests/imaging/test_harmonise.py).
_RELATIVE_BAND = (1 / 40, 1 / 10)


#: The largest relative blur (Gaussian sigma, mm) harmonisation absorbs. Beyond it the
#: softer photo's detail sinks under its noise in the measured band and the blur is
#: underestimated: in a `make eval` with 0.5 mm, copies blurred by 0.47 mm still showed
#: more texture than the original. 0.4 mm covers a phone softer by 1 px at 160 px
#: between the eyes.
MAX_RELATIVE_BLUR_MM = 0.4


def relative_blur_mm2(before: Standardized, after: Standardized) -> float:
    """How much softer the after photo is than the before photo: sigma_after^2 -
    sigma_before^2 in mm^2 (negative when it is crisper), from the ratio of the power
    spectra of their eyes and brows in the common frame.

    A Gaussian blur of variance v multiplies the power spectrum by exp(-4 pi^2 v f^2),
    so ln(P_after / P_before) is a line in f^2 whose slope gives v; the same
    structures in both photos cancel whatever the lens, sharpening or JPEG of the
    first capture did, which an edge reading of each photo alone cannot (it reads an
    added blur as larger than it is on real portraits). Power spectra ignore the
    small shifts left by registration. Returns NaN when the eyes are not in both.
    """
    region = eye_region(before.landmarks) & before.valid & after.valid
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    if rows.size < 16 or cols.size < 16:
        return math.nan
    import cv2

    box = slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)
    window = cv2.GaussianBlur(region[box].astype(np.float32), (0, 0), 3.0)

    def power(photo: Standardized) -> NDArray[np.float64]:
        log_lum = log_luminance(photo.linear[box])
        weights = float(window.sum())
        centred = (log_lum - float((log_lum * window).sum()) / max(weights, 1e-6)) * window
        return np.abs(np.fft.rfft2(centred.astype(np.float64))) ** 2

    before_power, after_power = power(before), power(after)
    fy = np.fft.fftfreq(window.shape[0])[:, None]
    fx = np.fft.rfftfreq(window.shape[1])[None, :]
    f2 = fx**2 + fy**2
    low, high = _RELATIVE_BAND
    band = (f2 >= low**2) & (f2 <= high**2)
    # Radial bins, so each frequency counts once whatever the crop's shape.
    edges = np.linspace(low**2, high**2, 17)
    x, y = [], []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        ring = band & (f2 >= lo) & (f2 < hi)
        if ring.sum() < 4:
            continue
        b, a = before_power[ring].sum(), after_power[ring].sum()
        if b > 0 and a > 0:
            x.append(float(f2[ring].mean()))
            y.append(float(np.log(a / b)))
    if len(x) < 4:
        return math.nan
    xs, ys = np.asarray(x), np.asarray(y)
    # Least squares with a free intercept: a gain of contrast is an offset, not blur.
    slope = float(np.polyfit(xs, ys, 1)[0])
    variance_px2 = -slope / (4 * math.pi**2)
    return variance_px2 * before.pixel_spacing_mm**2


def harmonise_pair(
    before: DetailResolution, after: DetailResolution, *, relative_mm2: float
) -> tuple[DetailResolution, DetailResolution]:
    """The blur to add to each photo of a comparison so that both reach the common resolution.

    The crisper photo is first brought to the softer one by the measured relative
    blur (:func:`relative_blur_mm2`); both then get what takes the softer photo to
    ``ANALYSIS_BLUR_MM``. Without a relative measure (NaN), each photo's own reading is used.
    """
    if not (before.measurable and after.measurable) or not math.isfinite(relative_mm2):
        return before, after
    if abs(relative_mm2) > MAX_RELATIVE_BLUR_MM**2:
        which = "after" if relative_mm2 > 0 else "before"
        reason = (
            f"the {which} photo is much softer than the other (by about {math.sqrt(abs(relative_mm2)):.1f} mm "
            f"on the face), more than fine detail can be compared across"
        )
        return replace(before, reason=reason), replace(after, reason=reason)
    softer_mm = after.blur_mm if relative_mm2 > 0 else before.blur_mm
    common = max(ANALYSIS_BLUR_MM**2 - softer_mm**2, 0.0)
    softer, crisper = math.sqrt(common), math.sqrt(common + abs(relative_mm2))
    if relative_mm2 > 0:
        return replace(before, added_blur_mm=crisper), replace(after, added_blur_mm=softer)
    return replace(before, added_blur_mm=softer), replace(after, added_blur_mm=crisper)


def at_analysis_resolution(
    linear: NDArray[np.float32], resolution: DetailResolution, *, pixel_spacing_mm: float
) -> NDArray[np.float32]:
    """``linear`` (canonical frame) blurred to the common effective resolution."""
    import cv2

    sigma_px = resolution.added_blur_mm / pixel_spacing_mm
    if sigma_px < 0.05:
        return linear
    return cv2.GaussianBlur(linear, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
