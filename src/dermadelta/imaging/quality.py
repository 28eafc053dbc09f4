"""Capture quality gate: is this photo fit to measure skin, and if not, why.

The gate refuses a photo only when the face itself cannot be measured: no face,
a face too small or turned too far, a face mostly blown out to white or lost in
black, or a photo so far out of focus that even the colour zones are smeared.
Everything else is measured, with warnings that say what a photo cannot show:

- **focus** is judged at the photo's own resolution, on the edges of the eyes,
  lashes and brows (which no treatment changes), as an effective Gaussian blur in
  millimetres on the face (``effective_resolution_mm``);
- **glare** (specular highlights, near white in every channel) is reported as a
  share of the face; the measuring code leaves clipped pixels out;
- **one clipped channel** (red on fair skin in bright light) is reported per
  channel; it makes only the affected zones not measurable, never the photo;
- **noise** is the pixel noise of log luminance on the cheeks.

Everything is judged on log luminance or on counts of clipped pixels, so that
correctly exposed deep skin is not mistaken for under-exposure or softness: dark
skin has low luminance but is neither clipped nor flat in log space.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.capture import edge_blur_sigma_px, noise_sigma
from dermadelta.imaging.colour import log_luminance, relative_luminance, srgb_to_linear
from dermadelta.imaging.decode import Decoded, unit_float
from dermadelta.imaging.harmonise import ANALYSIS_BLUR_MM
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE, Landmarks
from dermadelta.imaging.standardize import ADULT_IOD_MM

Verdict = Literal["ok", "warn", "reject"]

# Face Mesh points used for pose: cheek edges (subject's right 234, left 454),
# nasion 168 and subnasale 2, which lie at nearly equal depth in a frontal face.
_RIGHT_CHEEK_EDGE, _LEFT_CHEEK_EDGE, _NASION, _SUBNASALE = 234, 454, 168, 2
_MOUTH_RIGHT_CORNER, _MOUTH_LEFT_CORNER = 61, 291

#: A face with an inter-ocular distance under this is analysed with a warning.
SMALL_FACE_IOD_PX = 150.0
#: Under this, colour statistics of a zone hold too few independent pixels.
MIN_FACE_IOD_PX = 60.0
YAW_WARN_DEG, YAW_REJECT_DEG = 15.0, 30.0
PITCH_WARN_DEG, PITCH_REJECT_DEG = 15.0, 30.0
ROLL_WARN_DEG = 20.0

#: An sRGB value at or above this is clipped (the value the measuring code uses).
CLIPPED_SRGB = 0.985
#: A channel clipped on more than this share of the face is reported in a warning;
#: the measuring code leaves those pixels out of the zones they fall in. (One
#: clipped channel used to refuse a photo above 10 % of the face: red on fair skin
#: in bright light refused about one bright pair in eight.)
HIGHLIGHT_CLIP_WARN = 0.02
#: A channel clipped on more than this share of the face leaves less than a tenth
#: of it with all three channels: there is no skin colour left to measure.
CHANNEL_CLIP_REJECT = 0.90
#: Glare: every channel at or above this (240 of 255), or the luminance itself
#: clipped, is a specular highlight (the light source's colour, not the skin's).
GLARE_MIN_CHANNEL_SRGB = 0.94
GLARE_LUMINANCE = 0.95
#: A glare share above this is reported in a warning; above the refusal share the
#: face is mostly blown out and cannot be measured.
GLARE_WARN, GLARE_REJECT = 0.01, 0.40
#: Black in every channel (4 of 255 or less): no signal. Deep skin is far above it.
SHADOW_SRGB = 0.015
#: Shares of the face black in every channel: a warning, and a refusal where too
#: much of the face holds no signal to measure.
SHADOW_CLIP_WARN, SHADOW_CLIP_REJECT = 0.05, 0.20

#: Effective blur (Gaussian sigma on the face, mm) above which fine-scale measures
#: cannot be compared: the common resolution at which fine detail is measured
#: (a softer photo cannot be brought to it, and its texture, pores, lines,
#: unevenness and spots are not measurable).
FOCUS_WARN_MM = ANALYSIS_BLUR_MM
#: Above this even colour zones are smeared: a blur of 2 mm sigma spreads the colour
#: of lashes, brows, lips and hair over about 4 mm (2 sigma) of skin, more than the
#: 2.5-4.5 mm (0.04-0.07 IOD) margins that the zones keep from them, and wipes out
#: the 1-8 mm unevenness band's lower half and every spot under 2 mm. (Blurs of
#: 2-3 mm read within about 25 % either way; see docs/IMAGING.md.)
FOCUS_REJECT_MM = 2.0
#: Sharp photos read 1.0-1.4 px at the pixel level (the lens, demosaicing and
#: sampling); a soft photo reads more. Below this a coarse ``effective_resolution_mm``
#: comes from a face small in the frame, not from focus, and the warning says so.
SHARP_CAPTURE_BLUR_PX = 2.0
#: Eyes, lashes and brows are grown by this share of the IOD to hold their edges.
EYE_DETAIL_MARGIN_IOD = 0.1
#: Reduced copies (see :func:`effective_blur_px`) go down to this many pixels
#: between the eyes; their reading counts from this many pixels up (sharp photos
#: read 0.5-1.2 px on copies with 48-160 px between the eyes).
_COARSE_MIN_IOD_PX = 48.0
_COARSE_MIN_READING_PX = 1.5
#: Under this many pixels between the eyes, neither blur nor noise is read.
_MIN_READ_IOD_PX = 16.0

#: The sharpness index (see :func:`sharpness_index`) is still reported, for stored
#: analyses that show it, but no longer decides anything: it reads the skin's own
#: fine relief as well as the capture's focus.
_EXPOSURE_SAMPLE_PIXELS = 1_000_000
#: Face-relative frame used to judge sharpness: the face rescaled to this IOD.
_SHARPNESS_IOD_PX = 128.0
_CHANNELS = ("red", "green", "blue")


@dataclass(frozen=True)
class Pose:
    """Approximate head pose in degrees from the landmark depths (0, 0, 0 = frontal, level)."""

    yaw: float
    pitch: float
    roll: float


def _no_clipping() -> dict[str, float]:
    return {name: 0.0 for name in _CHANNELS}


@dataclass(frozen=True)
class Quality:
    """What the gate found and decided.

    ``effective_resolution_mm`` is the effective Gaussian blur (sigma) of the photo
    on the face, in millimetres (``None`` when it could not be read); ``noise`` the
    standard deviation of pixel noise in natural-log luminance on the cheeks (0.01 is
    about 1 % of the signal; ``None`` when not read), read on the pixels as decoded
    (a large JPEG decoded at half size averages four pixels into one, and reads
    less noise than at full size); ``inter_ocular_px`` and ``face_size_px`` are in
    the file's own pixels; ``glare_fraction`` the share
    of the face near white in every channel or with its luminance clipped;
    ``channel_clip_fraction`` the share of the face clipped per channel.
    ``sharpness`` is kept for compatibility and decides nothing.
    """

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
    effective_resolution_mm: float | None = None
    noise: float | None = None
    glare_fraction: float = 0.0
    channel_clip_fraction: dict[str, float] = field(default_factory=_no_clipping)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["warnings"] = list(self.warnings)
        data["face_size_px"] = list(self.face_size_px)
        data["channel_clip_fraction"] = dict(self.channel_clip_fraction)
        return data


def estimate_pose(landmarks: Landmarks) -> Pose:
    """Yaw, pitch and roll in degrees; yaw > 0 when the subject turns to their left."""
    p, z = landmarks.points, landmarks.depth
    yaw = np.arctan2(z[_LEFT_CHEEK_EDGE] - z[_RIGHT_CHEEK_EDGE], p[_LEFT_CHEEK_EDGE, 0] - p[_RIGHT_CHEEK_EDGE, 0])
    pitch = np.arctan2(z[_SUBNASALE] - z[_NASION], p[_SUBNASALE, 1] - p[_NASION, 1])
    eyes = p[LEFT_IRIS_CENTRE] - p[RIGHT_IRIS_CENTRE]
    roll = np.arctan2(eyes[1], eyes[0])
    return Pose(*(round(float(np.degrees(a)), 2) for a in (yaw, pitch, roll)))


def sharpness_index(rgb: NDArray[Any], landmarks: Landmarks) -> float:
    """Fine-detail energy of the face, independent of resolution and skin tone.

    The face is rescaled so that its inter-ocular distance is 128 px; the score is
    100 x the standard deviation of a difference of Gaussians (sigma 0.5 and 1 px)
    of log luminance inside the face. Log luminance makes it a contrast, which a
    dark and a light skin show alike. Reported for compatibility; the gate decides
    on :func:`effective_blur_px` instead.
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
    small = cv2.resize(_finite(crop), size, interpolation=interpolation)
    lum = log_luminance(srgb_to_linear(small))
    band = cv2.GaussianBlur(lum, (0, 0), 0.5) - cv2.GaussianBlur(lum, (0, 0), 1.0)
    inner = band[2:-2, 2:-2]
    return round(float(100.0 * np.std(inner)), 4)


