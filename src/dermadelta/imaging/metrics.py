"""Skin metrics per zone, on the canonical face in linear light.

Every length is in millimetres on the face (a canonical pixel is
``Standardized.pixel_spacing_mm``), so capture distance and resolution do not
change a metric. Filters are normalized by the skin mask (normalized convolution,
Knutsson & Westin 1993), so eyes, lips and hair never bleed into skin values.
Each metric is "higher = more of the concern" except ``tone_ita`` (higher = lighter).
The definitions, units and sources are in ``docs/METRICS.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import (
    chromophore_indices,
    individual_typology_angle,
    log_luminance,
)
from dermadelta.imaging.harmonise import (
    FINE_SCALE_METRICS,
    DetailResolution,
    at_analysis_resolution,
    detail_resolution,
)
from dermadelta.imaging.standardize import Standardized
from dermadelta.imaging.zones import MIN_ZONE_PIXELS, ZONE_NAMES, Zones, mask_box

FloatMap = NDArray[np.float32]


@dataclass(frozen=True)
class MetricSpec:
    name: str
    unit: str
    #: The finest detail the metric looks at; a photo whose own pixel spacing at the
    #: face is coarser cannot resolve it, and the metric is reported not measurable.
    finest_scale_mm: float
    description: str


METRICS: dict[str, MetricSpec] = {
    spec.name: spec
    for spec in (
        MetricSpec("redness", "haemoglobin index", 1.0, "mean haemoglobin index of the zone's skin"),
        MetricSpec("pigmentation", "melanin index", 1.0, "mean melanin index of the zone's skin"),
        MetricSpec("tone_ita", "degrees", 1.0, "ITA = atan2(L* - 50, b*) on the zone's median L*, b*"),
        MetricSpec("unevenness", "% log luminance", 1.0, "100 x std of log luminance band-passed 1-8 mm"),
        MetricSpec("texture", "% log luminance", 0.6, "100 x std of log luminance band-passed 0.6-2.0 mm"),
        MetricSpec("pores", "% contrast", 0.6, "mean depth of dark blobs under 1.5 mm (black-hat), x 100"),
        MetricSpec("wrinkles", "line strength x 100", 0.6, "mean dark-line Hessian strength at 0.8-1.8 mm, not blobs"),
        MetricSpec(
            "spots",
            "area fraction",
            0.6,
            "area fraction of dark spots 1 mm+ across above a 6 mm median, from 0 at 4 to 1 at 8 darkness units",
        ),
    )
}
METRIC_NAMES = tuple(METRICS)

# Scales in millimetres on the face; fine detail is measured on the face brought to
# the common effective resolution (harmonise.ANALYSIS_BLUR_MM, a Gaussian of 0.8 mm).
_UNEVENNESS_BAND_MM = (1.0, 8.0)
#: Why a measure has no value when its zone was measured: all its skin was left out.
_NO_READABLE_SKIN = (
    "too little of this area's skin lies away from its edges (the eyes, lips, hair and the face's outline) and from "
    "spots to read this measure"
)
#: Skin this close to the face's outline is left out of unevenness: there the cheek and
#: brow turn away from the camera, and their shading, not their tone, fills the band.
#: Half the band's coarse scale; of 0, 2, 4 and 6 mm tried on two unchanged pairs, 4 mm
#: was the first at which sensor noise alone no longer moved a cheek's value.
_UNEVENNESS_OUTLINE_MARGIN_MM = 4.0
#: Skin this close to anything that is not skin (the eyes, lips, nostrils, brows, hair,
#: glare, the face's outline) is left out of unevenness, texture and pores: there the
#: masked filters see skin on one side only, the analysis blur (0.8 mm) spreads the edge
#: into the skin, and a phone's JPEG rings beside it. 2.5 times the analysis blur's sigma.
#: Lines keep it: crow's feet and the lines under the eyes start at the lids.
_EDGE_RIM_MM = 2.0
_TEXTURE_COARSE_MM = 2.0
_PORE_MAX_DIAMETER_MM = 1.5
_WRINKLE_SCALES_MM = (0.8, 1.2, 1.8)
_SPOT_BACKGROUND_MM = 6.0
_PIXELS_PER_SIGMA_REDUCED = 3.0
SPOT_MIN_DIAMETER_MM = 1.0
#: Skin within this of a spot is left out of the line measure (a spot's rim reads as a line).
_SPOT_MARGIN_MM = 1.0
#: Darkness units, 100 log10(1 / Y): 6 is 13 % less light than the skin around it.
_SPOT_CONTRAST = 6.0
#: The spot area counts a pixel from 0 at the first to 1 at the second (darkness units).
_SPOT_RAMP = (4.0, 8.0)
_SPOT_MEDIAN_STEP_MI = 0.5
#: A zone whose skin is more than this share glare or clipped colour is not measured.
MAX_SATURATED_SHARE = 0.5


#: Metrics that the light moves: colour. Unevenness, texture, pores, wrinkles and spots
#: are contrasts of log luminance, which a gain cancels.
LIGHT_DEPENDENT_METRICS = ("redness", "pigmentation", "tone_ita")


@dataclass(frozen=True)
class Measurements:
    """Metric values per zone; ``None`` where a metric is not measurable, with the reason.

    ``spot_counts`` holds, per zone, how many individual brown spots of at least
    ``SPOT_MIN_DIAMETER_MM`` have their centre in it (``None`` where spots are not
    measurable); ``resolution`` is the photo's fine-detail resolution.
    """

    values: dict[str, dict[str, float | None]]
    not_measurable: dict[str, dict[str, str]]
    pixel_spacing_mm: float
    source_pixel_spacing_mm: float
    spot_counts: dict[str, int | None] = field(default_factory=dict)
    resolution: DetailResolution | None = None

    def withheld(self, metrics: tuple[str, ...], reason: str) -> Measurements:
        """These measurements with ``metrics`` not measurable in every zone, for ``reason``
        (a zone's own reason, such as too little skin, is kept)."""
        values = {zone: {m: None if m in metrics else v for m, v in row.items()} for zone, row in self.values.items()}
        reasons = {zone: dict.fromkeys(metrics, reason) | self.not_measurable[zone] for zone in self.values}
        return replace(self, values=values, not_measurable=reasons)

    def spots_summary(self) -> dict[str, Any]:
        """The individual spots per zone, for the JSON (additions to the schema)."""
        return {"min_diameter_mm": SPOT_MIN_DIAMETER_MM, "count": dict(self.spot_counts)}

    def to_dict(self) -> dict[str, Any]:
        return {
            zone: {
                metric: value
                if value is not None
                else {"value": None, "not_measurable": self.not_measurable[zone][metric]}
                for metric, value in metrics.items()
            }
            for zone, metrics in self.values.items()
        }


class MaskedSmoothing:
    """Gaussian smoothing that uses only pixels under one mask (normalized convolution).

    The smoothed mask, the normalization, depends only on the mask and the scale, so
    it is made once per scale and kept for every map smoothed under the same mask.
    Wide kernels run on a reduced copy (see ``_gaussian``).
    """

    def __init__(self, mask: NDArray[np.bool_]) -> None:
        self.mask = mask
        self._weight = mask.astype(np.float32)
        self._normalization: dict[float, FloatMap] = {}

    def __call__(self, image: FloatMap, sigma_px: float) -> FloatMap:
        normalization = self._normalization.get(sigma_px)
        if normalization is None:
            normalization = np.maximum(_gaussian(self._weight, sigma_px), np.float32(1e-6))
            self._normalization[sigma_px] = normalization
        return (_gaussian(image * self._weight, sigma_px) / normalization).astype(np.float32)


def masked_gaussian(image: FloatMap, mask: NDArray[np.bool_], sigma_px: float) -> FloatMap:
    """Gaussian smoothing that uses only pixels under ``mask`` (see :class:`MaskedSmoothing`)."""
    return MaskedSmoothing(mask)(image, sigma_px)


def _smoothing(under: MaskedSmoothing | NDArray[np.bool_]) -> MaskedSmoothing:
    return under if isinstance(under, MaskedSmoothing) else MaskedSmoothing(under)


def _gaussian(image: FloatMap, sigma_px: float) -> FloatMap:
    import cv2

    factor = int(sigma_px // _PIXELS_PER_SIGMA_REDUCED)
    if factor < 2:
        return cv2.GaussianBlur(image, (0, 0), sigma_px, borderType=cv2.BORDER_REFLECT)
    height, width = image.shape[:2]
    small = cv2.resize(image, (max(1, width // factor), max(1, height // factor)), interpolation=cv2.INTER_AREA)
    # INTER_AREA already averaged over the factor; the blur adds the rest of the variance.
    sigma_small = np.sqrt(max(sigma_px**2 - (factor**2 - 1) / 12, 0.25)) / factor
    small = cv2.GaussianBlur(small, (0, 0), sigma_small, borderType=cv2.BORDER_REFLECT)
    return cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)


def band_pass(
    image: FloatMap, under: MaskedSmoothing | NDArray[np.bool_], fine_px: float, coarse_px: float
) -> FloatMap:
    """Difference of two masked Gaussians (under a mask, or a smoothing under one): detail
    between ``fine_px`` and ``coarse_px``."""
    smooth = _smoothing(under)
    return smooth(image, fine_px) - smooth(image, coarse_px)


def black_hat(image: FloatMap, diameter_px: float) -> FloatMap:
    """Morphological black-hat (closing minus image): dark blobs narrower than the disc."""
    import cv2

    size = max(3, int(round(diameter_px)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return (cv2.morphologyEx(image, cv2.MORPH_CLOSE, disc) - image).astype(np.float32)


def dark_line_strength(image: FloatMap, sigmas_px: tuple[float, ...]) -> FloatMap:
    """Scale-normalized strength of dark lines (valleys) at any orientation, not blobs.

    Across a dark line the Hessian of the smoothed image has one large positive
    eigenvalue (l1) and one near zero (l2); across a round dark spot both are large.
    The strength max(0, l1 - |l2|) x sigma^2 keeps lines and falls to zero on round
    spots and pores, the anisotropy that Frangi's and Sato's filters use to tell
    tubes from blobs; sigma^2 normalizes it across scales (Lindeberg 1998), and the
    strongest scale is kept.

    References
    ----------
    Lindeberg T. Edge detection and ridge detection with automatic scale selection.
    IJCV 1998;30:117-56. Frangi AF et al. Multiscale vessel enhancement filtering.
    MICCAI 1998. Sato Y et al. Three-dimensional multi-scale line filter for
    segmentation and visualization of curvilinear structures in medical images.
    Med Image Anal 1998;2:143-68.
    """
    import cv2

    best = np.zeros(image.shape, dtype=np.float32)
    for sigma in sigmas_px:
        smooth = cv2.GaussianBlur(image, (0, 0), sigma)
        hxx = cv2.Sobel(smooth, cv2.CV_32F, 2, 0, ksize=3)
        hyy = cv2.Sobel(smooth, cv2.CV_32F, 0, 2, ksize=3)
        hxy = cv2.Sobel(smooth, cv2.CV_32F, 1, 1, ksize=3)
        # The eigenvalues are half_trace +- root; computed in place, the maps being large.
        root = hxx - hyy
        root *= root
        root *= np.float32(0.25)
        hxy *= hxy
        root += hxy
        np.sqrt(root, out=root)
        half_trace = hxx
        half_trace += hyy
        half_trace *= np.float32(0.5)
        largest = half_trace + root
        smallest = np.subtract(half_trace, root, out=half_trace)
        np.abs(smallest, out=smallest)
        largest -= smallest
        np.maximum(largest, np.float32(0), out=largest)
        largest *= np.float32(sigma**2)
        np.maximum(best, largest, out=best)
    return best


def spot_maps(
    darkness: FloatMap, mask: NDArray[np.bool_], *, spacing_mm: float, smoothing: MaskedSmoothing | None = None
) -> tuple[NDArray[np.bool_], FloatMap]:
    """The spots of the skin: the individual lesions, and the spot area map the metric averages.

    A lesion is skin whose darkness, 100 log10(1 / Y), stands ``_SPOT_CONTRAST`` above
    its local median background, at least ``SPOT_MIN_DIAMETER_MM`` across. The area map
    weighs each pixel of a spot at least that wide from 0 at ``_SPOT_RAMP[0]`` units above
    the background to 1 at ``_SPOT_RAMP[1]``: a faint spot near the threshold, which JPEG
    or sharpening moves by a unit, then moves the measure by a quarter of its area
    instead of appearing or vanishing whole.

    The background is a median over ``_SPOT_BACKGROUND_MM``, which spots do not pull
    up as they would a mean; the opening removes pores and fine lines, which are
    darker but narrower. Luminance is what JPEG keeps at full resolution; a melanin
    estimate from the red channel alone (the Diffey index) or from colour ratios
    picks up JPEG's chroma quantization, which made false spots on dark skin.
    ``smoothing``, under ``mask``, may be shared with the other maps of the face.
    """
    contrast = _spot_contrast(darkness, smoothing or MaskedSmoothing(mask), spacing_mm=spacing_mm)
    lesions = _at_least_a_spot_wide((contrast > _SPOT_CONTRAST) & mask, spacing_mm=spacing_mm)
    low, high = _SPOT_RAMP
    candidates = _at_least_a_spot_wide((contrast > low) & mask, spacing_mm=spacing_mm)
    weight = np.clip((contrast - low) / (high - low), 0, 1)
    return lesions, np.where(candidates, weight, 0).astype(np.float32)


def _spot_contrast(darkness: FloatMap, smoothing: MaskedSmoothing, *, spacing_mm: float) -> FloatMap:
    """Darkness above the local median background. The median runs at half resolution on
    0.5-unit steps (OpenCV's large-kernel median needs 8 bits), far finer than the contrast."""
    import cv2

    mask = smoothing.mask
    fine = np.where(mask, darkness, smoothing(darkness, 1.0 / spacing_mm)).astype(np.float32)
    half = cv2.resize(fine, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    # Centre the 8-bit range on the skin's own median darkness.
    offset = float(np.median(fine[mask])) - 128 * _SPOT_MEDIAN_STEP_MI if mask.any() else 0.0
    quantized = np.clip((half - offset) / _SPOT_MEDIAN_STEP_MI, 0, 255).astype(np.uint8)
    kernel = int(round(_SPOT_BACKGROUND_MM / (2 * spacing_mm))) | 1
    background = cv2.medianBlur(quantized, kernel).astype(np.float32) * _SPOT_MEDIAN_STEP_MI + offset
    background = cv2.resize(background, (fine.shape[1], fine.shape[0]), interpolation=cv2.INTER_LINEAR)
    return (fine - background).astype(np.float32)


def _at_least_a_spot_wide(raised: NDArray[np.bool_], *, spacing_mm: float) -> NDArray[np.bool_]:
    import cv2

    size = max(3, int(round(SPOT_MIN_DIAMETER_MM / spacing_mm)) | 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))
    return cv2.morphologyEx(raised.astype(np.uint8), cv2.MORPH_OPEN, disc).astype(bool)


def spot_centres(spots: NDArray[np.bool_]) -> NDArray[np.float64]:
    """(N, 2) centres (row, col) of the individual spots (lesions) of a spot mask."""
    import cv2

    count, _, _, centroids = cv2.connectedComponentsWithStats(spots.astype(np.uint8), connectivity=8)
    return np.asarray(centroids[1:count, ::-1], dtype=np.float64)


def _disc_px(radius_px: float) -> NDArray[np.uint8]:
    import cv2

    size = 2 * max(1, int(round(radius_px))) + 1
    return cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (size, size))


@dataclass(frozen=True)
class MetricMaps:
    """Per-pixel maps of the face (cropped to the skin's bounding box), shared by all zones.

    Colour maps (``lab``, ``redness``, ``melanin``) come from the photo as it is;
    fine-detail maps from the photo brought to the common effective resolution
    (``resolution``), or are ``None`` where that photo is too soft for them. They are
    also what the report's change heatmaps are drawn from. ``spots`` is the spot area
    map and ``spot_lesions`` the individual spots (``spot_maps``); ``near_spots`` is the
    skin where lines are not read (``wrinkles`` is NaN there): around a spot, whose rim
    is locally line-like. ``unevenness``, ``texture`` and ``pores`` are NaN within
    ``_EDGE_RIM_MM`` of anything that is not skin, and ``unevenness`` near the outline.
    """

    box: tuple[slice, slice]
    lab: FloatMap
    redness: FloatMap
    melanin: FloatMap
    resolution: DetailResolution
    unevenness: FloatMap | None
    texture: FloatMap | None
    pores: FloatMap | None
    wrinkles: FloatMap | None
    spots: FloatMap | None
    near_spots: NDArray[np.bool_] | None = None
    spot_lesions: NDArray[np.bool_] | None = None


def lines_on_common_skin(before: MetricMaps, after: MetricMaps) -> tuple[MetricMaps, MetricMaps]:
    """Both photos' line maps left out around the spots of either, so lines are compared on one skin.

    Each photo alone leaves out the skin around its own spots. In a comparison, a faint
    spot that crosses the spot threshold in one photo only (JPEG, sharpening) would
    otherwise take the lines around it out of that photo's measure alone, and the
    wrinkle measure moved with it.
    """
    if before.near_spots is None or after.near_spots is None or before.box != after.box:
        return before, after
    either = before.near_spots | after.near_spots

    def left_out(maps: MetricMaps) -> MetricMaps:
        assert maps.wrinkles is not None
        return replace(maps, wrinkles=np.where(either, np.float32(np.nan), maps.wrinkles), near_spots=either)

    return left_out(before), left_out(after)


def metric_maps(
    standardized: Standardized, skin: NDArray[np.bool_], *, resolution: DetailResolution | None = None
) -> MetricMaps:
    """Compute every per-pixel map once for the whole face skin."""
    import cv2

    resolution = resolution or detail_resolution(standardized)
    spacing = standardized.pixel_spacing_mm
    margin = int(np.ceil(3 * _UNEVENNESS_BAND_MM[1] / spacing))
    box = mask_box(skin, margin)
    linear = standardized.linear[box]
    mask = skin[box]
    lab = standardized.lab[box]
    chromophores = chromophore_indices(linear)
    redness, melanin = chromophores[..., 1], chromophores[..., 0]
    if not resolution.measurable:
        return MetricMaps(
            box, lab, redness, melanin, resolution, unevenness=None, texture=None, pores=None, wrinkles=None, spots=None
        )

    def px(mm: float) -> float:
        return mm / spacing

    detail = at_analysis_resolution(linear, resolution, pixel_spacing_mm=spacing)
    log_lum = log_luminance(detail)
    # Log luminance, not L*: a cube root scales every contrast with the skin's lightness, so
    # an even redness or tan read as a more even tone (a 3 a* redness lowered it by 5 %).
    smooth = MaskedSmoothing(mask)
    unevenness = 100 * band_pass(log_lum, smooth, px(_UNEVENNESS_BAND_MM[0]), px(_UNEVENNESS_BAND_MM[1]))
    rim = _near_edges(mask, px(_EDGE_RIM_MM))
    unevenness[rim | _near_outline(mask, px(_UNEVENNESS_OUTLINE_MARGIN_MM))] = np.nan
    # Fill non-skin with the local skin level so eyes and hair make no false blobs or lines.
    filled = np.where(mask, log_lum, smooth(log_lum, px(2.0))).astype(np.float32)
    texture = 100 * (filled - smooth(filled, px(_TEXTURE_COARSE_MM)))
    # The mean depth, not the area above a depth threshold: a threshold turns a small
    # change of contrast into a large change of area.
    pores = 100 * black_hat(filled, px(_PORE_MAX_DIAMETER_MM))
    texture[rim] = np.nan
    pores[rim] = np.nan
    # Luminance, which JPEG keeps at full resolution: on the red channel alone, JPEG
    # 60's chroma quantization made spots on dark skin (docs/METRICS.md).
    lesions, spots = spot_maps(np.float32(-100 / np.log(10)) * log_lum, mask, spacing_mm=spacing, smoothing=smooth)
    wrinkles = 100 * dark_line_strength(filled, tuple(px(s) for s in _WRINKLE_SCALES_MM))
    # The rim of a round spot is locally line-like: lines are read off the skin around spots.
    around_spots = cv2.dilate(lesions.astype(np.uint8), _disc_px(px(_SPOT_MARGIN_MM))).astype(bool)
    wrinkles[around_spots] = np.nan
    return MetricMaps(
        box,
        lab,
        redness,
        melanin,
        resolution,
        unevenness=unevenness.astype(np.float32),
        texture=texture.astype(np.float32),
        pores=pores,
        wrinkles=wrinkles.astype(np.float32),
        spots=spots,
        near_spots=around_spots,
        spot_lesions=lesions,
    )


def _near_edges(skin: NDArray[np.bool_], margin_px: float) -> NDArray[np.bool_]:
    """Skin within ``margin_px`` of anything that is not skin."""
    import cv2

    return np.asarray(cv2.distanceTransform(skin.astype(np.uint8), cv2.DIST_L2, 5) < margin_px) & skin


def _near_outline(skin: NDArray[np.bool_], margin_px: float) -> NDArray[np.bool_]:
    """Skin within ``margin_px`` of the face's outline (the eyes, lips and nostrils inside
    the face are holes of the skin, not its outline)."""
    import cv2

    return np.asarray(cv2.distanceTransform(_holes_filled(skin), cv2.DIST_L2, 5) < margin_px) & skin


def _holes_filled(mask: NDArray[np.bool_]) -> NDArray[np.uint8]:
    """``mask`` with every hole filled (1 inside): what SciPy's ``binary_fill_holes`` gives, at a
    fraction of its time, by flooding the outside (4-connected, from a border added around)."""
    import cv2

    flooded = np.pad(mask.astype(np.uint8), 1)
    cv2.floodFill(flooded, None, (0, 0), 2, flags=4)
    return (flooded[1:-1, 1:-1] != 2).astype(np.uint8)


def _flat_maps(maps: MetricMaps) -> dict[str, NDArray[Any] | None]:
    """Each map of the face's box as one contiguous row, made once for all zones.

    A zone's pixels are then gathered by their flat indices, in the order its mask
    would pick them: the same values, without a scan of the mask for each measure or
    a gather from strided channel views.
    """
    import cv2

    def flat(values: NDArray[Any] | None) -> NDArray[Any] | None:
        return None if values is None else np.ascontiguousarray(values).reshape(-1)

    lightness, _, lab_b = cv2.split(maps.lab)
    return {
        "lightness": flat(lightness),
        "lab_b": flat(lab_b),
        "redness": flat(maps.redness),
        "melanin": flat(maps.melanin),
        "unevenness": flat(maps.unevenness),
        "texture": flat(maps.texture),
        "pores": flat(maps.pores),
        "wrinkles": flat(maps.wrinkles),
        "spots": flat(maps.spots),
    }


def _zone_values(flat_maps: dict[str, NDArray[Any] | None], zone: NDArray[np.bool_]) -> dict[str, float | None]:
    index = np.flatnonzero(zone)
    picked = {name: None if values is None else values.take(index) for name, values in flat_maps.items()}

    def fine(name: str, statistic: str) -> float | None:
        values = picked[name]
        if values is None:
            return None
        if statistic in ("nanmean", "nanstd"):
            kept = values[np.isfinite(values)]
            if not kept.size:
                return None
            return float(np.std(kept) if statistic == "nanstd" else np.mean(kept))
        return float(np.mean(values))

    lightness, lab_b = picked["lightness"], picked["lab_b"]
    assert lightness is not None and lab_b is not None
    return {
        "redness": fine("redness", "mean"),
        "pigmentation": fine("melanin", "mean"),
        "tone_ita": individual_typology_angle(float(np.median(lightness)), float(np.median(lab_b))),
        "unevenness": fine("unevenness", "nanstd"),
        "texture": fine("texture", "nanstd"),
        "pores": fine("pores", "nanmean"),
        "wrinkles": fine("wrinkles", "nanmean"),
        "spots": fine("spots", "mean"),
    }


def measure(standardized: Standardized, zones: Zones, *, maps: MetricMaps | None = None) -> Measurements:
    """Stage ``measure``: every metric in every zone, or the reason it is not measurable."""
    maps = maps or metric_maps(standardized, zones.masks["face"])
    unresolved = {
        name: f"the photo's pixels are too coarse: {standardized.source_pixel_spacing_mm:.2f} mm each on the face, "
        f"and this needs detail of {spec.finest_scale_mm} mm"
        for name, spec in METRICS.items()
        if standardized.source_pixel_spacing_mm > spec.finest_scale_mm
    }
    if not maps.resolution.measurable:
        unresolved = {name: maps.resolution.reason for name in FINE_SCALE_METRICS} | unresolved
    values: dict[str, dict[str, float | None]] = {}
    reasons: dict[str, dict[str, str]] = {}
    spot_counts: dict[str, int | None] = {}
    centres = np.round(spot_centres(maps.spot_lesions)).astype(int) if maps.spot_lesions is not None else None
    flat_maps = _flat_maps(maps)
    for zone in ZONE_NAMES:
        mask = zones.masks[zone][maps.box]
        count = int(mask.sum())
        reasons[zone] = {}
        saturated = zones.saturated_share.get(zone, 0.0)
        if count < MIN_ZONE_PIXELS or saturated > MAX_SATURATED_SHARE:
            why = (
                f"glare or an over-exposed colour channel covers {saturated:.0%} of this area"
                if saturated > MAX_SATURATED_SHARE
                else f"too little visible skin in this area ({count} pixels, at least {MIN_ZONE_PIXELS})"
            )
            values[zone] = dict.fromkeys(METRIC_NAMES)
            reasons[zone] = dict.fromkeys(METRIC_NAMES, why)
            spot_counts[zone] = None
            continue
        spot_counts[zone] = None if centres is None else int(np.count_nonzero(mask[centres[:, 0], centres[:, 1]]))
        measured = _zone_values(flat_maps, mask)
        values[zone] = {}
        for metric in METRIC_NAMES:
            value = measured[metric]
            if metric in unresolved or value is None:
                values[zone][metric] = None
                reasons[zone][metric] = unresolved.get(metric) or maps.resolution.reason or _NO_READABLE_SKIN
            else:
                values[zone][metric] = round(value, 6)
    return Measurements(
        values=values,
        not_measurable=reasons,
        pixel_spacing_mm=standardized.pixel_spacing_mm,
        source_pixel_spacing_mm=standardized.source_pixel_spacing_mm,
        spot_counts=spot_counts,
        resolution=maps.resolution,
    )
