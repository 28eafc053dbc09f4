"""Comparison: the JSON contract, the verdict rule, the repeatability table, and registration."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dermadelta.errors import DermadeltaError
from dermadelta.imaging import simulate as sim
from dermadelta.imaging.compare import RepeatabilityTable, classify, default_repeatability, parse_repeatability
from dermadelta.imaging.metrics import METRIC_NAMES
from dermadelta.imaging.pipeline import compare
from dermadelta.imaging.zones import ZONE_NAMES


@pytest.fixture(scope="module")
def redder(subject):
    rng = np.random.default_rng(11)
    after = sim.capture(
        sim.add_redness(subject.rgb, subject.skin, delta_a=3.0),
        sim.random_nuisance(rng, inter_ocular_px=subject.inter_ocular_px),
        rng=rng,
    )
    return compare(sim.encode_jpeg(subject.rgb, quality=92), after)


def test_the_json_follows_the_contract(redder):
    data = json.loads(json.dumps(redder.to_dict(), allow_nan=False))
    assert data["schema"] == "dermadelta.compare/1"
    for side in ("before", "after"):
        assert {"path", "quality", "landmarks"} <= set(data[side])
        assert len(data[side]["landmarks"]) == 478
    matrix = np.array(data["alignment"]["after_to_before"])
    assert matrix.shape == (2, 3)
    assert 0 <= data["alignment"]["residual_iod"] < 0.05
    assert set(data["zones"]) == set(ZONE_NAMES)
    for metrics in data["zones"].values():
        assert set(metrics) == set(METRIC_NAMES)
        for change in metrics.values():
            assert {"before", "after", "delta", "mdc", "change"} <= set(change)
            assert change["change"] in {"increased", "decreased", "none", "not_measurable"}
    assert {"dermadelta", "landmark_model", "repeatability"} <= set(data["versions"])


def test_the_alignment_maps_after_landmarks_onto_before_landmarks(redder):
    matrix = redder.after_to_before
    after_points = redder.after.inspected.landmarks.points
    before_points = redder.before.inspected.landmarks.points
    mapped = after_points @ matrix[:, :2].T + matrix[:, 2]
    error = np.median(np.linalg.norm(mapped - before_points, axis=1))
    assert error < 0.02 * redder.before.inspected.landmarks.inter_ocular_px


def test_it_finds_added_redness_everywhere_on_the_face(redder):
    verdicts = {zone: redder.zones[zone]["redness"].change for zone in ZONE_NAMES}
    assert all(v == "increased" for v in verdicts.values()), verdicts
    # More haemoglobin is not more melanin.
    assert redder.zones["face"]["pigmentation"].change == "none"


def test_the_after_photo_is_matched_to_the_before_photos_light(redder):
    gains = redder.after.standardized.colour_gains
    assert all(0.5 < g < 2.0 for g in gains)


def test_a_rejected_photo_gives_an_unmeasured_comparison(subject_jpeg, no_face_jpeg):
    comparison = compare(subject_jpeg, no_face_jpeg)
    assert not comparison.measured
    data = comparison.to_dict()
    assert data["after"]["quality"]["verdict"] == "reject"
    assert data["zones"] == {}
    assert data["alignment"]["after_to_before"] is None


@pytest.mark.parametrize(
    ("delta", "mdc", "verdict"),
    [(0.5, 1.0, "none"), (1.0, 1.0, "none"), (1.01, 1.0, "increased"), (-2.0, 1.0, "decreased")],
)
def test_a_change_counts_only_beyond_the_minimal_detectable_change(delta, mdc, verdict):
    assert classify(delta, mdc) == verdict


def test_the_shipped_repeatability_table_covers_every_zone_and_metric():
    table = default_repeatability()
    for zone in ZONE_NAMES:
        for metric in METRIC_NAMES:
            assert table.get(zone, metric) is not None, (zone, metric)
    assert "make eval" in table.source


@pytest.mark.parametrize(
    "text",
    [
        "not json",
        "[]",
        '{"mdc": {"face": {"redness": -1}}}',
        '{"mdc": {"face": {"redness": "NaN"}}}',
        '{"mdc": {"face": {"redness": 0}}}',
        '{"mdc": {"face": 3}}',
        '{"no_mdc": {}}',
    ],
)
def test_a_malformed_repeatability_table_is_refused(text):
    with pytest.raises(DermadeltaError):
        parse_repeatability(text, source="table.json")


def test_a_metric_without_a_measured_mdc_is_not_judged(subject_jpeg):
    comparison = compare(subject_jpeg, subject_jpeg, repeatability=RepeatabilityTable(mdc={}, source="empty"))
    change = comparison.zones["face"]["redness"]
    assert change.change == "not_measurable"
    assert "repeatability" in change.reason


def test_the_same_photo_twice_shows_no_change(subject_jpeg):
    comparison = compare(subject_jpeg, subject_jpeg)
    changes = [c.change for metrics in comparison.zones.values() for c in metrics.values()]
    assert set(changes) == {"none"}
    assert comparison.residual_iod < 1e-3
