"""The before/after report: aligned photos, a slider, change heatmaps, the zone table, quality notes.

One self-contained HTML file (images inlined as data URIs, CSS and a little plain
JavaScript inline, nothing fetched from anywhere) that a patient can open, or the
same content as a PDF. Every string that comes from the input goes through Jinja's
autoescaping.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import numpy as np
from numpy.typing import NDArray

from dermadelta.imaging.colour import linear_to_srgb
from dermadelta.imaging.colour_match import UNMATCHED_CAUSE
from dermadelta.imaging.compare import MDC_CONFIDENCE_PERCENT, MetricChange
from dermadelta.imaging.metrics import LIGHT_DEPENDENT_METRICS, METRICS
from dermadelta.imaging.zones import ZONE_NAMES
from dermadelta.reports.change_maps import DEFAULT_SIGMA_MM, local_change
from dermadelta.reports.pdf import write_html_or_pdf

if TYPE_CHECKING:
    import jinja2

    from dermadelta.imaging.pipeline import Analysis, Comparison

DEFAULT_TITLE = "Before and after: measured skin changes"
PHOTO_WIDTH_PX = 520
HEATMAP_WIDTH_PX = 240
JPEG_QUALITY = 88
#: Diverging: blue where the value went down, red where it went up, pale where it did not move.
CHANGE_COLORMAP = "RdBu_r"
#: The registration target of the design: landmarks within 1 % of the inter-ocular distance.
RESIDUAL_TARGET_IOD = 0.01
#: What the smallest detectable change means and what it rests on, for whoever reads a
#: comparison (the clinic's page and the report). Its bounds come from re-captures
#: simulated from real photos; real photos of one person at another distance or in
#: another session vary more (docs/MEASUREMENT.md), which the reader must be told.
DETECTABLE_CHANGE_MEANING = (
    "The smallest detectable change is how far repeat photos of the same, unchanged skin can differ: for each "
    f"measure and area, {MDC_CONFIDENCE_PERCENT} in 100 differ by less, so among the many measures of a comparison "
    f"about {100 - MDC_CONFIDENCE_PERCENT} in 100 read as a change by chance. A change smaller than it is reported as "
    "no detectable change. It was measured by re-creating, from real photographs, the same faces taken again with "
    "other brightness, colour balance, focus, framing and phone image processing. Real photos of one person taken "
    "at another distance or in another session differed by more on many measures: take the after photo the way "
    "the before photo was taken, and read a single change with care."
)
#: A colour correction larger than this means the lighting differed a lot between the photos.
LARGE_COLOUR_GAIN = 0.10
#: A face filling this many times more (or less) of one photo's frame than of the other's: the
#: camera stood at another distance. Clinical photography keeps the distance fixed; the
#: evaluation's real photos of one person 30 and 45 cm away (a ratio of 0.81, 1.24 the other
#: way) reported about a quarter of their verdicts as changes (docs/MEASUREMENT.md).
OTHER_DISTANCE_RATIO = 1.2


def distance_note(ratio: Any, *, capture_page: bool = True) -> str:
    """A caution in plain words when the two photos were taken at clearly different distances, else "".

    ``capture_page``: point to the clinic's capture page for the next photo (the clinic's
    pages and reports; the command line has no such page).
    """
    if not isinstance(ratio, int | float) or isinstance(ratio, bool) or not math.isfinite(ratio) or ratio <= 0:
        return ""
    if 1 / OTHER_DISTANCE_RATIO <= ratio <= OTHER_DISTANCE_RATIO:
        return ""
    larger, photo = (ratio, "after") if ratio > 1 else (1 / ratio, "before")
    caution = (
        f"The face fills {larger:.2f} times as much of the {photo} photo's frame as of the other's: the photos were "
        "taken at different distances, which on its own changes what a camera records of the skin. Read every "
        "measure with care"
    )
    if not capture_page:
        return f"{caution}, and take the next photo at the distance of the first."
    return (
        f"{caution}, and take the next photo on the clinic's capture page, lining the face up with the first photo "
        "shown over the camera's view."
    )


# Zones in the order a reader scans a face, the whole face first.
ZONE_ORDER = ("face", *(z for z in ZONE_NAMES if z != "face"))
ZONE_LABELS: dict[str, str] = {
    "face": "whole face",
    "forehead": "forehead",
    "nose": "nose",
    "left_cheek": "left cheek (patient's left)",
    "right_cheek": "right cheek (patient's right)",
    "chin": "chin",
    "perioral": "around the mouth",
    "left_periorbital": "around the left eye (patient's left)",
    "right_periorbital": "around the right eye (patient's right)",
}
METRIC_LABELS: dict[str, str] = {
    "redness": "Redness",
    "pigmentation": "Pigmentation",
    "tone_ita": "Skin tone (ITA)",
    "unevenness": "Uneven tone",
    "texture": "Texture (roughness)",
    "pores": "Pores",
    "wrinkles": "Lines and wrinkles",
    "spots": "Brown spots",
}
#: What each metric measures, for the people who read the report (the method is in the JSON and docs).
METRIC_EXPLANATIONS: dict[str, str] = {
    "redness": "How red the skin looks, from the blood in the skin (a haemoglobin index).",
    "pigmentation": "How much brown pigment the skin shows (a melanin index).",
    "tone_ita": "How light or dark the skin tone is, as an angle: a higher angle is a lighter tone.",
    "unevenness": "How blotchy the skin tone is over a few millimetres.",
    "texture": "How rough the skin surface looks at the scale of fine texture (0.6 to 2 mm).",
    "pores": "How deep and dark the visible pores look.",
    "wrinkles": "How marked the fine lines and wrinkles are.",
    "spots": "How much of the skin is covered by brown spots 1 mm across or larger.",
}
#: Plain words for (an increase, a decrease) of each metric.
CHANGE_WORDS: dict[str, tuple[str, str]] = {
    "redness": ("more redness", "less redness"),
    "pigmentation": ("more pigmentation", "less pigmentation"),
    "tone_ita": ("lighter tone", "darker tone"),
    "unevenness": ("more uneven tone", "more even tone"),
    "texture": ("rougher texture", "smoother texture"),
    "pores": ("more visible pores", "fewer visible pores"),
    "wrinkles": ("more lines", "fewer lines"),
    "spots": ("more brown spots", "fewer brown spots"),
}
#: Units as people read them: area fractions as a percentage of the skin, and contrasts of
#: log luminance as a contrast (the units in the data name the log and the scaling, which a
#: reader need not know).
_DISPLAY_SCALE: dict[str, tuple[float, str]] = {
    "spots": (100.0, "% of skin"),
    "unevenness": (1.0, "% contrast"),
    "texture": (1.0, "% contrast"),
    "wrinkles": (1.0, "line strength"),
}
NO_CHANGE_WORDS = "no detectable change"
NOT_MEASURABLE_WORDS = "not measurable"
#: Glare on less of the face than this is not worth a word.
GLARE_NEGLIGIBLE = 0.005

Tone = Literal["better", "worse", "neutral", "same", "unknown"]
T = TypeVar("T")


def zone_label(zone: str) -> str:
    return ZONE_LABELS.get(zone, zone.replace("_", " "))


def display_unit(metric: str) -> str:
    return _DISPLAY_SCALE.get(metric, (1.0, METRICS[metric].unit))[1]


def display_scale(metric: str) -> float:
    """What the table multiplies a metric by to show it in :func:`display_unit` (1 unless the unit changes)."""
    return _DISPLAY_SCALE.get(metric, (1.0, ""))[0]


def change_words(metric: str, change: MetricChange) -> str:
    """The verdict alone in plain words: "more redness", "no detectable change" or "not measurable"."""
    if change.change == "increased":
        return CHANGE_WORDS[metric][0]
    if change.change == "decreased":
        return CHANGE_WORDS[metric][1]
    if change.change == "none":
        return NO_CHANGE_WORDS
    return NOT_MEASURABLE_WORDS


def reason_words(change: MetricChange) -> str:
    """Why a metric is not measurable, as the engine said it in plain words ("" when measured or not recorded)."""
    if change.change in ("increased", "decreased", "none"):
        return ""
    return change.reason.strip() if isinstance(change.reason, str) else ""


def verdict_words(metric: str, change: MetricChange) -> str:
    """The verdict in plain words, e.g. "more redness" or "not measurable: <reason>"."""
    reason = reason_words(change)
    words = change_words(metric, change)
    return f"{words}: {reason}" if reason else words


def _tone(metric: str, change: MetricChange) -> Tone:
    """Whether a verdict is good news: every metric but ``tone_ita`` is "higher = more of the concern"."""
    if change.change == "none":
        return "same"
    if change.change not in ("increased", "decreased"):
        return "unknown"  # not measurable (or a verdict this version does not know)
    if metric == "tone_ita":
        return "neutral"
    return "worse" if change.change == "increased" else "better"


def shown_number(value: float | None, metric: str, *, signed: bool = False) -> str:
    """A metric's value as the results table shows it: in display units, two decimals."""
    if value is None or not np.isfinite(value):
        return "–"
    scaled = value * display_scale(metric)
    if round(scaled, 2) == 0:
        return "0.00"  # no "-0.00" or "+0.00": the sign of a rounded-away change means nothing
    return f"{scaled:+.2f}" if signed else f"{scaled:.2f}"


