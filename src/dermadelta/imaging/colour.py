"""Colour maths on float32 arrays: sRGB transfer, CIELAB (D65), ITA, reflectance indices.

colour-science is the reference these functions are tested against; the hot path
keeps its own float32 formulas because colour-science converts in float64 and with
domain checks, several times slower on a whole face.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float32]

# IEC 61966-2-1 sRGB to CIE XYZ (D65), the standard's rounded matrix as colour-science uses it.
_SRGB_TO_XYZ = np.array(
    [
        [0.4124, 0.3576, 0.1805],
        [0.2126, 0.7152, 0.0722],
        [0.0193, 0.1192, 0.9505],
    ],
    dtype=np.float32,
)
# CIE 1931 2 degree D65 white point, XYZ with Y = 1 (colour-science's xy 0.3127, 0.3290).
D65_WHITE = np.array([0.95045593, 1.0, 1.08905775], dtype=np.float32)
_EPSILON = np.float32(216 / 24389)
_KAPPA = np.float32(24389 / 27)

ItaBand = Literal["very_light", "light", "intermediate", "tan", "brown", "dark"]


def _power(values: FloatArray, exponent: float) -> FloatArray:
    """Elementwise power of non-negative float32 values; OpenCV's is about 8x numpy's."""
    import cv2

    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1, 1)
    return cv2.pow(flat, exponent).reshape(np.shape(values))


def _matrix_times(values: FloatArray, matrix: FloatArray) -> FloatArray:
    """``values @ matrix.T`` for (..., 3) arrays, through OpenCV's per-pixel transform."""
    import cv2

    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1, 1, 3)
    return cv2.transform(flat, matrix).reshape(np.shape(values))


def channel_max(pixels: NDArray[Any]) -> NDArray[Any]:
    """The largest channel of each pixel of an (..., 3) array (a NaN channel is passed over)."""
    red, green, blue = _planes(pixels)
    return np.fmax(np.fmax(red, green), blue)


def channel_min(pixels: NDArray[Any]) -> NDArray[Any]:
    """The smallest channel of each pixel of an (..., 3) array (a NaN channel is passed over)."""
    red, green, blue = _planes(pixels)
    return np.fmin(np.fmin(red, green), blue)


def log_intensity(linear: FloatArray) -> FloatArray:
    """Natural log of the mean of the three linear channels, floored at 1e-4: a luminance
    that weighs the channels alike, for aligning and for finding flat regions."""
    red, green, blue = _planes(linear)
    return np.log(np.maximum((red + green + blue) / np.float32(3), np.float32(1e-4))).astype(np.float32)


# Per-pixel statistics over the channels run on contiguous channel planes: NumPy's
# reductions along a last axis of three, or on strided channel views, are several
# times slower.
def _planes(pixels: NDArray[Any]) -> tuple[NDArray[Any], ...]:
    import cv2

    if pixels.dtype in (np.uint8, np.uint16, np.float32) and pixels.ndim == 3:
        return tuple(cv2.split(pixels))
    return tuple(pixels[..., channel] for channel in range(3))


def srgb_to_linear(rgb: FloatArray) -> FloatArray:
    """Decode sRGB values in [0, 1] to linear light (IEC 61966-2-1)."""
    rgb = np.asarray(rgb, dtype=np.float32)
    low = rgb / np.float32(12.92)
    high = _power((np.maximum(rgb, np.float32(0.04045)) + np.float32(0.055)) / np.float32(1.055), 2.4)
    return np.where(rgb <= 0.04045, low, high).astype(np.float32, copy=False)


def linear_to_srgb(linear: FloatArray) -> FloatArray:
    """Encode linear light in [0, 1] as sRGB values."""
    linear = np.asarray(linear, dtype=np.float32)
    low = linear * np.float32(12.92)
    high = np.float32(1.055) * _power(np.maximum(linear, np.float32(0.0031308)), 1 / 2.4) - np.float32(0.055)
    return np.where(linear <= 0.0031308, low, high).astype(np.float32)


def relative_luminance(linear: FloatArray) -> FloatArray:
    """Relative luminance Y of linear sRGB (..., 3): the Y row of the sRGB matrix (Rec. 709)."""
    return (np.asarray(linear, dtype=np.float32) @ _SRGB_TO_XYZ[1]).astype(np.float32)


def log_luminance(linear: FloatArray) -> FloatArray:
    """Natural log of relative luminance, floored at 1e-4: contrasts become differences."""
    return np.log(np.maximum(relative_luminance(linear), np.float32(1e-4))).astype(np.float32)


def linear_to_lab(linear: FloatArray) -> FloatArray:
    """Linear sRGB (..., 3) to CIELAB (D65, 2 degree observer), float32: L* in [0, 100]."""
    ratio = _matrix_times(linear, _SRGB_TO_XYZ / D65_WHITE[:, None])
    cube_root = _power(np.maximum(ratio, np.float32(0)), 1 / 3)
    f = np.where(ratio > _EPSILON, cube_root, (_KAPPA * ratio + 16) / 116).astype(np.float32)
    lab = np.empty_like(f)
    lab[..., 0] = 116 * f[..., 1] - 16
    lab[..., 1] = 500 * (f[..., 0] - f[..., 1])
    lab[..., 2] = 200 * (f[..., 1] - f[..., 2])
    return lab


