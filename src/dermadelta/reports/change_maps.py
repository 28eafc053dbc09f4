"""Where on the face a metric changed: per-pixel maps of local change, after minus before.

Each metric's per-pixel map (``MetricMaps``) is averaged over a neighbourhood of a
few millimetres of skin (a Gaussian, normalized by the skin mask so eyes, lips and
hair never bleed in) and the before value is subtracted from the after value. The
local statistic mirrors the zone metric, so a map's mean over a zone tells the same
story as the zone's number:

- ``redness``: local mean a*; ``pigmentation``: local mean melanin index;
- ``tone_ita``: ITA from the local mean L* and b*;
- ``unevenness``, ``texture``: local RMS of the band-passed map (sqrt of the local mean of squares);
- ``spots``: local area fraction; ``pores``: local mean depth; ``wrinkles``: local mean line strength.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.metrics import METRICS, FloatMap, MetricMaps, masked_gaussian

#: The neighbourhood a change map averages over: large enough to beat pixel noise,
#: small enough to show which part of a cheek changed.
DEFAULT_SIGMA_MM = 3.0

Statistic = Literal["mean", "rms", "ita"]
_STATISTIC: dict[str, Statistic] = {
    "redness": "mean",
    "pigmentation": "mean",
    "tone_ita": "ita",
    "unevenness": "rms",
    "texture": "rms",
    "pores": "mean",
    "wrinkles": "mean",
    "spots": "mean",
}


def _fields(maps: MetricMaps, metric: str) -> tuple[FloatMap, ...] | None:
    """The per-pixel maps a metric's local statistic is computed from; ``None`` when
    the photo was too soft for this fine-detail map."""
    if metric == "redness":
        return (maps.redness,)
    if metric == "tone_ita":
        return (maps.lab[..., 0], maps.lab[..., 2])
    if metric == "pigmentation":
        return (maps.melanin,)
    value = getattr(maps, metric)
    return None if value is None else (np.asarray(value, dtype=np.float32),)


def _local_statistic(
    fields: tuple[FloatMap, ...], mask: NDArray[np.bool_], statistic: Statistic, sigma_px: float
) -> FloatMap:
    # Zeros where the mask is off: the masked Gaussian multiplies by the mask, and NaN x 0 is NaN.
    clean = [np.where(mask, f, np.float32(0)).astype(np.float32) for f in fields]
    if statistic == "ita":
        lightness, b_star = (masked_gaussian(f, mask, sigma_px) for f in clean)
        return np.degrees(np.arctan2(lightness - np.float32(50), b_star)).astype(np.float32)
    if statistic == "rms":
        return np.sqrt(np.maximum(masked_gaussian(clean[0] ** 2, mask, sigma_px), 0)).astype(np.float32)
    return masked_gaussian(clean[0], mask, sigma_px)


def local_change(
    before: MetricMaps,
    after: MetricMaps,
    skin: NDArray[np.bool_],
    metric: str,
    *,
    pixel_spacing_mm: float,
    sigma_mm: float = DEFAULT_SIGMA_MM,
) -> FloatMap:
    """Local change of ``metric`` (after minus before, in the metric's unit) over the maps' box.

    ``skin`` is the skin mask of the full canonical frame (both photos are measured on
    the same skin, so both maps share one box). Pixels off the skin, or where either
    photo's map is not finite, are left out of every average and are NaN in the result.
    """
    if metric not in _STATISTIC:
        raise ValueError(f"unknown metric {metric!r}; expected one of {', '.join(METRICS)}")
    if before.box != after.box:
        raise ValueError(f"before and after maps cover different boxes: {before.box} vs {after.box}")
    if not pixel_spacing_mm > 0 or not sigma_mm > 0:
        raise ValueError(f"pixel_spacing_mm and sigma_mm must be positive, not {pixel_spacing_mm}, {sigma_mm}")
    before_fields, after_fields = _fields(before, metric), _fields(after, metric)
    if before_fields is None or after_fields is None:
        box = np.asarray(skin, dtype=bool)[before.box]
        return np.full(box.shape, np.nan, dtype=np.float32)
    mask = np.asarray(skin, dtype=bool)[before.box]
    if mask.shape != before_fields[0].shape:
        raise ValueError(f"skin mask in the box is {mask.shape}, the maps are {before_fields[0].shape}")
    for field in (*before_fields, *after_fields):
        mask = mask & np.isfinite(field)
    result = np.full(mask.shape, np.nan, dtype=np.float32)
    if not mask.any():
        return result
    sigma_px = sigma_mm / pixel_spacing_mm
    statistic = _STATISTIC[metric]
    change = _local_statistic(after_fields, mask, statistic, sigma_px) - _local_statistic(
        before_fields, mask, statistic, sigma_px
    )
    result[mask] = change[mask]
    return result