def _require(value: T | None, what: str) -> T:
    if value is None:
        raise ValueError(f"a measured comparison lacks its {what}")
    return value


# --- images ---------------------------------------------------------------------------------


def _encode(rgb: NDArray[np.uint8], *, image_format: Literal["JPEG", "PNG"]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    options: dict[str, Any] = {"quality": JPEG_QUALITY, "optimize": True} if image_format == "JPEG" else {}
    Image.fromarray(rgb).save(buffer, format=image_format, **options)
    return buffer.getvalue()


def data_uri(data: bytes, *, mime: str) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def _to_uint8(srgb: NDArray[np.float32], *, width: int) -> NDArray[np.uint8]:
    """sRGB in [0, 1] to 8 bits, downscaled (never up) to ``width`` pixels."""
    from PIL import Image

    image = Image.fromarray(np.round(np.clip(srgb, 0, 1) * 255).astype(np.uint8))
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.Resampling.LANCZOS)
    return np.asarray(image)


@cache
def colour_bar_png() -> bytes:
    """The legend of the change maps: blue (went down) to red (went up)."""
    from matplotlib import colormaps

    ramp = colormaps[CHANGE_COLORMAP](np.linspace(0, 1, 256))[:, :3]
    bar = np.repeat(ramp[None, :, :], 12, axis=0)
    return _encode(np.round(bar * 255).astype(np.uint8), image_format="PNG")


