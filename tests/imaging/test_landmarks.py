"""Landmarks: found offline, in original pixel coordinates, with the subject's own left and right."""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim
from dermadelta.imaging.decode import decode
from dermadelta.imaging.landmarks import LEFT_IRIS_CENTRE, POINT_COUNT, RIGHT_IRIS_CENTRE, find_landmarks


def test_it_finds_478_points_on_a_face(subject_jpeg):
    landmarks = find_landmarks(decode(subject_jpeg))
    assert landmarks.face_count == 1
    assert landmarks.points.shape == (POINT_COUNT, 2)
    assert "mediapipe" in landmarks.model


def test_the_subjects_right_eye_is_on_the_left_of_a_frontal_photo(subject_jpeg):
    points = find_landmarks(decode(subject_jpeg)).points
    assert points[RIGHT_IRIS_CENTRE, 0] < points[LEFT_IRIS_CENTRE, 0]


def test_a_mirrored_selfie_cannot_be_told_from_the_face_alone(subject):
    # Known limitation (docs/IMAGING.md): a mirrored photo looks like a normal face,
    # so the subject's left and right swap; the capture must not mirror.
    mirrored = np.ascontiguousarray(subject.rgb[:, ::-1])
    points = find_landmarks(decode(sim.encode_jpeg(mirrored))).points
    assert points[RIGHT_IRIS_CENTRE, 0] < points[LEFT_IRIS_CENTRE, 0]


def test_points_are_in_original_pixels_whatever_the_detection_size(subject):
    import cv2

    small = cv2.resize(subject.rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    full = find_landmarks(decode(sim.encode_jpeg(subject.rgb)))
    half = find_landmarks(decode(sim.encode_jpeg(small)))
    error = np.median(np.linalg.norm(half.points * 2 - full.points, axis=1))
    assert error < 0.02 * full.inter_ocular_px


def test_no_face_is_an_empty_result_not_none(no_face_jpeg):
    landmarks = find_landmarks(decode(no_face_jpeg))
    assert landmarks.face_count == 0
    assert not landmarks.found
    assert landmarks.points.shape == (0, 2)
    assert landmarks.inter_ocular_px == 0.0


def test_the_model_ships_inside_the_installed_package():
    from importlib.util import find_spec

    spec = find_spec("mediapipe")
    assert spec is not None and spec.origin is not None
    from pathlib import Path

    model = Path(spec.origin).parent / "modules" / "face_landmark" / "face_landmark_with_attention.tflite"
    assert model.is_file() and model.stat().st_size > 100_000


@pytest.mark.parametrize("orientation", [6, 8])
def test_exif_rotated_portraits_are_found_upright(subject, orientation):
    import io

    from PIL import Image

    # Store the pixels sideways, as a phone does, and say so in EXIF.
    turn = np.rot90(subject.rgb, k=1 if orientation == 6 else -1)
    image = Image.fromarray((np.clip(turn, 0, 1) * 255).astype(np.uint8))
    exif = image.getexif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=92, exif=exif.tobytes())
    decoded = decode(buffer.getvalue())
    assert decoded.rgb.shape[:2] == subject.rgb.shape[:2]
    landmarks = find_landmarks(decoded)
    eyes = landmarks.points[LEFT_IRIS_CENTRE] - landmarks.points[RIGHT_IRIS_CENTRE]
    assert eyes[0] > 0 and abs(eyes[1]) < 0.1 * eyes[0]
