"""Which real photos the evaluation compares with each other, and what it says differs between them."""

from __future__ import annotations

from dataclasses import replace

from tools import evaluation


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


def test_every_detection_pair_has_a_control(monkeypatch) -> None:
    jobs, _ = evaluation._jobs(evaluation.QUICK, evaluation.QUICK.photos)
    detection = [job for job in jobs if job["kind"] == "detection"]
    controls = {(job["photo"], job["seed"], job["change"]) for job in jobs if job["kind"] == "control"}
    assert detection and len(controls) == len(detection)
    assert all((job["photo"], job["seed"], job["change"]) in controls for job in detection)


def test_a_control_is_captured_as_its_pair_without_the_change(monkeypatch, faces_dir) -> None:
    """New spots are the change that draws at random (where they go): the control must
    draw them too, so that its captures get the same nuisance and noise as its pair's."""
    from types import SimpleNamespace

    import numpy as np

    from dermadelta.imaging import pipeline

    captures: list[tuple] = []

    def capture(rgb, nuisance, *, rng):
        captures.append((rgb, nuisance, rng.bit_generator.state))
        return b""

    fine = SimpleNamespace(quality=SimpleNamespace(verdict="ok", reasons=()))
    monkeypatch.setattr(evaluation.sim, "capture", capture)
    monkeypatch.setattr(pipeline, "compare", lambda *_, **__: SimpleNamespace(measured=False, before=fine, after=fine))
    monkeypatch.setattr(evaluation, "_subject_ita", lambda *_: 0.0)
    job = {
        "photo": "london_087_neutral_f31.jpg",
        "faces": str(faces_dir),
        "nuisance": "all at once",
        "change": "20-30 new brown spots on one cheek",
        "seed": 7,
    }
    for kind in ("detection", "control"):
        evaluation._compare_job({**job, "kind": kind})
    (pair_before, pair_after), (control_before, control_after) = captures[:2], captures[2:]
    for pair, control in ((pair_before, control_before), (pair_after, control_after)):
        assert pair[1] == control[1] and pair[2] == control[2]  # the same nuisance, the same noise to come
    assert np.array_equal(pair_before[0], control_before[0])
    assert not np.array_equal(pair_after[0], control_after[0])  # the spots, in the pair only


REDNESS = "redness +3 a* (more haemoglobin)"


def _pair(kind: str, pigmentation_delta: float, *, seed: int = 1) -> dict:
    zones = {zone: {"pigmentation": pigmentation_delta} for zone in evaluation.ZONE_NAMES}
    return {
        "kind": kind,
        "photo": "a.jpg",
        "seed": seed,
        "change": REDNESS,
        "measured": True,
        "treated": None,
        "before": {"face": {"tone_ita": 20.0}},
        "delta": zones,
    }


def test_what_a_change_moved_by_itself_leaves_the_capture_out() -> None:
    table = evaluation.shipped_table()
    mdc = max(table.for_tone(20.0).get(zone, "pigmentation") for zone in evaluation.ZONE_NAMES)
    # The capture moved pigmentation by 2 MDC; the redness added a tenth of one.
    detection, control = _pair("detection", 2.1 * mdc), _pair("control", 2.0 * mdc)
    zones = len(evaluation.ZONE_NAMES)
    assert evaluation.off_target_rate([detection], table, REDNESS, "pigmentation") == (zones, zones)
    assert evaluation.crosstalk_rate([detection], [control], table, REDNESS, "pigmentation") == (0, zones)
    # A leak of 1.5 MDC is counted on every zone.
    leaking = _pair("detection", 3.5 * mdc)
    assert evaluation.crosstalk_rate([leaking], [control], table, REDNESS, "pigmentation") == (zones, zones)
    # A pair without its control is not judged.
    assert evaluation.crosstalk_rate([leaking], [_pair("control", 0.0, seed=2)], table, REDNESS, "pigmentation") == (
        0,
        0,
    )


def test_the_colour_match_error_skips_pairs_whose_light_was_not_matched() -> None:
    records = [
        {"measured": True, "colour_gain_error": [0.01, -0.02, 0.0]},
        {"measured": True, "colour_gain_error": None},
        {"measured": False},
    ]
    errors = evaluation.colour_match_errors(records)
    assert errors.shape == (1, 3) and errors[0, 1] == -0.02
    assert evaluation.colour_match_errors([]).shape == (0, 3)
