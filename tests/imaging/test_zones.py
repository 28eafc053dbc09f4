"""Zones: every named zone, skin only, no overlap, and the same skin whatever the framing."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging.zones import LEFT_EYE, LIPS, RIGHT_EYE, ZONE_NAMES, face_region, surroundings
from tests.imaging.conftest import FACES


def test_every_zone_of_the_contract_is_there(analysis):
    assert tuple(analysis.zones.masks) == ZONE_NAMES
    counts = analysis.zones.pixel_counts()
    assert all(counts[name] > 1500 for name in ZONE_NAMES), counts


def test_zones_do_not_overlap_and_all_lie_in_the_face(analysis):
    masks = analysis.zones.masks
    stacked = np.stack([masks[name] for name in ZONE_NAMES[:-1]])
    assert stacked.sum(axis=0).max() == 1
    assert not np.any(stacked.any(axis=0) & ~masks["face"])


def test_eyes_and_lips_are_never_skin(analysis):
    import cv2

    points = analysis.standardized.landmarks
    for part in (LEFT_EYE, RIGHT_EYE, LIPS):
        inside = np.zeros(analysis.zones.masks["face"].shape, np.uint8)
        cv2.fillConvexPoly(inside, cv2.convexHull(np.round(points[list(part)]).astype(np.int32)), 1)
        assert not np.any(analysis.zones.masks["face"] & inside.astype(bool))


def test_left_cheek_is_on_the_subjects_left(analysis):
    from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE

    masks = analysis.zones.masks
    left_x = np.argwhere(masks["left_cheek"])[:, 1].mean()
    right_x = np.argwhere(masks["right_cheek"])[:, 1].mean()
    left_eye_x = analysis.standardized.landmarks[LEFT_IRIS_CENTRE, 0]
    assert abs(left_x - left_eye_x) < abs(right_x - left_eye_x)


def test_surroundings_hold_no_face(analysis):
    points = analysis.standardized.landmarks
    assert not np.any(surroundings(points) & face_region(points))
    assert surroundings(points).sum() > 10_000


def test_hair_over_the_forehead_is_cut_out(real_face):
    import cv2

    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.compare import default_repeatability
    from dermadelta.imaging.pipeline import analyze

    rgb, _ = real_face
    clean = analyze(sim.encode_jpeg(rgb))
    # Paint a dark fringe over the middle of the forehead.
    fringe = rgb.copy()
    points = clean.inspected.landmarks.points
    iod = clean.inspected.landmarks.inter_ocular_px
    top = points[10]
    cv2.rectangle(
        fringe,
        (int(top[0] - 0.4 * iod), int(top[1])),
        (int(top[0] + 0.4 * iod), int(top[1] + 0.35 * iod)),
        (0.12, 0.08, 0.05),
        -1,
    )
    covered = analyze(sim.encode_jpeg(fringe))
    assert covered.zones.pixel_counts()["forehead"] < 0.85 * clean.zones.pixel_counts()["forehead"]
    hair_redness = covered.measurements.values["forehead"]["redness"]
    # What is left of the forehead reads as the same skin: no detectable change.
    mdc = default_repeatability().get("forehead", "redness")
    assert abs(hair_redness - clean.measurements.values["forehead"]["redness"]) < mdc


def _nostril_dark_share(photo: str) -> float:
    """The share of the nose zone that returns less than a quarter of the light of its own skin."""
    from dermadelta.imaging.colour import relative_luminance
    from dermadelta.imaging.pipeline import analyze

    analysis = analyze(FACES / photo)
    luminance = relative_luminance(analysis.standardized.linear)[analysis.zones.masks["nose"]]
    return float(np.mean(luminance < 0.25 * np.median(luminance)))


@pytest.mark.parametrize(
    "photo", ["london_087_neutral_f31.jpg", "london_137_neutral_m21.jpg", "london_061_smiling_m40.jpg"]
)
def test_the_nostrils_are_not_nose_skin(photo):
    """Seen from the front the nostrils lie above the landmarks of the nasal base; they
    change with the camera's height and distance, so in the nose zone they would read
    as texture, lines and spots. A nostril's opening returns far less than a quarter
    of the light of the nose's skin, on tan and dark skin alike."""
    dark_share = _nostril_dark_share(photo)
    assert dark_share < 0.005, f"{dark_share:.2%} of the nose zone is as dark as a nostril"


def test_without_the_nostril_cut_the_check_finds_them(monkeypatch):
    from dermadelta.imaging import zones

    monkeypatch.setattr(zones, "_nostrils", lambda linear, nasal_base: np.zeros_like(nasal_base))
    assert _nostril_dark_share("london_087_neutral_f31.jpg") > 0.02
