"""The quality gate: what it accepts, warns about and rejects, and that skin tone is not a defect."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim
from dermadelta.imaging.decode import decode
from dermadelta.imaging.landmarks import find_landmarks
from dermadelta.imaging.quality import assess_quality, estimate_pose


def _quality(rgb):
    decoded = decode(sim.encode_jpeg(rgb, quality=92))
    return assess_quality(decoded, find_landmarks(decoded))


def test_it_accepts_a_sharp_frontal_well_exposed_face(subject):
    quality = _quality(subject.rgb)
    assert quality.verdict == "ok", quality.reasons
    assert quality.face_count == 1
    assert quality.inter_ocular_px == pytest.approx(400, rel=0.05)
    assert abs(quality.pose.roll) < 5


def test_it_rejects_a_photo_without_a_face(no_face_jpeg):
    decoded = decode(no_face_jpeg)
    quality = assess_quality(decoded, find_landmarks(decoded))
    assert quality.verdict == "reject"
    assert quality.reasons == ("no face found",)
    assert not quality.face_found


@pytest.mark.parametrize("tone", [2.3, 3.2])
def test_it_does_not_call_correctly_exposed_dark_skin_under_exposed(subject, tone):
    dark = sim.with_skin_tone(subject, tone)
    quality = _quality(dark.rgb)
    assert quality.verdict != "reject", quality.reasons
    assert not any("exposed" in reason or "dark" in reason for reason in quality.reasons)


def test_it_rejects_an_over_exposed_face(subject):
    linear = sim.srgb_to_linear(subject.rgb) * 4.0
    quality = _quality(sim.linear_to_srgb(np.clip(linear, 0, 1)))
    assert quality.verdict == "reject"
    assert any("over-exposed" in reason for reason in quality.reasons)


def test_it_flags_a_blurred_photo(subject):
    import cv2

    blurred = cv2.GaussianBlur(subject.rgb, (0, 0), 0.05 * subject.inter_ocular_px)
    quality = _quality(blurred)
    assert quality.verdict in {"warn", "reject"}
    assert any("blur" in reason or "soft" in reason for reason in quality.reasons)


def test_sharpness_does_not_depend_on_skin_tone(subject):
    light = _quality(subject.rgb).sharpness
    dark = _quality(sim.with_skin_tone(subject, 2.3).rgb).sharpness
    assert dark == pytest.approx(light, rel=0.25)


def test_it_warns_about_a_small_face(subject):
    import cv2

    small = cv2.resize(subject.rgb, None, fx=0.3, fy=0.3, interpolation=cv2.INTER_AREA)
    quality = _quality(small)
    assert quality.inter_ocular_px < 150
    assert any("small face" in reason for reason in quality.reasons)


def test_roll_follows_a_rotation_of_the_photo(subject):
    matrix = sim.similarity_matrix(shape=subject.rgb.shape, rotation_deg=12.0, scale=1.0, shift_px=(0.0, 0.0))
    rotated = sim.warp(subject.rgb, matrix)
    straight = estimate_pose(find_landmarks(decode(sim.encode_jpeg(subject.rgb))))
    turned = estimate_pose(find_landmarks(decode(sim.encode_jpeg(rotated))))
    # OpenCV turns the image anticlockwise for a positive angle; roll moves by the same 12 degrees.
    assert abs(turned.roll - straight.roll) == pytest.approx(12.0, abs=1.5)
