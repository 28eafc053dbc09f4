"""Warp a face to the canonical frame, and register one photo of a face onto another.

The canonical frame puts the two iris centres on a horizontal line at a fixed
inter-ocular distance (IOD), so every length in later stages is a fixed fraction
of the face, whatever the photo's resolution or capture distance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import srgb_to_linear
from dermadelta.imaging.decode import Decoded
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

Affine = NDArray[np.float64]  # 2 x 3, maps (x, y, 1) to (x', y')

# Pixels usable as a colour reference: linear values inside these bounds in both photos.
_MATCH_MIN_LINEAR = 0.02
_MATCH_MAX_LINEAR = 0.95
_MATCH_MIN_PIXELS = 500
_MATCH_MAX_LOCAL_STD = 0.03
_REFINE_MAX_SHIFT_IOD = 0.05


@dataclass(frozen=True)
class Standardized:
    """A face in the canonical frame.

    ``linear`` is linear-light RGB float32 (rows x cols x 3); ``valid`` marks the
    canonical pixels that came from inside the photo; ``to_canonical`` maps the
    original photo's (x, y) to canonical (x, y); ``landmarks`` are in canonical
    pixels; ``source_pixel_spacing_mm`` is the photo's own resolution at the face,
    which decides which fine-scale metrics can be resolved.
    """

    linear: NDArray[np.float32]
    valid: NDArray[np.bool_]
    landmarks: NDArray[np.float64]
    to_canonical: Affine
    pixel_spacing_mm: float
    source_pixel_spacing_mm: float
    colour_gains: tuple[float, float, float] = (1.0, 1.0, 1.0)


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


def register(moving: Landmarks, fixed: Landmarks) -> tuple[Affine, float]:
    """Affine map from ``moving`` photo pixels to ``fixed`` photo pixels, fitted on all
    landmarks with RANSAC (robust to a few bad points), and the landmark RMS residual
    of the inliers as a fraction of the fixed photo's inter-ocular distance."""
    import cv2

    iod = fixed.inter_ocular_px
    matrix, inliers = cv2.estimateAffine2D(
        moving.points.astype(np.float32),
        fixed.points.astype(np.float32),
        method=cv2.RANSAC,
        ransacReprojThreshold=0.03 * iod,
        maxIters=2000,
        confidence=0.999,
        refineIters=20,
    )
    if matrix is None:
        raise ValueError("landmarks could not be registered")
    keep = inliers.ravel().astype(bool)
    residual = apply_affine(matrix, moving.points[keep]) - fixed.points[keep]
    rms = float(np.sqrt(np.mean(np.sum(residual**2, axis=1))))
    return matrix.astype(np.float64), rms / iod


def refine_alignment(moving: Standardized, fixed: Standardized, *, region: NDArray[np.bool_]) -> Affine:
    """A small affine correction, canonical to canonical, that aligns the skin detail
    of ``moving`` onto ``fixed`` beyond what landmarks can (Evangelidis & Psarakis 2008).

    Enhanced correlation coefficient maximization on log luminance at half
    resolution, inside ``region``; it is blind to gain and offset, so exposure
    differences do not pull it. A correction that fails to converge, or that would
    move any point of the region by more than 5 % of the inter-ocular distance (the
    landmarks were already closer than that), is dropped for the identity.

    References
    ----------
    Evangelidis GD, Psarakis EZ. Parametric image alignment using enhanced
    correlation coefficient maximization. IEEE TPAMI 2008;30:1858-65.
    """
    import cv2

    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

    def half(linear: NDArray[np.float32]) -> NDArray[np.float32]:
        log_lum = np.log(np.maximum(linear.mean(axis=2), np.float32(1e-4))).astype(np.float32)
        return cv2.resize(log_lum, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)

    mask = cv2.resize(region.astype(np.uint8), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_NEAREST)
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 60, 1e-6)
    try:
        _, warp = cv2.findTransformECC(
            half(fixed.linear), half(moving.linear), warp, cv2.MOTION_AFFINE, criteria, mask, 3
        )
    except cv2.error:
        return identity
    fixed_to_moving = warp.astype(np.float64)
    fixed_to_moving[:, 2] *= 2.0  # half-resolution translation back to full pixels
    corners = np.argwhere(region)[:, ::-1].astype(np.float64)
    if corners.size == 0:
        return identity
    shift = np.linalg.norm(apply_affine(fixed_to_moving, corners) - corners, axis=1).max()
    if not np.isfinite(shift) or shift > _REFINE_MAX_SHIFT_IOD * CANONICAL_IOD_PX:
        return identity
    return invert(fixed_to_moving)