def _finite(rgb: NDArray[Any]) -> NDArray[np.float32]:
    """Pixels as float32 in [0, 1], with NaN and infinities replaced (a crop, never a whole 12 MP photo)."""
    if rgb.dtype.kind != "f":
        return unit_float(rgb)
    return np.clip(np.nan_to_num(rgb, nan=0.0, posinf=1.0, neginf=0.0), 0.0, 1.0).astype(np.float32)


def _crop_box(
    points: NDArray[np.float64], margin_px: float, shape: tuple[int, ...]
) -> tuple[int, int, int, int] | None:
    """The box (x0, y0, x1, y1) around ``points`` grown by ``margin_px``, inside the photo."""
    x0, y0 = np.floor(points.min(axis=0) - margin_px).astype(int)
    x1, y1 = np.ceil(points.max(axis=0) + margin_px).astype(int)
    x0, y0, x1, y1 = max(int(x0), 0), max(int(y0), 0), min(int(x1), shape[1]), min(int(y1), shape[0])
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    return x0, y0, x1, y1


def _hulls_mask(shape: tuple[int, int], groups: tuple[NDArray[np.float64], ...], margin_px: float) -> NDArray[np.bool_]:
    """The convex hull of each point group, filled and grown by ``margin_px``."""
    import cv2

    mask = np.zeros(shape, dtype=np.uint8)
    for points in groups:
        cv2.fillConvexPoly(mask, cv2.convexHull(np.round(points).astype(np.int32)), 1)
    if margin_px <= 0:
        return mask.astype(bool)
    return cv2.distanceTransform(1 - mask, cv2.DIST_L2, 5) <= margin_px


