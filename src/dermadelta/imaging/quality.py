"""Capture quality gate: is this photo fit to measure skin, and if not, why.

Exposure and sharpness are judged on log luminance of the face itself, so that
correctly exposed deep skin is not mistaken for under-exposure: dark skin has low
luminance but is neither clipped nor flat in log space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import log_luminance, relative_luminance, srgb_to_linear
from dermadelta.imaging.decode import Decoded
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE, Landmarks

Verdict = Literal["ok", "warn", "reject"]

# Face Mesh points used for pose: cheek edges (subject's right 234, left 454),
# nasion 168 and subnasale 2, which lie at nearly equal depth in a frontal face.
_RIGHT_CHEEK_EDGE, _LEFT_CHEEK_EDGE, _NASION, _SUBNASALE = 234, 454, 168, 2

#: A face with an inter-ocular distance under this is analysed with a warning.
SMALL_FACE_IOD_PX = 150.0
#: Under this, colour statistics of a zone hold too few independent pixels.
MIN_FACE_IOD_PX = 60.0
YAW_WARN_DEG, YAW_REJECT_DEG = 15.0, 30.0
PITCH_WARN_DEG, PITCH_REJECT_DEG = 15.0, 30.0
ROLL_WARN_DEG = 20.0
HIGHLIGHT_CLIP_WARN, HIGHLIGHT_CLIP_REJECT = 0.02, 0.10
SHADOW_CLIP_WARN, SHADOW_CLIP_REJECT = 0.05, 0.20
#: Sharpness (see :func:`sharpness_index`) below which a photo is too soft to trust
#: texture, pores and wrinkles (warn), or to measure at all (reject). On the
#: evaluation faces a Gaussian blur of 2 % of the inter-ocular distance brings the
#: index to 1.1-1.7 and 4 % to 0.5-0.7, whatever the skin tone (docs/MEASUREMENT.md).
SHARPNESS_WARN = 1.5
SHARPNESS_REJECT = 0.6
_EXPOSURE_SAMPLE_PIXELS = 1_000_000
#: Face-relative frame used to judge sharpness: the face rescaled to this IOD.
_SHARPNESS_IOD_PX = 128.0


@dataclass(frozen=True)
class Pose:
    """Approximate head pose in degrees from the landmark depths (0, 0, 0 = frontal, level)."""

    yaw: float
    pitch: float
    roll: float


@dataclass(frozen=True)
class Quality:
    verdict: Verdict
    reasons: tuple[str, ...]
    face_found: bool
    face_count: int
    inter_ocular_px: float
    face_size_px: tuple[float, float]
    pose: Pose | None
    sharpness: float
    exposure_ev: float
    highlight_clip_fraction: float
    shadow_clip_fraction: float
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["warnings"] = list(self.warnings)
        data["face_size_px"] = list(self.face_size_px)
        return data


def estimate_pose(landmarks: Landmarks) -> Pose:
    """Yaw, pitch and roll in degrees; yaw > 0 when the subject turns to their left."""
    p, z = landmarks.points, landmarks.depth
    yaw = np.arctan2(z[_LEFT_CHEEK_EDGE] - z[_RIGHT_CHEEK_EDGE], p[_LEFT_CHEEK_EDGE, 0] - p[_RIGHT_CHEEK_EDGE, 0])
    pitch = np.arctan2(z[_SUBNASALE] - z[_NASION], p[_SUBNASALE, 1] - p[_NASION, 1])
    eyes = p[LEFT_IRIS_CENTRE] - p[RIGHT_IRIS_CENTRE]
    roll = np.arctan2(eyes[1], eyes[0])
    return Pose(*(round(float(np.degrees(a)), 2) for a in (yaw, pitch, roll)))


def sharpness_index(rgb: NDArray[np.float32], landmarks: Landmarks) -> float:
    """Fine-detail energy of the face, independent of resolution and skin tone.

    The face is rescaled so that its inter-ocular distance is 128 px; the score is
    100 x the standard deviation of a difference of Gaussians (sigma 0.5 and 1 px)
    of log luminance inside the face. Log luminance makes it a contrast, which a
    dark and a light skin show alike.
    """
    import cv2

    points = landmarks.points
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    height, width = rgb.shape[:2]
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, width), min(y1, height)
    crop = rgb[y0:y1, x0:x1]
    if crop.shape[0] < 8 or crop.shape[1] < 8:
        return 0.0
    scale = _SHARPNESS_IOD_PX / max(landmarks.inter_ocular_px, 1e-6)
    size = (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    small = cv2.resize(crop, size, interpolation=interpolation)
    lum = log_luminance(srgb_to_linear(small))
    band = cv2.GaussianBlur(lum, (0, 0), 0.5) - cv2.GaussianBlur(lum, (0, 0), 1.0)
    inner = band[2:-2, 2:-2]
    return round(float(100.0 * np.std(inner)), 4)


def _face_pixels(rgb: NDArray[np.float32], landmarks: Landmarks) -> NDArray[np.float32]:
    """Pixels inside the face oval, sampled on a regular grid of at most about 1 MP.

    Fractions and medians of a regular sample are unbiased, and a 12 MP photo
    needs no more than this to judge its exposure.
    """
    import cv2

    from dermadelta.imaging.zones import FACE_OVAL

    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / _EXPOSURE_SAMPLE_PIXELS))))
    sample = rgb[::step, ::step]
    mask = np.zeros(sample.shape[:2], dtype=np.uint8)
    polygon = np.round(landmarks.points[list(FACE_OVAL)] / step).astype(np.int32)
    cv2.fillPoly(mask, [polygon], 1)
    return sample[mask.astype(bool)]


def assess_quality(decoded: Decoded, landmarks: Landmarks) -> Quality:
    """Stage ``quality``: verdict ``ok``, ``warn`` or ``reject`` with the reasons."""
    if not landmarks.found:
        return Quality(
            verdict="reject",
            reasons=("no face found",),
            face_found=False,
            face_count=0,
            inter_ocular_px=0.0,
            face_size_px=(0.0, 0.0),
            pose=None,
            sharpness=0.0,
            exposure_ev=0.0,
            highlight_clip_fraction=0.0,
            shadow_clip_fraction=0.0,
        )
    rejects: list[str] = []
    warnings: list[str] = []
    rgb = decoded.rgb
    iod = landmarks.inter_ocular_px
    span = np.ptp(landmarks.points, axis=0)
    if landmarks.face_count > 1:
        warnings.append(f"{landmarks.face_count} faces found; the largest is measured")
    if iod < MIN_FACE_IOD_PX:
        rejects.append(f"face too small: {iod:.0f} px between the eyes (at least {MIN_FACE_IOD_PX:.0f})")
    elif iod < SMALL_FACE_IOD_PX:
        warnings.append(f"small face: {iod:.0f} px between the eyes; fine-scale metrics may be not measurable")
    height, width = rgb.shape[:2]
    margin = 0.02 * iod
    inside = (
        (landmarks.points[:, 0] >= -margin)
        & (landmarks.points[:, 0] <= width + margin)
        & (landmarks.points[:, 1] >= -margin)
        & (landmarks.points[:, 1] <= height + margin)
    )
    if inside.mean() < 0.98:
        rejects.append("face is partly outside the frame")
    pose = estimate_pose(landmarks)
    for name, value, warn, reject in (
        ("yaw", pose.yaw, YAW_WARN_DEG, YAW_REJECT_DEG),
        ("pitch", pose.pitch, PITCH_WARN_DEG, PITCH_REJECT_DEG),
    ):
        if abs(value) > reject:
            rejects.append(f"head turned: {name} {value:+.0f} deg (limit {reject:.0f})")
        elif abs(value) > warn:
            warnings.append(f"head turned: {name} {value:+.0f} deg")
    if abs(pose.roll) > ROLL_WARN_DEG:
        warnings.append(f"head tilted: roll {pose.roll:+.0f} deg")

    face = _face_pixels(rgb, landmarks)
    if face.size == 0:
        face = rgb.reshape(-1, 3)
    highlight = float(np.mean(np.any(face >= 0.985, axis=1)))
    shadow = float(np.mean(np.all(face <= 0.015, axis=1)))
    median_lum = float(np.median(relative_luminance(srgb_to_linear(face))))
    exposure_ev = round(float(np.log2(max(median_lum, 1e-6) / 0.18)), 3)
    if highlight > HIGHLIGHT_CLIP_REJECT:
        rejects.append(f"over-exposed: {highlight:.0%} of the face is clipped white")
    elif highlight > HIGHLIGHT_CLIP_WARN:
        warnings.append(f"glare: {highlight:.1%} of the face is clipped white")
    if shadow > SHADOW_CLIP_REJECT:
        rejects.append(f"under-exposed: {shadow:.0%} of the face is clipped black")
    elif shadow > SHADOW_CLIP_WARN:
        warnings.append(f"dark: {shadow:.1%} of the face is clipped black")

    sharpness = sharpness_index(rgb, landmarks)
    if sharpness < SHARPNESS_REJECT:
        rejects.append(f"blurred: sharpness {sharpness:.2f} (at least {SHARPNESS_REJECT})")
    elif sharpness < SHARPNESS_WARN:
        warnings.append(f"soft focus: sharpness {sharpness:.2f}; texture and pores are less reliable")

    verdict: Verdict = "reject" if rejects else ("warn" if warnings else "ok")
    return Quality(
        verdict=verdict,
        reasons=tuple(rejects + warnings),
        face_found=True,
        face_count=landmarks.face_count,
        inter_ocular_px=round(iod, 2),
        face_size_px=(round(float(span[0]), 1), round(float(span[1]), 1)),
        pose=pose,
        sharpness=sharpness,
        exposure_ev=exposure_ev,
        highlight_clip_fraction=round(highlight, 5),
        shadow_clip_fraction=round(shadow, 5),
        warnings=tuple(warnings),
    )
