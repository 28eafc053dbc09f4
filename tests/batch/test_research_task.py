"""The batch's task on one photo file: a phone-size photo is analysed from the decode it needs."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from dermadelta.clinic.research import analyse_file
from dermadelta.imaging import simulate as sim
from dermadelta.imaging.decode import decode

FACES = Path(__file__).parents[1] / "data" / "faces"


def test_a_phone_size_photo_is_analysed_from_a_half_size_decode_and_named_by_its_path(tmp_path):
    # London Set 137 (CC BY 4.0, tests/data/faces/SOURCES.md), the head enlarged to a 12 MP portrait's size.
    head = decode(str(FACES / "london_137_neutral_m21.jpg")).rgb[100:1250, 225:1125]
    enlarged = cv2.resize(head, None, fx=3.3, fy=3.3, interpolation=cv2.INTER_CUBIC)
    path = tmp_path / "portrait.jpg"
    path.write_bytes(sim.encode_jpeg(np.clip(enlarged, 0, 1).astype(np.float32), quality=92))

    result = analyse_file.call(str(path))

    assert result["refused"] == ""
    analysis = result["analysis"]
    assert analysis["path"] == str(path)
    assert analysis["image"]["decoded_scale"] == 0.5
    assert (analysis["image"]["width"], analysis["image"]["height"]) == (2970, 3795)


def test_a_damaged_photo_is_refused_in_words_that_do_not_repeat_its_path(tmp_path):
    path = tmp_path / "cut.jpg"
    data = (FACES / "london_137_neutral_m21.jpg").read_bytes()
    path.write_bytes(data[: len(data) // 3])

    result = analyse_file.call(str(path))

    assert result["analysis"] is None
    assert result["refused"] and not result["refused"].startswith(str(path))
