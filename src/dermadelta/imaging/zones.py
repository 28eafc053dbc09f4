"""Skin zones of the face in the canonical frame, from Face Mesh landmarks.

Every zone is skin only: eyes, brows and lips are cut out by landmark hulls, the
nostrils by their darkness in the lower nose, and large non-skin regions that the landmarks cannot see (hair over the
forehead, a beard) are cut out by colour: pixels far from the face's own skin
colour that form blobs larger than a spot. Small dark marks (pores, spots) stay,
because they are what is measured.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import log_luminance
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE
from dermadelta.imaging.standardize import CANONICAL_IOD_PX, FRAME_SIZE_PX, Standardized

ZONE_NAMES = (
    "forehead",
    "nose",
    "left_cheek",
    "right_cheek",
    "chin",
    "perioral",
    "left_periorbital",
    "right_periorbital",
    "face",
)

# Face Mesh topology (point numbers of the 478-point model).
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)
LIPS = (
    0,
    13,
    14,
    17,
    37,
    39,
    40,
    61,
    78,
    80,
    81,
    82,
    84,
    87,
    88,
    91,
    95,
    146,
    178,
    181,
    185,
    191,
    267,
    269,
    270,
    291,
    308,
    310,
    311,
    312,
    314,
    317,
    318,
    321,
    324,
    375,
    402,
    405,
    409,
    415,
)
LEFT_EYE = (249, 263, 362, 373, 374, 380, 381, 382, 384, 385, 386, 387, 388, 390, 398, 466)
RIGHT_EYE = (7, 33, 133, 144, 145, 153, 154, 155, 157, 158, 159, 160, 161, 163, 173, 246)
LEFT_BROW = (276, 282, 283, 285, 293, 295, 296, 300, 334, 336)
RIGHT_BROW = (46, 52, 53, 55, 63, 65, 66, 70, 105, 107)
NOSE = (1, 2, 4, 5, 6, 19, 45, 48, 64, 94, 97, 98, 115, 168, 195, 197, 220, 275, 278, 294, 326, 327, 344, 440)
NOSE_TIP = 4
#: Subnasale and the alar bases: their hull covers the nostrils.
NOSTRILS = (2, 97, 98, 326, 327, 94)
MOUTH_RIGHT_CORNER, MOUTH_LEFT_CORNER = 61, 291
LOWER_LIP_BOTTOM = 17
CHIN_POINT = 152

# Sizes as fractions of the inter-ocular distance (IOD).
_OVAL_INSET_IOD = 0.06  # the face's edge is shadowed and shifts with pose
_EYE_MARGIN_IOD = 0.07
_BROW_MARGIN_IOD = 0.05
_LIP_MARGIN_IOD = 0.04
_NOSTRIL_MARGIN_IOD = 0.04
_PERIORBITAL_RADII_IOD = (0.42, 0.30)
_PERIORAL_REACH_IOD = 0.28
_CHIN_MARGIN_IOD = 0.08
#: Non-skin blobs thinner than this are kept as skin (pores, spots, fine lines).
_NON_SKIN_MIN_WIDTH_IOD = 0.06
#: Blobs of the nasal base wider than this (2 mm; pores are at most 1.5 mm) and darker
#: than this (natural log of luminance: half the light of the skin around) are nostrils.
_NOSTRIL_MIN_WIDTH_IOD = 0.032
_NOSTRIL_DARKNESS = float(np.log(2.0))
#: Distance from the skin's own colour, in robust standard deviations, past which a
#: pixel is not skin (hair, beard, shadow, background).
_SKIN_COLOUR_LIMIT = 4.5
#: Zones smaller than this many canonical pixels are not measured.
MIN_ZONE_PIXELS = 1500


@dataclass(frozen=True)
class Zones:
    """Boolean skin masks per zone (all of ``ZONE_NAMES``) in the canonical frame.

    ``saturated_share`` is, per zone, the share of its skin left out because a
    colour channel was clipped there (glare, or one channel blown on bright skin).
    """

    masks: dict[str, NDArray[np.bool_]]
    saturated_share: dict[str, float] = field(default_factory=dict)

    def pixel_counts(self) -> dict[str, int]:
        return {name: int(mask.sum()) for name, mask in self.masks.items()}


def _px(fraction_of_iod: float) -> int:
    return max(1, round(fraction_of_iod * CANONICAL_IOD_PX))


@cache
def _disc(radius: int) -> NDArray[np.uint8]:
    import cv2

    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))


def mask_box(mask: NDArray[np.bool_], margin: int) -> tuple[slice, slice]:
    """The rows and columns of ``mask``'s bounding box grown by ``margin``, inside the frame
    (empty slices for an empty mask)."""
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return slice(0, 0), slice(0, 0)
    r0, r1 = max(rows[0] - margin, 0), min(rows[-1] + margin + 1, mask.shape[0])
    c0, c1 = max(cols[0] - margin, 0), min(cols[-1] + margin + 1, mask.shape[1])
    return slice(r0, r1), slice(c0, c1)


# Both run the distance transform on the mask's box only (most masks are a feature of
# the face, a small part of the frame); the box keeps a border of at least two pixels,
# the reach of the transform's 5 x 5 mask, so every distance is as in the whole frame.
def _grow(mask: NDArray[np.bool_], radius_px: float) -> NDArray[np.bool_]:
    """Dilate by a disc, through the distance transform (constant time in the radius)."""
    import cv2

    box = mask_box(mask, int(np.ceil(radius_px)) + 2)
    grown = np.zeros_like(mask)
    if mask[box].size:
        grown[box] = cv2.distanceTransform((~mask[box]).astype(np.uint8), cv2.DIST_L2, 5) <= radius_px
    return grown


def _shrink(mask: NDArray[np.bool_], radius_px: float) -> NDArray[np.bool_]:
    import cv2

    box = mask_box(mask, 2)
    shrunk = np.zeros_like(mask)
    if mask[box].size:
        shrunk[box] = cv2.distanceTransform(mask[box].astype(np.uint8), cv2.DIST_L2, 5) > radius_px
    return shrunk


def _hull_mask(points: NDArray[np.float64], margin_px: int) -> NDArray[np.bool_]:
    import cv2

    mask = np.zeros(FRAME_SIZE_PX[::-1], dtype=np.uint8)
    hull = cv2.convexHull(np.round(points).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1)
    return _grow(mask.astype(bool), margin_px) if margin_px > 0 else mask.astype(bool)


def _polygon_mask(points: NDArray[np.float64]) -> NDArray[np.bool_]:
    import cv2

    mask = np.zeros(FRAME_SIZE_PX[::-1], dtype=np.uint8)
    cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def face_region(landmarks: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Inside the face oval (canonical frame), before any exclusion."""
    return _polygon_mask(landmarks[list(FACE_OVAL)])


