"""A large phone portrait is measured from a reduced decode: the same verdicts as at full size.

Real faces (London Set, CC BY 4.0; the U.S. Supreme Court portrait, public domain;
see tests/data/faces/SOURCES.md), cropped to the head and enlarged to the size of a
12 MP phone portrait (about 700 px between the eyes): the enlargement adds no
detail, so what differs between the two decodes is the decode alone.
"""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging.decode import decode
from dermadelta.imaging.pipeline import analyze, compare, decode_for_analysis
from tests.phone_portraits import PORTRAIT_SIZE, phone_portrait


# One light and one dark skin, the two people of the evaluation's quick slice.
@pytest.mark.parametrize("name", ["london_137_neutral_m21.jpg", "london_087_neutral_f31.jpg"])
def test_a_phone_size_portrait_measured_from_half_size_shows_no_change_from_full_size(name):
    data = phone_portrait(name)
    # The before photo decoded in full by the caller; the after photo left to the pipeline.
    comparison = compare(decode(data), data)
    result = comparison.to_dict()
    assert result["before"]["image"]["decoded_scale"] == 1.0
    assert result["after"]["image"]["decoded_scale"] == 0.5
    for side in ("before", "after"):
        assert (result[side]["image"]["width"], result[side]["image"]["height"]) == PORTRAIT_SIZE
    iod = result["before"]["quality"]["inter_ocular_px"]
    assert result["after"]["quality"]["inter_ocular_px"] == pytest.approx(iod, rel=0.01)
    # Landmarks and the registration are reported in the file's own pixels.
    before_points, after_points = (np.array(result[side]["landmarks"]) for side in ("before", "after"))
    assert np.median(np.linalg.norm(before_points - after_points, axis=1)) < 0.01 * iod
    mapped = after_points @ np.array(result["alignment"]["after_to_before"])[:, :2].T
    mapped += np.array(result["alignment"]["after_to_before"])[:, 2]
    assert np.median(np.linalg.norm(mapped - before_points, axis=1)) < 0.01 * iod
    changes = [change for metrics in comparison.zones.values() for change in metrics.values()]
    measured = [change for change in changes if change.change != "not_measurable"]
    assert len(measured) >= 0.9 * len(changes)
    # Within the smallest detectable change on every zone and metric.
    assert all(change.change == "none" for change in measured), [
        (zone, metric, change.delta, change.mdc)
        for zone, metrics in comparison.zones.items()
        for metric, change in metrics.items()
        if change.change in ("increased", "decreased")
    ]


@pytest.fixture(scope="module")
def small_face_in_a_large_photo(faces_dir) -> bytes:
    """The Supreme Court portrait (2400 x 3000, 220 px between the eyes) in the middle of a
    3200 x 4000 frame: the half-size decode that the frame's size allows holds 110 px."""
    import cv2

    from dermadelta.imaging import simulate as sim

    rgb = decode(str(faces_dir / "usgov_sotomayor_scotus_official_portrait_2009.jpg")).rgb
    framed = cv2.copyMakeBorder(rgb, 500, 500, 400, 400, cv2.BORDER_REPLICATE)
    return sim.encode_jpeg(np.clip(framed, 0, 1).astype(np.float32), quality=92)


def test_a_small_face_in_a_large_photo_is_decoded_again_at_full_size(small_face_in_a_large_photo):
    data = small_face_in_a_large_photo
    first_look = decode_for_analysis(data)
    assert first_look.scale == 0.5  # the reduced look is taken, and found too few pixels

    full = analyze(decode(data)).to_dict()
    for fast in (analyze(data).to_dict(), analyze(data, decoded=first_look).to_dict()):
        assert fast["image"]["decoded_scale"] == 1.0
        assert (fast["image"]["width"], fast["image"]["height"]) == (3200, 4000)
        # Measured exactly as without the reduced look.
        assert fast["quality"] == full["quality"] and fast["zones"] == full["zones"]
