"""Two photos taken at different distances: the comparison says how much larger the face is, and the pages caution."""

from __future__ import annotations

from pathlib import Path

import pytest

from dermadelta.imaging.pipeline import compare
from dermadelta.reports.comparison_report import OTHER_DISTANCE_RATIO, distance_note

FACES = Path(__file__).parents[1] / "data" / "faces"


@pytest.fixture(scope="module")
def at_30_and_45_cm():
    return compare((FACES / "webmorph_zoom_30cm.jpg").read_bytes(), (FACES / "webmorph_zoom_45cm.jpg").read_bytes())


def test_a_face_further_from_the_camera_fills_less_of_the_frame(at_30_and_45_cm):
    # Same camera and frame: the eye distance went from about 242 to 195 px.
    assert at_30_and_45_cm.face_size_ratio == pytest.approx(195 / 242, abs=0.03)
    assert at_30_and_45_cm.to_dict()["alignment"]["face_size_ratio"] == pytest.approx(195 / 242, abs=0.03)
    assert "before photo's frame" in distance_note(at_30_and_45_cm.face_size_ratio)


def test_the_same_photo_twice_is_the_same_distance():
    photo = (FACES / "london_087_neutral_f31.jpg").read_bytes()
    comparison = compare(photo, photo)
    assert comparison.face_size_ratio == pytest.approx(1.0, abs=1e-6)
    assert distance_note(comparison.face_size_ratio) == ""


@pytest.mark.parametrize("ratio", [1.0, 1.1, 1 / 1.1, OTHER_DISTANCE_RATIO, 1 / OTHER_DISTANCE_RATIO])
def test_no_caution_within_the_usual_spread_of_one_distance(ratio):
    assert distance_note(ratio) == ""


@pytest.mark.parametrize(
    ("ratio", "words"),
    [(1.6, "1.60 times as much of the after photo's"), (0.5, "2.00 times as much of the before photo's")],
)
def test_a_caution_names_the_photo_and_the_size_in_plain_words(ratio, words):
    note = distance_note(ratio)
    assert words in note and "different distances" in note and "capture page" in note
    assert "ratio" not in note and "_" not in note


@pytest.mark.parametrize("stored", [None, "1.6", True, float("nan"), float("inf"), 0, -2.0, [1.6]])
def test_a_missing_or_broken_stored_figure_gives_no_caution(stored):
    assert distance_note(stored) == ""


def test_the_results_page_reads_the_stored_figure_and_older_results_without_it():
    from dermadelta.clinic.records.course_progress import alignment_of

    shown = alignment_of({"alignment": {"residual_iod": 0.004, "face_size_ratio": 1.6}})
    older = alignment_of({"alignment": {"residual_iod": 0.004}})
    assert shown is not None and "different distances" in shown["distance"]
    assert older is not None and older["distance"] == ""


def test_the_command_line_cautions_too(capsys):
    from dermadelta.cli import main

    assert main(["compare", str(FACES / "webmorph_zoom_30cm.jpg"), str(FACES / "webmorph_zoom_60cm.jpg")]) == 0
    out = capsys.readouterr().out
    assert "taken at different distances" in out
    assert "capture page" not in out  # the command line has no such page
