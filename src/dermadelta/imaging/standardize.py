"""Warp a face to the canonical frame; the affine maps every later stage shares.

The canonical frame puts the two iris centres on a horizontal line at a fixed
inter-ocular distance (IOD), so every length in later stages is a fixed fraction
of the face, whatever the photo's resolution or capture distance.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import channel_max, channel_min, linear_to_lab, log_intensity, srgb_to_linear
from dermadelta.imaging.decode import Decoded, unit_float
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE, Landmarks

#: Inter-ocular distance in the canonical frame. At the adult mean IOD of 63 mm a
#: canonical pixel is 0.197 mm, finer than the 0.3 mm texture band.
CANONICAL_IOD_PX = 320
#: Mean adult inter-pupillary distance, used to give pixels a size in millimetres.
ADULT_IOD_MM = 63.0
FRAME_WIDTH_IOD = 2.6
FRAME_HEIGHT_IOD = 3.4
EYE_LINE_FROM_TOP_IOD = 1.3
FRAME_SIZE_PX = (round(FRAME_WIDTH_IOD * CANONICAL_IOD_PX), round(FRAME_HEIGHT_IOD * CANONICAL_IOD_PX))
#: An sRGB value at or above this is clipped: the sensor or the encoder ran out of range.
CLIPPED_SRGB = 0.985

Affine = NDArray[np.float64]  # 2 x 3, maps (x, y, 1) to (x', y')


@dataclass(frozen=True)
class Standardized:
    """A face in the canonical frame.

    ``linear`` is linear-light RGB float32 (rows x cols x 3); ``valid`` marks the
    canonical pixels that came from inside the photo; ``to_canonical`` maps the
    original photo's (x, y) to canonical (x, y); ``landmarks`` are in canonical
    pixels; ``source_pixel_spacing_mm`` is the photo's own resolution at the face,
    which decides which fine-scale metrics can be resolved; ``saturated`` marks the
    canonical pixels where any channel of the photo was clipped (glare, or one
    channel blown on bright skin): their colour is not the skin's, so they are left
    out of every measurement.
    """

    linear: NDArray[np.float32]
    valid: NDArray[np.bool_]
    landmarks: NDArray[np.float64]
    to_canonical: Affine
    pixel_spacing_mm: float
    source_pixel_spacing_mm: float
    colour_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturated: NDArray[np.bool_] | None = None

    @cached_property
    def lab(self) -> NDArray[np.float32]:
        """The frame in CIELAB, converted once and shared by the zones and the metric maps."""
        return linear_to_lab(self.linear)

    @cached_property
    def log_intensity(self) -> NDArray[np.float32]:
        """The frame's log intensity (see :func:`~dermadelta.imaging.colour.log_intensity`), made
        once and shared by the registration and the colour match."""
        return log_intensity(self.linear)

    def saturated_mask(self) -> NDArray[np.bool_]:
        """Canonical pixels with a clipped channel (none when the photo had none)."""
        return self.saturated if self.saturated is not None else np.zeros(self.valid.shape, dtype=bool)


def apply_affine(matrix: Affine, points: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map (N, 2) points (x, y) through a 2 x 3 affine matrix."""
    return np.asarray(points, dtype=np.float64) @ matrix[:, :2].T + matrix[:, 2]


def compose(outer: Affine, inner: Affine) -> Affine:
    """The affine map ``outer(inner(p))``."""
    return np.hstack([outer[:, :2] @ inner[:, :2], (outer[:, :2] @ inner[:, 2] + outer[:, 2])[:, None]])


def invert(matrix: Affine) -> Affine:
    linear = np.linalg.inv(matrix[:, :2])
    return np.hstack([linear, (-linear @ matrix[:, 2])[:, None]])


