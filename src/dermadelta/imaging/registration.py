"""Register the after photo of a face onto the before photo: landmarks first, then skin detail."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.landmarks import Landmarks
from dermadelta.imaging.standardize import CANONICAL_IOD_PX, Affine, Standardized, apply_affine, invert

#: The most the skin-detail refinement may move a point of the face. Face Mesh's fit of a
#: smiling face turned by 7 deg was 6 % of the IOD off at the chin (eyes exact), which a
#: 5 % bound threw away with the refinement that corrected it; the refinement must also
#: fit the skin better than the landmarks did.
_REFINE_MAX_SHIFT_IOD = 0.10


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
    differences do not pull it. A correction that fails to converge, that correlates
    the skin less than the landmarks' map did, or that would move any point of the
    region by more than 10 % of the inter-ocular distance, is dropped for the identity.

    References
    ----------
    Evangelidis GD, Psarakis EZ. Parametric image alignment using enhanced
    correlation coefficient maximization. IEEE TPAMI 2008;30:1858-65.
    """
    import cv2

    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])

    def half(photo: Standardized) -> NDArray[np.float32]:
        return cv2.resize(photo.log_intensity, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)

    mask = cv2.resize(region.astype(np.uint8), None, fx=0.5, fy=0.5, interpolation=cv2.INTER_NEAREST)
    template, moved = half(fixed), half(moving)
    warp = np.eye(2, 3, dtype=np.float32)
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 60, 1e-6)
    try:
        landmarks_fit = cv2.computeECC(template, moved, mask)
        refined_fit, warp = cv2.findTransformECC(template, moved, warp, cv2.MOTION_AFFINE, criteria, mask, 3)
    except cv2.error:
        return identity
    if not refined_fit > landmarks_fit:
        return identity
    fixed_to_moving = warp.astype(np.float64)
    fixed_to_moving[:, 2] *= 2.0  # half-resolution translation back to full pixels
    shift = largest_shift_px(fixed_to_moving, region)
    if shift is None or not np.isfinite(shift) or shift > _REFINE_MAX_SHIFT_IOD * CANONICAL_IOD_PX:
        return identity
    return invert(fixed_to_moving)


def largest_shift_px(affine: Affine, region: NDArray[np.bool_]) -> float | None:
    """The farthest ``affine`` moves any pixel of ``region`` (None for an empty region).

    How far a point moves is a convex function of the point, so the farthest any pixel
    moves is the farthest a corner of the region's convex hull does; the corners lie
    on the region's outer outlines, a few hundred points where the region has a few
    hundred thousand pixels.
    """
    import cv2

    outlines, _ = cv2.findContours(region.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not outlines:
        return None
    corners = cv2.convexHull(np.concatenate(outlines)).reshape(-1, 2).astype(np.float64)
    return float(np.linalg.norm(apply_affine(affine, corners) - corners, axis=1).max())