def srgb_to_lab(rgb: FloatArray) -> FloatArray:
    """sRGB values in [0, 1] (..., 3) to float32 CIELAB (D65)."""
    return linear_to_lab(srgb_to_linear(rgb))


def individual_typology_angle(lightness: float, b_star: float) -> float:
    """ITA in degrees, atan2(L* - 50, b*) (Chardon 1991; Del Bino 2013).

    References
    ----------
    Chardon A, Cretois I, Hourseau C. Skin colour typology and suntanning pathways.
    Int J Cosmet Sci 1991;13:191-208.
    """
    return float(np.degrees(np.arctan2(lightness - 50.0, b_star)))


#: Lower edges of the ITA bands (Del Bino 2013), checked top down; a value on an
#: edge belongs to the lighter band (> 55 is very light, 55 itself is light).
ITA_BANDS: tuple[tuple[ItaBand, float], ...] = (
    ("very_light", 55.0),
    ("light", 41.0),
    ("intermediate", 28.0),
    ("tan", 10.0),
    ("brown", -30.0),
)


def ita_band(ita_deg: float) -> ItaBand:
    """Skin colour category of an ITA angle: very light > 55 > light > 41 > intermediate
    > 28 > tan > 10 > brown > -30 > dark; values on an edge go to the darker band."""
    if not np.isfinite(ita_deg):
        raise ValueError("ITA must be a finite angle")
    for band, lower in ITA_BANDS:
        if ita_deg > lower:
            return band
    return "dark"


def erythema_index(linear: FloatArray) -> FloatArray:
    """Diffey erythema index, 100 log10(R_red / R_green), on linear reflectance.

    References
    ----------
    Diffey BL, Oliver RJ, Farr PM. A portable instrument for quantifying erythema
    induced by ultraviolet radiation. Br J Dermatol 1984;111:663-72.
    """
    linear = np.maximum(np.asarray(linear, dtype=np.float32), np.float32(1e-4))
    return (100 * np.log10(linear[..., 0] / linear[..., 1])).astype(np.float32)


def melanin_index(linear: FloatArray) -> FloatArray:
    """Diffey melanin index, 100 log10(1 / R_red), on linear reflectance (Diffey 1984)."""
    red = np.maximum(np.asarray(linear, dtype=np.float32)[..., 0], np.float32(1e-4))
    return (-100 * np.log10(red)).astype(np.float32)


def lab_to_linear(lab: FloatArray) -> FloatArray:
    """CIELAB (D65) (..., 3) back to linear sRGB, float32; the inverse of :func:`linear_to_lab`."""
    lab = np.asarray(lab, dtype=np.float32)
    fy = (lab[..., 0] + 16) / 116
    fx = fy + lab[..., 1] / 500
    fz = fy - lab[..., 2] / 200
    f = np.stack([fx, fy, fz], axis=-1)
    ratio = np.where(f**3 > _EPSILON, f**3, (116 * f - 16) / _KAPPA)
    xyz = ratio * D65_WHITE
    return (xyz @ np.linalg.inv(_SRGB_TO_XYZ).T.astype(np.float32)).astype(np.float32)


#: Relative optical density per linear channel (R, G, B) of one unit of each
#: chromophore in skin. Melanin absorbs blue most and red least (Jacques 1998);
#: oxygenated haemoglobin absorbs green most (its Q bands at 542 and 577 nm), red
#: hardly at all, and blue less than green in skin because blue light barely
#: reaches the dermal vessels (Anderson & Parrish 1981). The third column is
#: shading and exposure, which dim all channels alike.
MELANIN_DENSITY = np.array([0.55, 0.95, 1.3], dtype=np.float32)
HAEMOGLOBIN_DENSITY = np.array([0.15, 1.0, 0.5], dtype=np.float32)
_CHROMOPHORE_UNMIX = np.linalg.inv(
    np.stack([MELANIN_DENSITY, HAEMOGLOBIN_DENSITY, np.ones(3, dtype=np.float32)], axis=1)
).astype(np.float32)


def chromophore_indices(linear: FloatArray) -> FloatArray:
    """Melanin and haemoglobin indices (..., 2) from linear reflectance (..., 3).

    The optical density of each channel, -log10(R), is split into a melanin, a
    haemoglobin and a shading component (Tsumura et al. 1999, 2003, with fixed
    density vectors instead of a per-photo independent component analysis); each
    index is 100 x its component's density, in the units of Diffey's indices. By
    construction a pure haemoglobin change leaves the melanin index unchanged, a
    pure melanin change leaves the haemoglobin index unchanged, and a change of
    exposure or shading moves neither.

    References
    ----------
    Tsumura N, Haneishi H, Miyake Y. Independent-component analysis of skin color
    image. J Opt Soc Am A 1999;16:2169-76. Tsumura N et al. Image-based skin color
    and texture analysis/synthesis by extracting hemoglobin and melanin information
    in the skin. ACM Trans Graph 2003;22:770-9.
    """
    import cv2

    density = -np.log10(np.maximum(np.asarray(linear, dtype=np.float32), np.float32(1e-4)))
    flat = np.ascontiguousarray(density, dtype=np.float32).reshape(-1, 1, 3)
    components = cv2.transform(flat, 100 * _CHROMOPHORE_UNMIX[:2]).reshape(*np.shape(density)[:-1], 2)
    return components.astype(np.float32)