def canonical_transform(landmarks: Landmarks) -> Affine:
    """The similarity that puts the subject's right iris at the left of the frame's eye
    line and the left iris at the right, ``CANONICAL_IOD_PX`` apart."""
    source = landmarks.points[[RIGHT_IRIS_CENTRE, LEFT_IRIS_CENTRE]]
    width = FRAME_SIZE_PX[0]
    eye_y = EYE_LINE_FROM_TOP_IOD * CANONICAL_IOD_PX
    target = np.array([[width / 2 - CANONICAL_IOD_PX / 2, eye_y], [width / 2 + CANONICAL_IOD_PX / 2, eye_y]])
    # A similarity from two point pairs, in complex numbers: z' = a z + b.
    s = source[:, 0] + 1j * source[:, 1]
    t = target[:, 0] + 1j * target[:, 1]
    a = (t[1] - t[0]) / (s[1] - s[0])
    b = t[0] - a * s[0]
    return np.array([[a.real, -a.imag, b.real], [a.imag, a.real, b.imag]])


def warp_to_canonical(
    rgb: NDArray[Any], to_canonical: Affine
) -> tuple[NDArray[np.float32], NDArray[np.bool_], NDArray[np.bool_]]:
    """Warp sRGB pixels (as decoded, or float32 in [0, 1]) into the canonical frame and
    decode them to linear light. Only the face's crop is converted to float.

    When the photo is finer than the canonical frame, the face region is first
    reduced with area averaging, so fine skin detail is integrated, not aliased.
    Returns the linear pixels, the pixels that came from inside the photo, and the
    pixels touched by a clipped channel (the clip map is warped with the photo
    and anything it reaches counts, so interpolation cannot hide a clipped edge).
    """
    import cv2

    width, height = FRAME_SIZE_PX
    scale = float(np.sqrt(abs(np.linalg.det(to_canonical[:, :2]))))
    corners = apply_affine(invert(to_canonical), np.array([[0, 0], [width, 0], [0, height], [width, height]]))
    x0, y0 = np.floor(corners.min(axis=0)).astype(int) - 2
    x1, y1 = np.ceil(corners.max(axis=0)).astype(int) + 2
    src_h, src_w = rgb.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, src_w), min(y1, src_h)
    if x1 - x0 < 2 or y1 - y0 < 2:
        raise ValueError("the face is outside the photo")
    raw = rgb[y0:y1, x0:x1]
    clipped = (channel_max(raw) >= CLIPPED_SRGB * _full_scale(raw)).astype(np.float32)
    crop = unit_float(raw)
    matrix = compose(to_canonical, np.array([[1.0, 0, x0], [0, 1.0, y0]]))
    if scale < 0.9:
        size = (max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        clipped = cv2.resize(clipped, size, interpolation=cv2.INTER_AREA)
        fx, fy = (x1 - x0) / size[0], (y1 - y0) / size[1]
        # cv2.resize maps pixel centres: x_src = (x_dst + 0.5) * f - 0.5
        matrix = compose(matrix, np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5]]))
    warped = cv2.warpAffine(
        crop, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(-1, -1, -1)
    )
    valid = channel_min(warped) >= 0
    warped[~valid] = 0
    if not clipped.any():
        return srgb_to_linear(warped), valid, np.zeros_like(valid)
    saturated = (
        cv2.warpAffine(clipped, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT) > 0
    )
    return srgb_to_linear(warped), valid, saturated & valid


def _full_scale(pixels: NDArray[Any]) -> float:
    """The value of full white in ``pixels``' own units."""
    return 1.0 if pixels.dtype.kind == "f" else float(np.iinfo(pixels.dtype).max)


def standardize(decoded: Decoded, landmarks: Landmarks, *, to_canonical: Affine | None = None) -> Standardized:
    """Stage ``standardize``: the face in the canonical frame.

    ``to_canonical`` defaults to the photo's own eye-based similarity; a comparison
    passes the before photo's frame composed with the after-to-before registration,
    so that both faces land on the same canonical pixels.
    """
    if not landmarks.found:
        raise ValueError("cannot standardize a photo without a face")
    matrix = canonical_transform(landmarks) if to_canonical is None else to_canonical
    linear, valid, saturated = warp_to_canonical(decoded.pixels, matrix)
    return Standardized(
        linear=linear,
        valid=valid,
        saturated=saturated,
        landmarks=apply_affine(matrix, landmarks.points),
        to_canonical=matrix,
        pixel_spacing_mm=ADULT_IOD_MM / CANONICAL_IOD_PX,
        source_pixel_spacing_mm=ADULT_IOD_MM / max(landmarks.inter_ocular_px, 1e-6),
    )