def _heatmap_rgb(lightness: NDArray[np.float32], change: NDArray[np.float32], *, limit: float) -> NDArray[np.float32]:
    """The face in grey with the change coloured on the skin, more opaque where it is larger."""
    from matplotlib import colormaps

    grey = np.float32(0.2) + np.float32(0.65) * np.clip(lightness / 100, 0, 1)
    skin = np.isfinite(change)
    grey = np.where(skin, grey, grey * np.float32(0.55))  # darker off the skin: not measured there
    filled = np.where(skin, change, 0).astype(np.float32)
    colour = colormaps[CHANGE_COLORMAP](np.clip(0.5 + filled / (2 * limit), 0, 1))[..., :3].astype(np.float32)
    alpha = (np.float32(0.9) * np.clip(np.abs(filled) / limit, 0, 1))[..., None]
    return (grey[..., None] * (1 - alpha) + colour * alpha).astype(np.float32)


def heatmap_card(comparison: Comparison, metric: str) -> dict[str, Any]:
    """One metric's change map over the whole face, with its words; ``image`` is JPEG bytes or None.

    ``image`` is None when the whole face could not be measured for this metric.
    """
    face = comparison.zones["face"][metric]
    card: dict[str, Any] = {
        "metric": metric,
        "label": METRIC_LABELS.get(metric, metric),
        "description": METRIC_EXPLANATIONS.get(metric, ""),
        "unit": display_unit(metric),
        "higher": CHANGE_WORDS[metric][0],
        "lower": CHANGE_WORDS[metric][1],
        "verdict": verdict_words(metric, face),
        "tone": _tone(metric, face),
    }
    if face.change == "not_measurable" and face.delta is None:
        return {**card, "image": None}
    before, after = comparison.before, comparison.after
    standardized = _require(before.standardized, "canonical face")
    before_maps, after_maps = _require(before.maps, "metric maps"), _require(after.maps, "metric maps")
    skin = _require(before.zones, "zones").masks["face"]
    scale = np.float32(display_scale(metric))
    change = scale * local_change(before_maps, after_maps, skin, metric, pixel_spacing_mm=standardized.pixel_spacing_mm)
    spread = float(np.nanpercentile(np.abs(change), 99)) if np.isfinite(change).any() else 0.0
    # Never stretch the colours beyond the detectable-change bound: noise must stay pale.
    floor = (face.mdc or 0.0) * float(scale)
    limit = max(spread, floor, 1e-6)
    rgb = _heatmap_rgb(before_maps.lab[..., 0], change, limit=limit)
    shown = f"{limit:.2g}" if limit < 10 else f"{limit:.0f}"  # never "1e+02"
    return {
        **card,
        "image": _encode(_to_uint8(rgb, width=HEATMAP_WIDTH_PX), image_format="JPEG"),
        "limit": shown,
        **heatmap_alt(card, limit=shown),
    }


