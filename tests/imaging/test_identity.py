"""Same face, same orientation: a mirrored after photo is flipped back, another person is refused.

Real faces (tests/data/faces: London Set, CC BY 4.0; sources in its SOURCES.md).
The measured rates are in docs/IDENTITY.md; these tests pin the behaviour.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim
from dermadelta.imaging.identity import DIFFERENT_PERSON, Identity, detail_similarity, judge
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, RIGHT_IRIS_CENTRE
from dermadelta.imaging.pipeline import compare


def _capture(rgb: np.ndarray, seed: int) -> bytes:
    rng = np.random.default_rng(seed)
    nuisance = sim.phone_nuisance(rng, inter_ocular_px=220.0)
    return sim.capture(rgb, nuisance, rng=rng)


@pytest.fixture(scope="module")
def before(real_face) -> bytes:
    return _capture(real_face[0], 1)


@pytest.fixture(scope="module")
def mirrored(real_face, before):
    return compare(before, _capture(np.ascontiguousarray(real_face[0][:, ::-1]), 2))


@pytest.fixture(scope="module")
def unmirrored(real_face, before):
    return compare(before, _capture(real_face[0], 3))


@pytest.fixture(scope="module")
def stranger(faces_dir):
    return compare(str(faces_dir / "london_087_neutral_f31.jpg"), str(faces_dir / "london_024_neutral_m47.jpg"))


def test_it_flips_back_a_mirrored_after_photo_and_says_so(mirrored):
    assert mirrored.measured
    assert mirrored.mirrored
    data = json.loads(json.dumps(mirrored.to_dict(), allow_nan=False))
    assert data["alignment"]["mirrored"] is True
    assert data["identity"]["same_person"] is True
    # The after-to-before map includes the flip: a reflection.
    assert np.linalg.det(mirrored.after_to_before[:, :2]) < 0


def test_a_flipped_back_photo_keeps_the_subjects_own_left_and_right(mirrored):
    after = mirrored.after.inspected.landmarks.points
    before = mirrored.before.inspected.landmarks.points
    matrix = mirrored.after_to_before
    iod = mirrored.before.inspected.landmarks.inter_ocular_px
    for iris in (RIGHT_IRIS_CENTRE, LEFT_IRIS_CENTRE):
        mapped = after[iris] @ matrix[:, :2].T + matrix[:, 2]
        assert np.linalg.norm(mapped - before[iris]) < 0.05 * iod
    # The same skin is compared: the right cheek of the flipped-back photo is the right cheek.
    assert mirrored.zones["right_cheek"]["redness"].change == "none"
    assert mirrored.zones["left_cheek"]["redness"].change == "none"


def test_an_unmirrored_after_photo_is_kept_as_it_is(unmirrored):
    assert unmirrored.measured
    assert not unmirrored.mirrored
    assert unmirrored.to_dict()["alignment"]["mirrored"] is False
    assert np.linalg.det(unmirrored.after_to_before[:, :2]) > 0
    assert unmirrored.identity is not None and unmirrored.identity.score > 0.5


def test_it_refuses_an_after_photo_of_a_different_person(stranger):
    assert not stranger.measured
    data = json.loads(json.dumps(stranger.to_dict(), allow_nan=False))
    assert data["zones"] == {}
    assert data["identity"]["same_person"] is False
    assert data["identity"]["score"] < data["identity"]["threshold"]
    assert data["reason"] == DIFFERENT_PERSON
    assert data["alignment"]["mirrored"] is False
    # Neither photo is at fault: both passed the quality gate.
    assert data["before"]["quality"]["verdict"] != "reject"
    assert data["after"]["quality"]["verdict"] != "reject"


def test_the_command_line_refuses_a_different_person_with_exit_status_2(faces_dir, capsys):
    from dermadelta.cli import main

    before = str(faces_dir / "london_136_neutral_f54.jpg")
    after = str(faces_dir / "london_061_neutral_m40.jpg")
    assert main(["compare", before, after, "--json"]) == 2
    captured = capsys.readouterr()
    assert json.loads(captured.out)["identity"]["same_person"] is False
    assert captured.err.count("\n") == 1
    assert "shows a different person" in captured.err and "Traceback" not in captured.err


def test_the_same_person_with_a_true_change_under_capture_nuisance_is_not_refused(real_face, before):
    rgb, skin = real_face
    rng = np.random.default_rng(4)
    changed = sim.add_redness(rgb, skin, delta_a=3.0)
    changed = sim.smooth_texture(changed, skin, inter_ocular_px=220.0, amount=0.5)
    cheek = (skin > 0.9) & (np.arange(rgb.shape[1])[None, :] < rgb.shape[1] // 2)
    changed = sim.add_spots_in(changed, cheek, inter_ocular_px=220.0, rng=rng, count=25)
    comparison = compare(before, _capture(changed, 5))
    assert comparison.measured
    assert comparison.identity is not None and comparison.identity.same_person
    assert not comparison.mirrored
    assert comparison.zones["face"]["redness"].change == "increased"


def test_another_expression_of_the_same_person_is_not_refused(faces_dir):
    comparison = compare(str(faces_dir / "london_136_neutral_f54.jpg"), str(faces_dir / "london_136_smiling_f54.jpg"))
    assert comparison.measured
    assert comparison.identity is not None and comparison.identity.same_person and not comparison.mirrored


def test_a_tiny_face_does_not_crash_the_comparison(real_face, before):
    import cv2

    # A face about 25 px between the eyes in the middle of a photo of ordinary size.
    small = cv2.resize(real_face[0], None, fx=0.12, fy=0.12, interpolation=cv2.INTER_AREA)
    canvas = np.full((900, 900, 3), 0.5, dtype=np.float32)
    top, left = (900 - small.shape[0]) // 2, (900 - small.shape[1]) // 2
    canvas[top : top + small.shape[0], left : left + small.shape[1]] = small
    comparison = compare(before, sim.encode_jpeg(canvas, quality=90))
    assert not comparison.measured
    data = json.loads(json.dumps(comparison.to_dict(), allow_nan=False))
    assert data["zones"] == {}


def test_an_after_photo_sharing_little_of_the_face_does_not_crash(real_face, before):
    rgb = real_face[0]
    # The lower part of the face only: the eyes and forehead are cut off.
    crop = rgb[int(rgb.shape[0] * 0.47) :, :]
    comparison = compare(before, sim.encode_jpeg(np.ascontiguousarray(crop), quality=90))
    data = json.loads(json.dumps(comparison.to_dict(), allow_nan=False))
    if not comparison.measured:
        assert data["zones"] == {}
        assert data.get("reason") or "reject" in (
            data["before"]["quality"]["verdict"],
            data["after"]["quality"]["verdict"],
        )


def test_photos_without_shared_face_have_no_score(before):
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.landmarks import find_landmarks
    from dermadelta.imaging.standardize import standardize

    decoded = decode(before)
    fixed = standardize(decoded, find_landmarks(decoded))
    empty = type(fixed)(
        linear=np.zeros_like(fixed.linear),
        valid=np.zeros_like(fixed.valid),
        landmarks=fixed.landmarks,
        to_canonical=fixed.to_canonical,
        pixel_spacing_mm=fixed.pixel_spacing_mm,
        source_pixel_spacing_mm=fixed.source_pixel_spacing_mm,
    )
    score, tiles = detail_similarity(fixed, empty)
    assert score is None and tiles == 0
    assert detail_similarity(fixed, fixed)[0] == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    ("as_given", "flipped", "same", "mirrored"),
    [
        (0.9, None, True, False),
        (0.2, 0.8, True, True),
        (0.2, 0.21, False, False),
        (0.5, 0.5, True, False),
        (None, None, False, False),
        (None, 0.6, True, True),
    ],
)
def test_the_better_orientation_decides_and_a_tie_keeps_the_photo_as_given(as_given, flipped, same, mirrored):
    identity = judge(as_given, flipped, tiles=(40, 50), threshold=0.3)
    assert identity.same_person is same
    assert identity.mirrored is mirrored
    assert bool(identity.reason) is not same
    json.dumps(identity.to_dict(), allow_nan=False)


def test_too_little_shared_face_is_said_in_plain_words():
    identity = Identity(as_given=None, flipped=None, tiles=3)
    assert not identity.same_person
    assert "too little of the face" in identity.reason