def warp_to_canonical(rgb: NDArray[np.float32], to_canonical: Affine) -> tuple[NDArray[np.float32], NDArray[np.bool_]]:
    """Warp sRGB pixels into the canonical frame and decode them to linear light.

    When the photo is finer than the canonical frame, the face region is first
    reduced with area averaging, so fine skin detail is integrated, not aliased.
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
    crop = rgb[y0:y1, x0:x1]
    matrix = compose(to_canonical, np.array([[1.0, 0, x0], [0, 1.0, y0]]))
    if scale < 0.9:
        size = (max(2, round((x1 - x0) * scale)), max(2, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        fx, fy = (x1 - x0) / size[0], (y1 - y0) / size[1]
        # cv2.resize maps pixel centres: x_src = (x_dst + 0.5) * f - 0.5
        matrix = compose(matrix, np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5]]))
    warped = cv2.warpAffine(
        crop, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=(-1, -1, -1)
    )
    valid = np.all(warped >= 0, axis=2)
    warped[~valid] = 0
    return srgb_to_linear(warped), valid


def standardize(decoded: Decoded, landmarks: Landmarks, *, to_canonical: Affine | None = None) -> Standardized:
    """Stage ``standardize``: the face in the canonical frame.

    ``to_canonical`` defaults to the photo's own eye-based similarity; a comparison
    passes the before photo's frame composed with the after-to-before registration,
    so that both faces land on the same canonical pixels.
    """
    if not landmarks.found:
        raise ValueError("cannot standardize a photo without a face")
    matrix = canonical_transform(landmarks) if to_canonical is None else to_canonical
    linear, valid = warp_to_canonical(decoded.rgb, matrix)
    return Standardized(
        linear=linear,
        valid=valid,
        landmarks=apply_affine(matrix, landmarks.points),
        to_canonical=matrix,
        pixel_spacing_mm=ADULT_IOD_MM / CANONICAL_IOD_PX,
        source_pixel_spacing_mm=ADULT_IOD_MM / max(landmarks.inter_ocular_px, 1e-6),
    )


def _flat(linear: NDArray[np.float32]) -> NDArray[np.bool_]:
    """Pixels whose 7 x 7 neighbourhood varies by less than 3 % in log luminance."""
    import cv2

    log_lum = np.log(np.maximum(linear.mean(axis=2), np.float32(1e-4))).astype(np.float32)
    mean = cv2.blur(log_lum, (7, 7))
    variance = cv2.blur(log_lum * log_lum, (7, 7)) - mean * mean
    return np.asarray(variance < _MATCH_MAX_LOCAL_STD**2)


def match_colour(moving: Standardized, reference: Standardized, *, region: NDArray[np.bool_]) -> Standardized:
    """Scale each linear channel of ``moving`` so that, over ``region`` (the surroundings
    of the face, never the skin being measured), it matches ``reference``.

    This removes exposure and white-balance differences between two captures (a
    gain per channel in linear light is what both are) without touching a change
    of the skin itself. The gain is the median of per-pixel ratios of the two
    aligned photos, on flat pixels (edges carry misalignment, JPEG ringing and
    chroma subsampling) that are neither clipped nor so dark that 8-bit
    quantization and sensor noise dominate them. A ratio of region medians was
    biased by dark backgrounds by up to 20 %.
    """
    lower, upper = _MATCH_MIN_LINEAR, _MATCH_MAX_LINEAR
    usable = region & moving.valid & reference.valid & _flat(reference.linear)
    usable &= np.all((moving.linear > lower) & (moving.linear < upper), axis=2)
    usable &= np.all((reference.linear > lower) & (reference.linear < upper), axis=2)
    if usable.sum() < _MATCH_MIN_PIXELS:
        return moving
    gains = np.median(reference.linear[usable] / moving.linear[usable], axis=0)
    linear = np.clip(moving.linear * gains.astype(np.float32), 0.0, 1.0).astype(np.float32)
    return Standardized(
        linear=linear,
        valid=moving.valid,
        landmarks=moving.landmarks,
        to_canonical=moving.to_canonical,
        pixel_spacing_mm=moving.pixel_spacing_mm,
        source_pixel_spacing_mm=moving.source_pixel_spacing_mm,
        colour_gains=(float(gains[0]), float(gains[1]), float(gains[2])),
    )