def heatmap_alt(card: Mapping[str, Any], *, limit: str) -> dict[str, str]:
    """What a change map and its colour scale show, in words, for readers who cannot see them.

    ``alt`` describes the map, ``scale_alt`` its colour scale; both go into the
    ``alt`` attribute of the images (and so into a tagged PDF's alternative text).
    """
    label = str(card["label"])
    label = label[:1].lower() + label[1:]  # "Skin tone (ITA)" -> "skin tone (ITA)"
    higher, lower = card["higher"], card["lower"]
    return {
        "alt": (
            f"Change map of {label}: the face of the before photo in grey, coloured red where the after photo "
            f"shows {higher} and blue where it shows {lower}. Over the whole face: {card['verdict']}."
        ),
        "scale_alt": (
            f"Colour scale of the map of {label}: blue for {lower}, pale for no change, red for {higher}; "
            f"the strongest colours mean a change of {limit} or more, in {card['unit']}."
        ),
    }


def aligned_photo(analysis: Analysis, *, width: int = PHOTO_WIDTH_PX) -> bytes:
    """The photo in the canonical frame (the after photo already registered onto the before), as JPEG."""
    standardized = _require(analysis.standardized, "canonical face")
    return _encode(_to_uint8(linear_to_srgb(standardized.linear), width=width), image_format="JPEG")


# --- tables and notes -----------------------------------------------------------------------


def zone_rows(comparison: Comparison) -> list[dict[str, Any]]:
    rows = []
    for zone in ZONE_ORDER:
        metrics = comparison.zones.get(zone, {})
        rows.append(
            {
                "id": zone,
                "zone": zone_label(zone),
                "metrics": [
                    {
                        "label": METRIC_LABELS.get(metric, metric),
                        "unit": display_unit(metric),
                        "before": shown_number(change.before, metric),
                        "after": shown_number(change.after, metric),
                        "delta": shown_number(change.delta, metric, signed=True),
                        "mdc": shown_number(change.mdc, metric),
                        "verdict": change_words(metric, change),
                        "reason": reason_words(change),
                        "tone": _tone(metric, change),
                    }
                    for metric, change in in_metric_order(metrics)
                ],
            }
        )
    return rows


def findings(comparison: Comparison) -> list[dict[str, Any]]:
    """Each detected change in words, with the zones it was found in."""
    found: dict[tuple[str, str], list[str]] = {}
    tones: dict[str, Tone] = {}
    for zone in ZONE_ORDER:
        for metric, change in in_metric_order(comparison.zones.get(zone, {})):
            if change.change in ("increased", "decreased"):
                words = verdict_words(metric, change)
                found.setdefault((metric, words), []).append(zone_label(zone))
                tones[words] = _tone(metric, change)
    return [{"words": words, "zones": zones, "tone": tones[words]} for (_, words), zones in found.items()]


def in_metric_order(metrics: Mapping[str, T]) -> list[tuple[str, T]]:
    """A zone's metrics in the contract's order: stored JSON (PostgreSQL's jsonb) may reorder keys."""
    order = {metric: index for index, metric in enumerate(METRIC_LABELS)}
    return sorted(metrics.items(), key=lambda item: order.get(item[0], len(order)))


