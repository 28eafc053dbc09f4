"""Match the exposure and white balance of one capture of a face to another."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import channel_max, channel_min
from dermadelta.imaging.standardize import Standardized

# Pixels usable as a colour reference: linear values inside these bounds in both photos.
# The lower bound is about 16 of 255 in sRGB. At 38 of 255 (0.02) a white backdrop clipped
# in the brighter photo left too few pixels in 2 of 304 evaluation pairs; down to 16 the
# darker pixels around the face (hair, ears) matched them, and on 68 re-captures the
# gains' error was the same at either bound. make eval reports the match's error
# (docs/MEASUREMENT.md, the light's match).
_MATCH_MIN_LINEAR = 0.005
_MATCH_MAX_LINEAR = 0.95
_MATCH_MIN_PIXELS = 500
_MATCH_MAX_LOCAL_STD = 0.03
#: The largest gain per channel (2 EV) that a change of exposure and white balance between
#: two captures of one scene explains. Beyond it the surroundings are another room or light:
#: a photo of the same person from another session was scaled 10-14 times and its face
#: clipped to white, which read as redness and pigmentation gone.
_MATCH_MAX_GAIN = 4.0
#: Why a light could not be matched, in plain words (the report says it too).
UNMATCHED_CAUSE = (
    "too little plain background around the face to compare the two by, or a background so unlike the before "
    "photo's that the photos were taken in another room or light"
)
#: Why the after photo's light-dependent metrics are not compared when its light could not
#: be matched (a comparison names the photo: "after photo: ...").
UNMATCHED_REASON = f"the light it was taken in could not be matched to the before photo's ({UNMATCHED_CAUSE})"


def _flat(photo: Standardized) -> NDArray[np.bool_]:
    """Pixels whose 7 x 7 neighbourhood varies by less than 3 % in log intensity."""
    import cv2

    log_lum = photo.log_intensity
    mean = cv2.blur(log_lum, (7, 7))
    variance = cv2.blur(log_lum * log_lum, (7, 7)) - mean * mean
    return np.asarray(variance < _MATCH_MAX_LOCAL_STD**2)


def match_colour(moving: Standardized, reference: Standardized, *, region: NDArray[np.bool_]) -> Standardized | None:
    """Scale each linear channel of ``moving`` so that, over ``region`` (the surroundings
    of the face, never the skin being measured), it matches ``reference``.

    This removes exposure and white-balance differences between two captures (a
    gain per channel in linear light is what both are) without touching a change
    of the skin itself. The gain is the median of per-pixel ratios of the two
    aligned photos, on flat pixels (edges carry misalignment, JPEG ringing and
    chroma subsampling) that are neither clipped nor so dark that 8-bit
    quantization and sensor noise dominate them. A ratio of region medians was
    biased by dark backgrounds by up to 20 %. Returns None when too few pixels
    qualify, or when a gain is larger than a change of light explains: the light
    cannot be matched, and what it moves must not be compared.
    """
    lower, upper = _MATCH_MIN_LINEAR, _MATCH_MAX_LINEAR
    usable = region & moving.valid & reference.valid & _flat(reference)
    for photo in (moving, reference):
        usable &= (channel_min(photo.linear) > lower) & (channel_max(photo.linear) < upper)
    if usable.sum() < _MATCH_MIN_PIXELS:
        return None
    gains = np.median(reference.linear[usable] / moving.linear[usable], axis=0)
    if np.any(gains > _MATCH_MAX_GAIN) or np.any(gains < 1 / _MATCH_MAX_GAIN):
        return None
    linear = np.clip(moving.linear * gains.astype(np.float32), 0.0, 1.0).astype(np.float32)
    return replace(moving, linear=linear, colour_gains=(float(gains[0]), float(gains[1]), float(gains[2])))