#: Around the eyes and brows: the edges (eyelids, lashes, iris, brow hairs) on which
#: a photo's sharpness is read, because no skin treatment changes them. The margin
#: (2.5 mm) holds the lid margins and lashes and little skin: at 0.1 IOD (6 mm) the skin
#: around the eyes was most of it, and a smoothing of that skin read as a softer photo
#: nearly three times as much (tests/imaging/test_harmonise.py).
_EYE_DETAIL_MARGIN_IOD = 0.04


def eye_region(landmarks: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The eyes and brows with a margin (canonical frame): where sharpness is read."""
    margin = _px(_EYE_DETAIL_MARGIN_IOD)
    return (
        _hull_mask(landmarks[list(LEFT_EYE)], margin)
        | _hull_mask(landmarks[list(RIGHT_EYE)], margin)
        | _hull_mask(landmarks[list(LEFT_BROW)], margin)
        | _hull_mask(landmarks[list(RIGHT_BROW)], margin)
    )


def surroundings(landmarks: NDArray[np.float64]) -> NDArray[np.bool_]:
    """The frame outside the face and above the jaw line: hair, background, ears.

    This is the colour reference that a comparison matches between two captures;
    it holds no skin that is being measured.
    """
    outside = ~_grow(face_region(landmarks), _px(0.15))
    chin_y = landmarks[152, 1]
    outside[int(min(max(chin_y, 0), outside.shape[0])) :, :] = False
    return outside


def _skin_colour_mask(
    photo: Standardized,
    candidate: NDArray[np.bool_],
    cheeks: NDArray[np.bool_],
    nasal_base: NDArray[np.bool_],
) -> NDArray[np.bool_]:
    """Pixels of ``candidate`` whose colour is close to the cheeks' skin, keeping small
    marks, and without the nostrils that show in ``nasal_base``."""
    import cv2

    lab = photo.lab[candidate]
    in_cheeks = cheeks[candidate]
    reference = lab[in_cheeks] if np.any(in_cheeks) else lab
    centre = np.median(reference, axis=0)
    spread = 1.4826 * np.median(np.abs(reference - centre), axis=0) + np.array([2.0, 1.0, 1.0])
    # Channel by channel on contiguous copies, summed in the channels' order: the same
    # figures as over the (n, 3) array's rows, without its strided float64 temporaries.
    lightness, a_star, b_star = (np.ascontiguousarray(lab[:, channel]) for channel in range(3))
    distance = np.sqrt(
        ((lightness - centre[0]) / spread[0]) ** 2
        + ((a_star - centre[1]) / spread[1]) ** 2
        + ((b_star - centre[2]) / spread[2]) ** 2
    )
    not_skin = np.zeros(candidate.shape, dtype=np.uint8)
    not_skin[candidate] = distance > _SKIN_COLOUR_LIMIT
    # An opening keeps only non-skin regions wider than a spot; they are then grown
    # a little to take their soft edges.
    radius = _px(_NON_SKIN_MIN_WIDTH_IOD / 2)
    large = _grow(cv2.morphologyEx(not_skin, cv2.MORPH_OPEN, _disc(radius)).astype(bool), radius)
    return candidate & ~large & ~_nostrils(photo.linear, candidate & nasal_base)


def _nostrils(linear: NDArray[np.float32], nasal_base: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The nostrils that show in ``nasal_base``: blobs that return less than half the
    light of the skin around them, wider than any pore or spot.

    Seen from the front they lie above the landmarks of the nasal base, and on dark
    skin they are too close to the skin's colour for the colour test; a ratio of
    light is the same on every skin tone.
    """
    import cv2

    if not nasal_base.any():
        return nasal_base
    log_lum = log_luminance(linear[nasal_base])
    dark = np.zeros(nasal_base.shape, dtype=np.uint8)
    dark[nasal_base] = log_lum < np.median(log_lum) - _NOSTRIL_DARKNESS
    radius = _px(_NOSTRIL_MIN_WIDTH_IOD / 2)
    return _grow(cv2.morphologyEx(dark, cv2.MORPH_OPEN, _disc(radius)).astype(bool), radius)


def _photo_skin(
    photo: Standardized, geometry: NDArray[np.bool_], cheek_region: NDArray[np.bool_], nasal_base: NDArray[np.bool_]
) -> NDArray[np.bool_]:
    """The skin a photo shows inside the landmark ``geometry``, judged against its own cheeks."""
    candidate = geometry & photo.valid
    return _skin_colour_mask(photo, candidate, candidate & cheek_region, nasal_base)


def find_zones(standardized: Standardized, *, also: Standardized | None = None) -> Zones:
    """Stage ``zones``: skin-only masks of every zone in the canonical frame.

    With ``also``, the other photo of a comparison in the same frame, the zones
    keep the geometry of ``standardized``'s landmarks and hold only skin that both
    photos show (hair that covers either is left out of both).
    """
    import cv2

    p = standardized.landmarks
    iod = CANONICAL_IOD_PX
    rows = np.arange(FRAME_SIZE_PX[1])[:, None]
    cols = np.arange(FRAME_SIZE_PX[0])[None, :]

    oval = _shrink(face_region(p), _px(_OVAL_INSET_IOD))
    excluded = (
        _hull_mask(p[list(LEFT_EYE)], _px(_EYE_MARGIN_IOD))
        | _hull_mask(p[list(RIGHT_EYE)], _px(_EYE_MARGIN_IOD))
        | _hull_mask(p[list(LEFT_BROW)], _px(_BROW_MARGIN_IOD))
        | _hull_mask(p[list(RIGHT_BROW)], _px(_BROW_MARGIN_IOD))
        | _hull_mask(p[list(LIPS)], _px(_LIP_MARGIN_IOD))
    )
    nose_points = p[list(NOSE)]
    nostrils = _hull_mask(p[list(NOSTRILS)], _px(_NOSTRIL_MARGIN_IOD))
    geometry = oval & ~excluded & ~nostrils

    eye_y = 0.5 * (p[LEFT_IRIS_CENTRE, 1] + p[RIGHT_IRIS_CENTRE, 1])
    midline_x = 0.5 * (p[LEFT_IRIS_CENTRE, 0] + p[RIGHT_IRIS_CENTRE, 0])
    mouth_y = 0.5 * (p[MOUTH_LEFT_CORNER, 1] + p[MOUTH_RIGHT_CORNER, 1])
    cheek_region = (rows > eye_y + 0.3 * iod) & (rows < mouth_y) & (np.abs(cols - midline_x) > 0.35 * iod)
    nasal_base = _hull_mask(nose_points, 0) & (rows > p[NOSE_TIP, 1])
    skin = _photo_skin(standardized, geometry, cheek_region, nasal_base)
    saturated = standardized.saturated_mask()
    if also is not None:
        skin &= _photo_skin(also, geometry, cheek_region, nasal_base)
        saturated = saturated | also.saturated_mask()
    # Clipped pixels hold no skin colour; left out of both photos, the rest of the
    # zone is still compared like for like.
    saturated = _grow(saturated, 1.5) & skin if saturated.any() else saturated

    brow_top = min(p[list(LEFT_BROW), 1].min(), p[list(RIGHT_BROW), 1].min())
    assigned = np.zeros_like(skin)
    masks: dict[str, NDArray[np.bool_]] = {}

    shares: dict[str, float] = {}

    def claim(name: str, region: NDArray[np.bool_]) -> None:
        mask = region & skin & ~assigned
        assigned[mask] = True
        shares[name] = float(saturated[mask].mean()) if mask.any() else 0.0
        masks[name] = mask & ~saturated

    rx, ry = _PERIORBITAL_RADII_IOD
    for side, iris in (("left", LEFT_IRIS_CENTRE), ("right", RIGHT_IRIS_CENTRE)):
        ellipse = np.zeros(skin.shape, dtype=np.uint8)
        centre = tuple(int(round(v)) for v in p[iris])
        cv2.ellipse(ellipse, centre, (_px(rx), _px(ry)), 0.0, 0.0, 360.0, 1, thickness=-1)
        claim(f"{side}_periorbital", ellipse.astype(bool) & (rows > brow_top))
    claim("nose", _hull_mask(nose_points, 0))
    lips_reach = _hull_mask(p[list(LIPS)], _px(_PERIORAL_REACH_IOD))
    claim("perioral", lips_reach & (rows > p[NOSE_TIP, 1]))
    claim("forehead", rows < brow_top - 0.02 * iod)
    chin_top = p[LOWER_LIP_BOTTOM, 1]
    mouth_half_width = 0.5 * abs(p[MOUTH_LEFT_CORNER, 0] - p[MOUTH_RIGHT_CORNER, 0])
    # The chin stops short of its lowest point: below it the jaw turns into shadow.
    chin_bottom = p[CHIN_POINT, 1] - _CHIN_MARGIN_IOD * iod
    claim("chin", (rows > chin_top) & (rows < chin_bottom) & (np.abs(cols - midline_x) < mouth_half_width + 0.15 * iod))
    cheek_band = (rows > eye_y + 0.12 * iod) & (rows < chin_top)
    # The subject's right cheek is on the side of their right iris.
    right_is_low_x = p[RIGHT_IRIS_CENTRE, 0] < p[LEFT_IRIS_CENTRE, 0]
    on_right = (cols < midline_x) if right_is_low_x else (cols > midline_x)
    claim("right_cheek", cheek_band & on_right)
    claim("left_cheek", cheek_band & ~on_right)
    shares["face"] = float(saturated[skin].mean()) if skin.any() else 0.0
    masks["face"] = skin & ~saturated
    return Zones(masks={name: masks[name] for name in ZONE_NAMES}, saturated_share=shares)