def judged(comparison: Comparison) -> bool:
    """Whether the comparison measured at least one change, or the absence of one, in any zone."""
    return any(c.change in ("increased", "decreased", "none") for m in comparison.zones.values() for c in m.values())


def not_measured(comparison: Comparison, *, zone: str = "face") -> list[dict[str, Any]]:
    """The measures of ``zone`` that could not be measured, grouped by reason, in plain words.

    Each item has ``measures`` (labels, in metric order) and ``reason`` ("" when none was recorded).
    """
    by_reason: dict[str, list[str]] = {}
    for metric, change in in_metric_order(comparison.zones.get(zone, {})):
        if change.change not in ("increased", "decreased", "none"):
            by_reason.setdefault(reason_words(change), []).append(METRIC_LABELS.get(metric, metric))
    return [{"measures": measures, "reason": reason} for reason, measures in by_reason.items()]


def refusal_reasons(compare: Mapping[str, Any] | None) -> list[str]:
    """Why a ``dermadelta.compare/1`` result measured nothing, in the words it gives.

    Read defensively (a stored result of any age): the comparison's own ``reason``
    (e.g. the after photo shows a different person), then each photo the quality
    gate rejected, with its reasons. Empty when no reason is recorded.
    """
    if not isinstance(compare, Mapping):
        return []
    found: list[str] = []
    own = compare.get("reason")
    if isinstance(own, str) and own.strip():
        found.append(own.strip())
    for role in ("before", "after"):
        photo = compare.get(role)
        quality = photo.get("quality") if isinstance(photo, Mapping) else None
        if not isinstance(quality, Mapping) or quality.get("verdict") != "reject":
            continue
        raw = quality.get("reasons")
        reasons = [r.strip() for r in raw if isinstance(r, str) and r.strip()] if isinstance(raw, list) else []
        said = "; ".join(reasons) or "it did not pass the quality check"
        found.append(f"{role.capitalize()} photo: {said}")
    return list(dict.fromkeys(found))


def was_mirrored(compare: Mapping[str, Any] | None) -> bool:
    """Whether the after photo was a mirror image (a selfie) that the comparison flipped back."""
    alignment = compare.get("alignment") if isinstance(compare, Mapping) else None
    return isinstance(alignment, Mapping) and alignment.get("mirrored") is True


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def capture_words(quality: Mapping[str, Any] | None) -> list[str]:
    """What the capture allows, in plain words: how fine a detail the photo resolves and how much glare it has.

    Read from a photo's ``quality`` (``effective_resolution_mm``, ``glare_fraction``);
    a figure that is missing (an older analysis) or not a number is left out.
    """
    if not isinstance(quality, Mapping):
        return []
    words = []
    resolution = _finite(quality.get("effective_resolution_mm"))
    if resolution is not None and resolution > 0:
        words.append(f"Sharpness: resolves about {resolution:.2g} mm on the face")
    glare = _finite(quality.get("glare_fraction"))
    if glare is not None and 0 <= glare <= 1:
        if glare < GLARE_NEGLIGIBLE:
            words.append("Glare: almost none on the face")
        else:
            words.append(f"Glare: shine on about {max(1, round(100 * glare))} % of the face")
    return words


def _photo_facts(analysis: Analysis, role: str) -> dict[str, Any]:
    decoded, quality = analysis.inspected.decoded, analysis.quality
    taken = decoded.metadata.get("datetime")
    return {
        "role": role,
        "source": decoded.source,
        "taken": str(taken) if taken else "",
        "size": "{} x {} px".format(*decoded.file_size),
        "verdict": quality.verdict,
        # The gate's reasons repeat its warnings; each note is said once.
        "reasons": [reason for reason in quality.reasons if reason not in quality.warnings],
        "warnings": list(quality.warnings),
        "capture": capture_words(quality.to_dict()),
    }


