"""``analyze`` and ``compare``: the imaging stages chained, nothing more."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

from dermadelta.imaging.colour_match import UNMATCHED_REASON, match_colour
from dermadelta.imaging.compare import (
    MetricChange,
    RepeatabilityTable,
    compare_measurements,
    default_repeatability,
)
from dermadelta.imaging.decode import Decoded, decode
from dermadelta.imaging.harmonise import detail_resolution, harmonise_pair, relative_blur_mm2
from dermadelta.imaging.identity import CERTAIN_SCORE, Identity, detail_similarity, judge
from dermadelta.imaging.landmarks import (
    LandmarkDetector,
    Landmarks,
    default_detector,
    find_landmarks,
)
from dermadelta.imaging.metrics import (
    LIGHT_DEPENDENT_METRICS,
    Measurements,
    MetricMaps,
    lines_on_common_skin,
    measure,
    metric_maps,
)
from dermadelta.imaging.quality import Quality, assess_quality
from dermadelta.imaging.registration import refine_alignment, register
from dermadelta.imaging.standardize import (
    CANONICAL_IOD_PX,
    Affine,
    Standardized,
    apply_affine,
    compose,
    invert,
    standardize,
)
from dermadelta.imaging.zones import Zones, face_region, find_zones, surroundings

Source = str | Path | bytes
ANALYZE_SCHEMA = "dermadelta.analyze/1"
COMPARE_SCHEMA = "dermadelta.compare/1"


@dataclass(frozen=True)
class Inspected:
    """A photo decoded, its landmarks found and its quality judged."""

    decoded: Decoded
    landmarks: Landmarks
    quality: Quality

    def summary(self) -> dict[str, Any]:
        """The photo as the JSON shows it: sizes and landmarks in the file's own pixels."""
        width, height = self.decoded.file_size
        return {
            "path": self.decoded.source,
            "image": {
                "format": self.decoded.format,
                "width": width,
                "height": height,
                "decoded_scale": self.decoded.scale,
                "bit_depth": self.decoded.bit_depth,
                "exif_orientation": self.decoded.orientation,
                "icc_converted_to_srgb": self.decoded.icc_converted,
                **self.decoded.metadata,
            },
            "quality": self.quality.to_dict(),
            "landmarks": np.round(apply_affine(self.decoded.to_file, self.landmarks.points), 2).tolist(),
        }


@dataclass(frozen=True)
class Analysis:
    """One photo analysed; ``measured`` is False when the quality gate rejected it."""

    inspected: Inspected
    standardized: Standardized | None = None
    zones: Zones | None = None
    maps: MetricMaps | None = None
    measurements: Measurements | None = None
    versions: dict[str, str] = field(default_factory=dict)

    @property
    def quality(self) -> Quality:
        return self.inspected.quality

    @property
    def measured(self) -> bool:
        return self.measurements is not None

    def detail_summary(self) -> dict[str, Any]:
        """The photo's fine-detail resolution and its individual brown spots (JSON additions)."""
        if self.measurements is None:
            return {}
        resolution = self.measurements.resolution
        return {
            "detail_resolution": None if resolution is None else resolution.to_dict(),
            "spots": self.measurements.spots_summary(),
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"schema": ANALYZE_SCHEMA, **self.inspected.summary()}
        if self.measurements is not None:
            data["pixel_spacing_mm"] = round(self.measurements.pixel_spacing_mm, 5)
            data["source_pixel_spacing_mm"] = round(self.measurements.source_pixel_spacing_mm, 5)
            data.update(self.detail_summary())
            data["zones"] = self.measurements.to_dict()
        else:
            data["zones"] = {}
        data["versions"] = self.versions
        return data