def _eye_detail(rgb: NDArray[Any], landmarks: Landmarks, scale: float) -> float:
    """Edge blur in pixels of the eyes, lashes and brows, read on ``rgb`` resized by ``scale``."""
    import cv2

    from dermadelta.imaging.zones import LEFT_BROW, LEFT_EYE, RIGHT_BROW, RIGHT_EYE

    iod = landmarks.inter_ocular_px
    groups = [landmarks.points[list(group)] for group in (LEFT_EYE, RIGHT_EYE, LEFT_BROW, RIGHT_BROW)]
    margin = EYE_DETAIL_MARGIN_IOD * iod
    # Room around the region for the re-blur and gradient kernels to see true pixels.
    box = _crop_box(np.vstack(groups), margin + 4.0 / scale, rgb.shape)
    if box is None:
        return float("nan")
    x0, y0, x1, y1 = box
    crop = _finite(rgb[y0:y1, x0:x1])
    if scale < 1.0:
        size = (max(8, round(crop.shape[1] * scale)), max(8, round(crop.shape[0] * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
    sx, sy = crop.shape[1] / (x1 - x0), crop.shape[0] / (y1 - y0)
    # cv2.resize maps pixel centres: x_dst = (x_src + 0.5) * s - 0.5
    moved = tuple((points - [x0, y0] + 0.5) * [sx, sy] - 0.5 for points in groups)
    region = _hulls_mask(crop.shape[:2], moved, margin * sx)
    return edge_blur_sigma_px(log_luminance(srgb_to_linear(crop)), region)


def effective_blur_px(rgb: NDArray[Any], landmarks: Landmarks) -> float:
    """Effective Gaussian blur (sigma, pixels of the photo) at the face, or ``nan``.

    Read by :func:`dermadelta.imaging.capture.edge_blur_sigma_px` on log luminance
    at the photo's own resolution, in a mask of the eyes, lashes and brows grown by
    0.1 IOD (edges that no treatment changes), cropped first so that a 12 MP photo
    costs little.

    The re-blur ratio reads a blur of a few pixels well; a blur of many pixels
    (a soft photo, or a large face) spreads each edge so thin that sensor noise,
    8-bit steps and JPEG block edges pass for the sharpest edges, and the reading
    falls far short (a 30 px blur on a 12 MP face read 0-3 px). The blur is
    therefore read again on copies reduced by halves, down to 48 px between the
    eyes, where those are averaged away; a reduced copy can only confirm softness:
    its reading counts when it stands clear of what a sharp photo reads at that
    size (at least 1.5 px there and coarser than :data:`FOCUS_WARN_MM`), and the
    largest reading is kept.
    """
    iod = landmarks.inter_ocular_px
    if not np.isfinite(iod) or iod < _MIN_READ_IOD_PX:
        return float("nan")
    sigma = _eye_detail(rgb, landmarks, 1.0)
    scale = 0.5
    while iod * scale >= _COARSE_MIN_IOD_PX:
        reading = _eye_detail(rgb, landmarks, scale)
        resolution_mm = reading / scale * ADULT_IOD_MM / iod
        if np.isfinite(reading) and reading >= _COARSE_MIN_READING_PX and resolution_mm > FOCUS_WARN_MM:
            sigma = reading / scale if not np.isfinite(sigma) else max(sigma, reading / scale)
        scale /= 2
    return float(sigma)


def _face_axes(landmarks: Landmarks) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """The face's own axes: the eyes' midpoint, u along the eyes, v towards the mouth, and
    the mouth corners' distance along v."""
    p = landmarks.points
    middle = 0.5 * (p[LEFT_IRIS_CENTRE] + p[RIGHT_IRIS_CENTRE])
    u_axis = (p[LEFT_IRIS_CENTRE] - p[RIGHT_IRIS_CENTRE]) / max(landmarks.inter_ocular_px, 1e-6)
    v_axis = np.array([-u_axis[1], u_axis[0]])
    mouth = 0.5 * (p[_MOUTH_LEFT_CORNER] + p[_MOUTH_RIGHT_CORNER]) - middle
    if float(mouth @ v_axis) < 0:  # a mirrored photo: v must still point to the mouth
        v_axis = -v_axis
    return middle, u_axis, v_axis, float(mouth @ v_axis)


def skin_noise(rgb: NDArray[Any], landmarks: Landmarks) -> float:
    """Pixel noise (standard deviation of natural-log luminance) on the cheeks, or ``nan``.

    Read by :func:`dermadelta.imaging.capture.noise_sigma` at the photo's own
    resolution. The cheeks are taken in the face's own axes (u along the eyes, v
    towards the mouth): v from 0.3 IOD below the eyes to the mouth corners, |u| over
    0.35 IOD (beside the nose), 0.06 IOD inside the face oval: the cheek reference
    the zones use to judge skin colour. Only their box is cropped out of the photo.
    """
    import cv2

    from dermadelta.imaging.zones import FACE_OVAL

    iod = landmarks.inter_ocular_px
    if not np.isfinite(iod) or iod < _MIN_READ_IOD_PX:
        return float("nan")
    middle, u_axis, v_axis, mouth_v = _face_axes(landmarks)
    if mouth_v <= 0.3 * iod:
        return float("nan")
    oval_points = landmarks.points[list(FACE_OVAL)]
    corners = np.array(
        [middle + u * u_axis + v * v_axis for u in (-1.5 * iod, 1.5 * iod) for v in (0.3 * iod, mouth_v)]
    )
    oval_box = _crop_box(oval_points, 2.0, rgb.shape)
    band_box = _crop_box(corners, 2.0, rgb.shape)
    if oval_box is None or band_box is None:
        return float("nan")
    x0, y0 = max(oval_box[0], band_box[0]), max(oval_box[1], band_box[1])
    x1, y1 = min(oval_box[2], band_box[2]), min(oval_box[3], band_box[3])
    if x1 - x0 < 8 or y1 - y0 < 8:
        return float("nan")
    crop = _finite(rgb[y0:y1, x0:x1])
    oval = np.zeros(crop.shape[:2], dtype=np.uint8)
    cv2.fillPoly(oval, [np.round(oval_points - [x0, y0]).astype(np.int32)], 1)
    inside = cv2.distanceTransform(oval, cv2.DIST_L2, 5) > 0.06 * iod
    rows, cols = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    dx, dy = cols - np.float32(middle[0]), rows - np.float32(middle[1])
    u = dx * np.float32(u_axis[0]) + dy * np.float32(u_axis[1])
    v = dx * np.float32(v_axis[0]) + dy * np.float32(v_axis[1])
    region = inside & (v > 0.3 * iod) & (v < mouth_v) & (np.abs(u) > 0.35 * iod)
    return noise_sigma(log_luminance(srgb_to_linear(crop)), region)


def _face_pixels(rgb: NDArray[Any], landmarks: Landmarks) -> NDArray[Any]:
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


def _focus_reason(blur_px: float, resolution_mm: float, *, refuse: bool) -> str:
    """Plain words for a soft photo: focus when the pixels themselves are soft."""
    if blur_px > SHARP_CAPTURE_BLUR_PX:
        cause = "out of focus"
    else:
        cause = "too little detail (the face is small in the photo)"
    if refuse:
        return (
            f"{cause}: the photo resolves only about {resolution_mm:.1f} mm on the face; "
            "skin colour and detail are smeared and cannot be measured"
        )
    return (
        f"{cause}: the photo resolves about {resolution_mm:.1f} mm on the face; "
        "fine detail (texture, pores, lines) cannot be compared"
    )


def _optional(value: float, digits: int) -> float | None:
    return round(float(value), digits) if np.isfinite(value) else None


def _rejected(reason: str, *, face_count: int = 0) -> Quality:
    return Quality(
        verdict="reject",
        reasons=(reason,),
        face_found=face_count > 0,
        face_count=face_count,
        inter_ocular_px=0.0,
        face_size_px=(0.0, 0.0),
        pose=None,
        sharpness=0.0,
        exposure_ev=0.0,
        highlight_clip_fraction=0.0,
        shadow_clip_fraction=0.0,
    )


def assess_quality(decoded: Decoded, landmarks: Landmarks) -> Quality:
    """Stage ``quality``: verdict ``ok``, ``warn`` or ``reject`` with the reasons.

    A photo is refused only when its face cannot be measured; what limits the
    measurement otherwise (softness, glare, a clipped channel, noise) is reported
    as a figure and, past a limit, a warning in plain words.
    """
    if not landmarks.found:
        return _rejected("no face found")
    if not np.all(np.isfinite(landmarks.points)):
        return _rejected("the face's landmarks could not be placed", face_count=landmarks.face_count)
    rejects: list[str] = []
    warnings: list[str] = []
    rgb = decoded.pixels
    iod = landmarks.inter_ocular_px
    # Sizes are judged and reported in the file's pixels, whatever size it was decoded at.
    file_iod = iod / decoded.scale
    span = np.ptp(landmarks.points, axis=0) / decoded.scale
    if landmarks.face_count > 1:
        warnings.append(f"{landmarks.face_count} faces found; the largest is measured")
    if file_iod < MIN_FACE_IOD_PX:
        rejects.append(f"face too small: {file_iod:.0f} px between the eyes (at least {MIN_FACE_IOD_PX:.0f})")
    elif file_iod < SMALL_FACE_IOD_PX:
        warnings.append(f"small face: {file_iod:.0f} px between the eyes; fine-scale metrics may be not measurable")
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
        face = rgb[:: max(1, height // 256), :: max(1, width // 256)].reshape(-1, 3)
    face = _finite(face)
    clipped = face >= CLIPPED_SRGB
    channel_clip = {name: round(float(np.mean(clipped[:, i])), 5) for i, name in enumerate(_CHANNELS)}
    highlight = float(np.mean(np.any(clipped, axis=1)))
    linear = srgb_to_linear(face)
    luminance = relative_luminance(linear)
    glare = float(np.mean((face.min(axis=1) >= GLARE_MIN_CHANNEL_SRGB) | (luminance >= GLARE_LUMINANCE)))
    shadow = float(np.mean(np.all(face <= SHADOW_SRGB, axis=1)))
    median_lum = float(np.median(luminance)) if luminance.size else 0.0
    exposure_ev = round(float(np.log2(max(median_lum, 1e-6) / 0.18)), 3)
    worst = max(_CHANNELS, key=lambda name: channel_clip[name])
    clipped_channels = [
        f"{name} on {channel_clip[name]:.0%}" for name in _CHANNELS if channel_clip[name] > HIGHLIGHT_CLIP_WARN
    ]
    if glare > GLARE_REJECT:
        rejects.append(f"over-exposed: {glare:.0%} of the face is blown out to white; skin colour cannot be measured")
    elif channel_clip[worst] > CHANNEL_CLIP_REJECT:
        rejects.append(
            f"over-exposed: the {worst} channel is clipped on {channel_clip[worst]:.0%} of the face; "
            "skin colour cannot be measured"
        )
    else:
        if glare > GLARE_WARN:
            warnings.append(
                f"glare: {glare:.1%} of the face is near white (shine or over-exposure); clipped parts are not measured"
            )
        if clipped_channels:
            warnings.append(
                f"bright light: colour clipped ({', '.join(clipped_channels)} of the face); "
                "those parts are not measured"
            )
    if shadow > SHADOW_CLIP_REJECT:
        rejects.append(f"under-exposed: {shadow:.0%} of the face is black; skin cannot be measured")
    elif shadow > SHADOW_CLIP_WARN:
        warnings.append(f"dark: {shadow:.1%} of the face is black; those parts are not measured")

    blur_px = effective_blur_px(rgb, landmarks)
    resolution_mm = blur_px * ADULT_IOD_MM / iod if np.isfinite(blur_px) and iod > 0 else float("nan")
    if not np.isfinite(resolution_mm):
        if file_iod >= MIN_FACE_IOD_PX:
            warnings.append("focus could not be checked: no clear edges of the eyes or brows")
    elif resolution_mm > FOCUS_REJECT_MM:
        rejects.append(_focus_reason(blur_px, resolution_mm, refuse=True))
    elif resolution_mm > FOCUS_WARN_MM:
        warnings.append(_focus_reason(blur_px, resolution_mm, refuse=False))
    noise = skin_noise(rgb, landmarks)

    verdict: Verdict = "reject" if rejects else ("warn" if warnings else "ok")
    return Quality(
        verdict=verdict,
        reasons=tuple(rejects + warnings),
        face_found=True,
        face_count=landmarks.face_count,
        inter_ocular_px=round(file_iod, 2),
        face_size_px=(round(float(span[0]), 1), round(float(span[1]), 1)),
        pose=pose,
        sharpness=sharpness_index(rgb, landmarks),
        exposure_ev=exposure_ev,
        highlight_clip_fraction=round(highlight, 5),
        shadow_clip_fraction=round(shadow, 5),
        warnings=tuple(warnings),
        effective_resolution_mm=_optional(resolution_mm, 3),
        noise=_optional(noise, 4),
        glare_fraction=round(glare, 5),
        channel_clip_fraction=channel_clip,
    )
