"""Brown spots are individual lesions: new spots on one cheek are found on that cheek and on the face."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim


@pytest.fixture(scope="module")
def spotted_pair(real_face):
    import cv2

    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.landmarks import find_landmarks
    from dermadelta.imaging.pipeline import compare
    from dermadelta.imaging.standardize import invert, standardize
    from dermadelta.imaging.zones import find_zones

    rgb, _ = real_face
    before = sim.encode_jpeg(rgb, quality=92)
    decoded = decode(before)
    standardized = standardize(decoded, find_landmarks(decoded))
    cheek = find_zones(standardized).masks["left_cheek"].astype(np.uint8)
    back = cv2.warpAffine(cheek, invert(standardized.to_canonical), (decoded.width, decoded.height)) > 0
    rng = np.random.default_rng(11)
    iod = find_landmarks(decoded).inter_ocular_px
    after = sim.encode_jpeg(sim.add_spots_in(rgb, back, inter_ocular_px=iod, rng=rng, count=25), quality=92)
    return compare(before, after)


def test_new_spots_on_one_cheek_are_found_on_that_cheek_and_on_the_face(spotted_pair):
    assert spotted_pair.zones["left_cheek"]["spots"].change == "increased"
    assert spotted_pair.zones["face"]["spots"].change == "increased"
    assert spotted_pair.zones["right_cheek"]["spots"].change == "none"


def test_the_spots_are_counted_one_by_one(spotted_pair):
    before = spotted_pair.before.measurements.spot_counts
    after = spotted_pair.after.measurements.spot_counts
    # 25 spots of 1-3 mm were added; the smallest may fall under the 1 mm minimum or merge.
    assert 15 <= after["left_cheek"] - before["left_cheek"] <= 30
    assert abs(after["right_cheek"] - before["right_cheek"]) <= 2
    summary = spotted_pair.to_dict()["after"]["spots"]
    assert summary["min_diameter_mm"] == pytest.approx(1.0)
    assert summary["count"]["left_cheek"] == after["left_cheek"]


def test_round_spots_do_not_raise_the_wrinkle_measure(spotted_pair):
    assert spotted_pair.zones["left_cheek"]["wrinkles"].change != "increased"


def test_lines_are_compared_on_the_same_skin_in_both_photos(spotted_pair):
    before, after = spotted_pair.before.maps, spotted_pair.after.maps
    new_spots = after.spot_lesions & ~before.spot_lesions
    assert new_spots.sum() > 0
    # The skin around the after photo's new spots is left out of the before photo's lines too.
    assert np.isnan(before.wrinkles[new_spots]).all()
    np.testing.assert_array_equal(np.isnan(before.wrinkles), np.isnan(after.wrinkles))


@pytest.mark.parametrize(("contrast", "weight", "lesion"), [(3.0, 0.0, False), (5.0, 0.25, False), (7.0, 0.75, True)])
def test_a_spot_counts_in_the_area_by_how_far_it_stands_above_the_background(contrast, weight, lesion):
    from dermadelta.imaging.metrics import spot_maps

    # A 3 mm disc, `contrast` darkness units above flat skin, at 0.2 mm per pixel.
    rows, cols = np.indices((151, 151))
    disc = (rows - 75) ** 2 + (cols - 75) ** 2 <= 7.5**2
    darkness = np.full((151, 151), 50.0, np.float32) + np.float32(contrast) * disc
    lesions, area = spot_maps(darkness, np.ones((151, 151), bool), spacing_mm=0.2)
    assert area[~disc].max() == 0.0
    np.testing.assert_allclose(area[disc].mean(), weight, atol=0.05)
    assert lesions[disc].any() == lesion and not lesions[~disc].any()