@dataclass(frozen=True)
class Comparison:
    before: Analysis
    after: Analysis
    after_to_before: Affine | None
    residual_iod: float | None
    zones: dict[str, dict[str, MetricChange]]
    repeatability_source: str
    versions: dict[str, str]
    #: The after photo was a mirror image and was flipped back before registration.
    mirrored: bool = False
    #: Same person and orientation, judged on skin detail; None when not checked
    #: (a photo was refused first).
    identity: Identity | None = None
    #: The after photo's exposure and white balance were matched to the before photo's;
    #: when not, the metrics the light moves are not measurable.
    colour_matched: bool = True

    @property
    def measured(self) -> bool:
        return bool(self.zones)

    @property
    def reason(self) -> str:
        """Why nothing was measured beyond the photos' own quality, in plain words ("" if nothing)."""
        return "" if self.identity is None else self.identity.reason

    @property
    def face_size_ratio(self) -> float | None:
        """How many times more of its frame the face fills in the after photo than in the before one.

        The share of the frame (eye distance over the frame's diagonal) does not depend
        on a camera's pixel count, so a ratio far from 1 means the camera stood at
        another distance, which changes perspective and which skin detail the camera
        resolves. None when a face was not found.
        """
        shares = []
        for analysis in (self.before, self.after):
            decoded, landmarks = analysis.inspected.decoded, analysis.inspected.landmarks
            if not landmarks.found:
                return None
            shares.append(landmarks.inter_ocular_px / math.hypot(decoded.width, decoded.height))
        return shares[1] / shares[0] if shares[0] > 0 else None

    def _after_to_before_in_files(self, after_to_before: Affine) -> Affine:
        """The registration between the two files' own pixels (a photo may have been decoded reduced)."""
        before, after = self.before.inspected.decoded, self.after.inspected.decoded
        return compose(before.to_file, compose(after_to_before, invert(after.to_file)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": COMPARE_SCHEMA,
            "before": {**self.before.inspected.summary(), **self.before.detail_summary()},
            "after": {**self.after.inspected.summary(), **self.after.detail_summary()},
            "alignment": {
                "after_to_before": None
                if self.after_to_before is None
                else np.round(self._after_to_before_in_files(self.after_to_before), 6).tolist(),
                "residual_iod": None if self.residual_iod is None else round(self.residual_iod, 5),
                "after_colour_gains": None
                if self.after.standardized is None or not self.colour_matched
                else [round(g, 5) for g in self.after.standardized.colour_gains],
                "mirrored": self.mirrored,
                "face_size_ratio": None if self.face_size_ratio is None else round(self.face_size_ratio, 4),
            },
            **({} if self.identity is None else {"identity": self.identity.to_dict()}),
            **({"reason": self.reason} if self.reason else {}),
            "zones": {
                zone: {metric: change.to_dict() for metric, change in metrics.items()}
                for zone, metrics in self.zones.items()
            },
            "repeatability": self.repeatability_source,
            "versions": self.versions,
        }


@cache
def _library_versions() -> dict[str, str]:
    import dermadelta

    return {
        "dermadelta": dermadelta.__version__,
        "numpy": version("numpy"),
        "opencv": version("opencv-contrib-python"),
        "pillow": version("pillow"),
    }


def versions(detector: LandmarkDetector, repeatability: RepeatabilityTable | None = None) -> dict[str, str]:
    data = {**_library_versions(), "landmark_model": detector.name}
    if repeatability is not None:
        data["repeatability"] = repeatability.source
    return data


#: A portrait photo has its eyes about a quarter of its shorter side apart (the 12 MP
#: phone portraits this was written for: 700-900 px in 3000). A JPEG whose shorter side
#: holds four canonical eye distances at half size or less is first decoded reduced.
_PORTRAIT_SHORT_SIDE_IOD = 4
#: The shorter side a JPEG must keep when ``analyze`` and ``compare`` decode it reduced.
ANALYSIS_MIN_SIDE_PX = _PORTRAIT_SHORT_SIDE_IOD * CANONICAL_IOD_PX


def decode_for_analysis(source: Source, *, name: str | None = None) -> Decoded:
    """The decode that :func:`inspect` makes of a file or bytes: a large JPEG at the smallest
    size that still holds the canonical frame's eye distance (see ``_PORTRAIT_SHORT_SIDE_IOD``)."""
    return decode(source, name=name, min_side_px=ANALYSIS_MIN_SIDE_PX)


def inspect(
    source: Source | Decoded,
    *,
    detector: LandmarkDetector | None = None,
    name: str | None = None,
    decoded: Decoded | None = None,
) -> Inspected:
    """Stages ``decode``, ``landmarks`` and ``quality``.

    A large JPEG given as a file or bytes is decoded reduced (:func:`decode_for_analysis`),
    so a 12 MP portrait is measured from a half-size decode; when its face turns out
    smaller than the canonical frame's eye distance, it is decoded again at full size and
    measured as before. ``name`` labels a photo given as bytes in messages and results;
    ``decoded`` is the caller's own :func:`decode_for_analysis` of ``source``, where it
    needed the pixels first.
    """
    if isinstance(source, Decoded):
        decoded = source
    elif decoded is None:
        decoded = decode_for_analysis(source, name=name)
    landmarks = find_landmarks(decoded, detector=detector)
    too_few_pixels = landmarks.found and landmarks.inter_ocular_px < CANONICAL_IOD_PX
    if not isinstance(source, Decoded) and decoded.scale < 1 and too_few_pixels:
        decoded = decode(source, name=name)  # measured as if the reduced look had not been taken
        landmarks = find_landmarks(decoded, detector=detector)
    return Inspected(decoded, landmarks, assess_quality(decoded, landmarks))


def _measure(
    inspected: Inspected, standardized: Standardized, zones: Zones, maps: MetricMaps, detector: LandmarkDetector
) -> Analysis:
    return Analysis(inspected, standardized, zones, maps, measure(standardized, zones, maps=maps), versions(detector))


def analyze(
    source: Source | Decoded,
    *,
    detector: LandmarkDetector | None = None,
    name: str | None = None,
    decoded: Decoded | None = None,
) -> Analysis:
    """Analyse one photo: quality, landmarks and every metric in every zone.

    A photo the quality gate rejects comes back unmeasured, its quality saying why.
    ``name`` and ``decoded`` are as for :func:`inspect`.
    """
    detector = detector or default_detector()
    inspected = inspect(source, detector=detector, name=name, decoded=decoded)
    if inspected.quality.verdict == "reject":
        return Analysis(inspected, versions=versions(detector))
    standardized = standardize(inspected.decoded, inspected.landmarks)
    zones = find_zones(standardized)
    return _measure(inspected, standardized, zones, metric_maps(standardized, zones.masks["face"]), detector)


def _register_onto(
    after: Inspected, before_std: Standardized, before_landmarks: Landmarks
) -> tuple[Standardized, Affine, float]:
    """The after photo in the before photo's canonical frame, its after-to-before map
    and the landmark fit's residual: landmarks first, then refined on skin detail."""
    after_to_before, residual_iod = register(after.landmarks, before_landmarks)
    to_canonical = compose(before_std.to_canonical, after_to_before)
    after_std = standardize(after.decoded, after.landmarks, to_canonical=to_canonical)
    correction = refine_alignment(after_std, before_std, region=face_region(before_std.landmarks))
    if not np.allclose(correction, np.eye(2, 3)):
        to_canonical = compose(correction, to_canonical)
        after_to_before = compose(invert(before_std.to_canonical), to_canonical)
        after_std = standardize(after.decoded, after.landmarks, to_canonical=to_canonical)
    return after_std, after_to_before, residual_iod


@dataclass(frozen=True)
class Registered:
    """The after photo registered onto the before photo, the right way round.

    ``inspected`` is the after photo with its landmarks in its own pixels; when it
    was a mirror image, they were found on the flipped-back photo, so left and right
    are the subject's own and ``after_to_before`` includes the flip.
    """

    inspected: Inspected
    standardized: Standardized
    after_to_before: Affine
    residual_iod: float
    identity: Identity


def _mirror_image(after: Inspected, detector: LandmarkDetector) -> Inspected:
    """The after photo's landmarks found on its mirror image, mapped back to its own pixels."""
    flipped = detector.detect(np.ascontiguousarray(after.decoded.pixels[:, ::-1]))
    points = flipped.points.copy()
    points[:, 0] = after.decoded.width - points[:, 0]
    return Inspected(after.decoded, replace(flipped, points=points), after.quality)


def register_after(
    after: Inspected, before_std: Standardized, before_landmarks: Landmarks, *, detector: LandmarkDetector
) -> Registered:
    """Register the after photo onto the before photo in the orientation its skin
    detail matches, and judge whether it shows the same person (see ``identity``).

    The mirrored orientation is tried unless the photo as given already matches
    beyond doubt; a photo that matches in neither is a different person.
    """
    direct = _register_onto(after, before_std, before_landmarks)
    direct_score, direct_tiles = detail_similarity(before_std, direct[0])
    if direct_score is not None and direct_score >= CERTAIN_SCORE:
        identity = judge(direct_score, None, tiles=(direct_tiles, 0))
        return Registered(after, *direct, identity)
    mirror = _mirror_image(after, detector)
    mirrored, mirrored_score, mirrored_tiles = None, None, 0
    if mirror.landmarks.found:
        try:
            mirrored = _register_onto(mirror, before_std, before_landmarks)
        except ValueError:  # the flipped face could not be registered: keep the photo as given
            mirrored = None
        if mirrored is not None:
            mirrored_score, mirrored_tiles = detail_similarity(before_std, mirrored[0])
    identity = judge(direct_score, mirrored_score, tiles=(direct_tiles, mirrored_tiles))
    if identity.mirrored and mirrored is not None:
        return Registered(mirror, *mirrored, identity)
    return Registered(after, *direct, identity)


def compare(
    before: Source | Decoded,
    after: Source | Decoded,
    *,
    detector: LandmarkDetector | None = None,
    repeatability: RepeatabilityTable | None = None,
    names: tuple[str | None, str | None] = (None, None),
) -> Comparison:
    """Compare two photos of the same face.

    The after photo is checked to show the before photo's person (a different person
    gives an unmeasured comparison that says so) and flipped back if it is a mirror
    image; it is registered onto the before photo and warped into the before
    photo's canonical frame; its exposure and white balance are matched to the
    before photo on the surroundings of the face; both are then measured on the
    skin that both show, and each change is judged against the detectable change
    measured for skin of the before photo's tone. ``names`` label photos given as
    bytes (see :func:`inspect`).
    """
    detector = detector or default_detector()
    repeatability = repeatability or default_repeatability()
    run_versions = versions(detector, repeatability)
    first = inspect(before, detector=detector, name=names[0])
    second = inspect(after, detector=detector, name=names[1])

    def unmeasured(
        after_photo: Inspected,
        *,
        after_to_before: Affine | None = None,
        residual_iod: float | None = None,
        mirrored: bool = False,
        identity: Identity | None = None,
    ) -> Comparison:
        return Comparison(
            Analysis(first, versions=run_versions),
            Analysis(after_photo, versions=run_versions),
            after_to_before,
            residual_iod,
            {},
            repeatability.source,
            run_versions,
            mirrored=mirrored,
            identity=identity,
        )

    if "reject" in (first.quality.verdict, second.quality.verdict):
        return unmeasured(second)
    before_std = standardize(first.decoded, first.landmarks)
    registered = register_after(second, before_std, first.landmarks, detector=detector)
    second, after_std = registered.inspected, registered.standardized
    after_to_before, residual_iod = registered.after_to_before, registered.residual_iod
    if not registered.identity.same_person:
        return unmeasured(
            second,
            after_to_before=after_to_before,
            residual_iod=residual_iod,
            mirrored=registered.identity.mirrored,
            identity=registered.identity,
        )
    matched = match_colour(after_std, before_std, region=surroundings(before_std.landmarks))
    after_std = after_std if matched is None else matched
    # One zone geometry, the before photo's, so the same skin is compared.
    common = find_zones(before_std, also=after_std)
    # Fine detail of both photos at one effective resolution, the crisper one degraded.
    before_detail, after_detail = harmonise_pair(
        detail_resolution(before_std),
        detail_resolution(after_std),
        relative_mm2=relative_blur_mm2(before_std, after_std),
    )
    before_maps, after_maps = lines_on_common_skin(
        metric_maps(before_std, common.masks["face"], resolution=before_detail),
        metric_maps(after_std, common.masks["face"], resolution=after_detail),
    )
    before_analysis = _measure(first, before_std, common, before_maps, detector)
    after_analysis = _measure(second, after_std, common, after_maps, detector)
    before_measured, after_measured = before_analysis.measurements, after_analysis.measurements
    assert before_measured is not None and after_measured is not None
    if matched is None:  # the after photo's colour is in another light: not comparable
        after_measured = after_measured.withheld(LIGHT_DEPENDENT_METRICS, UNMATCHED_REASON)
        after_analysis = replace(after_analysis, measurements=after_measured)
    # The detectable change depends on the skin's tone, read on the before photo.
    toned = repeatability.for_tone(before_measured.values["face"]["tone_ita"])
    changes = compare_measurements(before_measured, after_measured, repeatability=toned)
    return Comparison(
        before_analysis,
        after_analysis,
        after_to_before,
        residual_iod,
        changes,
        f"{toned.source} ({toned.band or 'all skin tones'})",
        run_versions,
        mirrored=registered.identity.mirrored,
        identity=registered.identity,
        colour_matched=matched is not None,
    )
