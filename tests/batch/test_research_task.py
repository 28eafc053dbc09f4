"""The batch's task on one photo file: a phone-size photo is analysed from the decode it needs."""

from __future__ import annotations

from dermadelta.clinic.research import analyse_file
from tests.phone_portraits import FACES, PORTRAIT_SIZE, phone_portrait


def test_a_phone_size_photo_is_analysed_from_a_half_size_decode_and_named_by_its_path(tmp_path):
    path = tmp_path / "portrait.jpg"
    path.write_bytes(phone_portrait("london_137_neutral_m21.jpg"))

    result = analyse_file.call(str(path))

    assert result["refused"] == ""
    analysis = result["analysis"]
    assert analysis["path"] == str(path)
    assert analysis["image"]["decoded_scale"] == 0.5
    assert (analysis["image"]["width"], analysis["image"]["height"]) == PORTRAIT_SIZE


def test_a_damaged_photo_is_refused_in_words_that_do_not_repeat_its_path(tmp_path):
    path = tmp_path / "cut.jpg"
    data = (FACES / "london_137_neutral_m21.jpg").read_bytes()
    path.write_bytes(data[: len(data) // 3])

    result = analyse_file.call(str(path))

    assert result["analysis"] is None
    assert result["refused"] and not result["refused"].startswith(str(path))