#: Shown when a comparison could not match the after photo's light (it then has no colour
#: gains): it names the measures the light moves, which were not compared.
_LIGHT_MOVED = [METRIC_LABELS[metric][0].lower() + METRIC_LABELS[metric][1:] for metric in LIGHT_DEPENDENT_METRICS]
UNMATCHED_LIGHT = (
    f"Colour: the after photo's light could not be matched to the before photo's ({UNMATCHED_CAUSE}), so "
    f"{', '.join(_LIGHT_MOVED[:-1])} and {_LIGHT_MOVED[-1]} were not compared."
)


def alignment_summary(residual_iod: float, gains: Sequence[float], face_size_ratio: Any) -> dict[str, Any]:
    """How well the after photo was aligned and colour-matched onto the before photo, in
    the words a report or page shows."""
    return {
        "residual_percent": f"{100 * residual_iod:.2f}",
        "residual_ok": residual_iod <= RESIDUAL_TARGET_IOD,
        "target_percent": f"{100 * RESIDUAL_TARGET_IOD:.0f}",
        "gains": [f"{g:.3f}" for g in gains],
        "gains_large": any(abs(g - 1) > LARGE_COLOUR_GAIN for g in gains),
        "large_percent": f"{100 * LARGE_COLOUR_GAIN:.0f}",
        "unmatched": "" if gains else UNMATCHED_LIGHT,
        "distance": distance_note(face_size_ratio),
    }


def _alignment(comparison: Comparison) -> dict[str, Any] | None:
    if comparison.residual_iod is None or comparison.after.standardized is None:
        return None
    gains = comparison.after.standardized.colour_gains if comparison.colour_matched else ()
    return alignment_summary(comparison.residual_iod, gains, comparison.face_size_ratio)


@cache
def _environment() -> jinja2.Environment:
    import jinja2  # imported here: only reports pay for it

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _with_data_uri(card: dict[str, Any]) -> dict[str, Any]:
    image = card["image"]
    return {**card, "image": None if image is None else data_uri(image, mime="image/jpeg")}


def render_comparison_html(comparison: Comparison, *, title: str | None = None, notice: str | None = None) -> str:
    """The before/after report as one self-contained HTML document.

    ``title`` is the heading on its first page and may name the patient; the
    document's own title (a browser tab, a PDF's Title) is always
    :data:`DEFAULT_TITLE`, which names no one, as the download's file name does not.
    ``notice`` is shown prominently at the top (e.g. that the photos are simulated).
    A comparison that was not measured (a photo was rejected by the quality gate)
    gives a report that says why, without face images or the table.
    """
    measured = comparison.measured
    as_json = comparison.to_dict()
    context: dict[str, Any] = {
        "title": title or DEFAULT_TITLE,
        # The document's own title (a PDF's Title): a heading may name the patient, this never does.
        "document_title": DEFAULT_TITLE,
        "notice": notice or "",
        "measured": measured,
        "photos": [_photo_facts(comparison.before, "Before"), _photo_facts(comparison.after, "After")],
        "version": comparison.versions.get("dermadelta", ""),
        "alignment": _alignment(comparison),
        "sigma_mm": f"{DEFAULT_SIGMA_MM:g}",
        "detectable_change_meaning": DETECTABLE_CHANGE_MEANING,
        "refusals": [] if measured else refusal_reasons(as_json),
        "mirrored": was_mirrored(as_json),
    }
    if measured:
        context |= {
            "before_uri": data_uri(aligned_photo(comparison.before), mime="image/jpeg"),
            "after_uri": data_uri(aligned_photo(comparison.after), mime="image/jpeg"),
            "colour_bar_uri": data_uri(colour_bar_png(), mime="image/png"),
            "heatmaps": [_with_data_uri(heatmap_card(comparison, metric)) for metric in METRICS],
            "zone_rows": zone_rows(comparison),
            "findings": findings(comparison),
            "not_measured": not_measured(comparison),
            "judged": judged(comparison),
        }
    return _environment().get_template("comparison.html").render(**context)


def write_comparison_report(
    comparison: Comparison, path: str | Path, *, title: str | None = None, notice: str | None = None
) -> Path:
    """Write the report as HTML or PDF, chosen by the suffix of ``path`` (.html, .htm or .pdf)."""
    return write_html_or_pdf(render_comparison_html(comparison, title=title, notice=notice), path)
