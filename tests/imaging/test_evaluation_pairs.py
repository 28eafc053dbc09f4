"""Which real photos the evaluation compares with each other, and what it says differs between them."""

from __future__ import annotations

from dataclasses import replace

from dermadelta import evaluation


def test_real_pairs_are_two_photos_of_one_held_out_person() -> None:
    plan = replace(evaluation.FULL, photos=(), simulated=())
    jobs = evaluation._natural_jobs(plan, evaluation.photos_of(plan))
    assert jobs, "the set has held-out people photographed more than once"
    for job in jobs:
        person = evaluation.person_of(job["photo"])
        assert person == evaluation.person_of(job["other"]) and job["photo"] != job["other"]
        assert person not in evaluation.FITTING_PEOPLE  # the MDCs never saw them
    pairs = {(job["photo"], job["other"]) for job in jobs}
    assert len(pairs) == len(jobs) and not any((b, a) in pairs for a, b in pairs)  # each pair once


def test_what_differs_is_named_for_each_kind_of_pair() -> None:
    assert evaluation._what_differs("webmorph_zoom_15cm.jpg", "webmorph_zoom_30cm.jpg") == "distance to the camera"
    assert evaluation._what_differs("london_061_neutral_m40.jpg", "london_061_smiling_m40.jpg").startswith("expression")
    assert "session" in evaluation._what_differs("webmorph_lisa1_warm_lowlight.jpg", "webmorph_zoom_30cm.jpg")


def test_real_pairs_are_reported_apart_and_a_failed_pair_says_so() -> None:
    lines = evaluation._natural_lines(
        [{"photo": "a.jpg", "other": "b.jpg", "measured": False, "person": "x"}], evaluation.shipped_table()
    )
    assert lines[0].startswith("## Real photos of the same person") and "| a.jpg | b.jpg |" in lines[-1]
    assert "not measured" in lines[-1]
