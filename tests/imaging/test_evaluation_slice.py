"""A small real slice of the measurement evaluation on real faces (``make eval`` runs all of it).

Two held-out people (a light and a dark skin), random seeds the full evaluation
never uses, verdicts judged with the repeatability table the product ships: a
held-out check of that table.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import binomtest

from tools import evaluation


@pytest.fixture(scope="module")
def results(faces_dir):
    return evaluation.run(replace(evaluation.QUICK, workers=1, faces=faces_dir))


def test_the_slice_is_made_of_held_out_people(results):
    assert results.null_pairs
    assert not {r["person"] for r in results.null_pairs} & set(evaluation.FITTING_PEOPLE)


def test_registration_error_is_within_half_a_percent_of_the_eye_distance(results):
    errors = [r["median_error_iod"] for r in results.registration]
    assert len(errors) == len(evaluation.QUICK.photos) * evaluation.QUICK.registrations
    assert np.median(errors) <= 0.005


def test_no_ordinary_photo_is_refused(results):
    assert all(r["measured"] for r in results.null_pairs + results.detection), [
        r["refused"] for r in results.null_pairs + results.detection if not r["measured"]
    ]


# A slice holds a few hundred verdicts, so a rate is judged by a one-sided binomial
# test against the target (docs/MEASUREMENT.md has the full evaluation's rates):
# the test fails when the slice shows, at the 1 % level, that the target is missed.
SIGNIFICANCE = 0.01


def test_an_unchanged_face_rarely_shows_a_change(results):
    changed, total = evaluation.false_change_rate(results.null_pairs, evaluation.shipped_table())
    assert total > 200
    assert binomtest(changed, total, 0.02, alternative="greater").pvalue > SIGNIFICANCE, (changed, total)


# The changes found on at least 98 % of the zones where their metric was measurable, on the
# held-out people of the full evaluation: redness, and new spots (missed only on a photo too
# far for fine detail, which this slice's photos are not). Texture smoothing and a light tan
# are not (docs/MEASUREMENT.md): for them the slice checks the sign and the separation below.
MEETS_DETECTION_TARGET = ("redness +3 a* (more haemoglobin)", "20-30 new brown spots on one cheek")


@pytest.mark.parametrize("change", MEETS_DETECTION_TARGET)
def test_redness_and_new_spots_are_found_with_the_right_sign(results, change):
    found, total = evaluation.detection_rate(results.detection, evaluation.shipped_table(), change)
    assert total > 0
    assert binomtest(found, total, 0.98, alternative="less").pvalue > SIGNIFICANCE, (found, total)


@pytest.mark.parametrize("change", list(evaluation.CHANGES))
def test_no_true_change_is_ever_reported_the_wrong_way(results, change):
    metric, expected, _ = evaluation.CHANGES[change]
    opposite = "decreased" if expected == "increased" else "increased"
    table = evaluation.shipped_table()
    verdicts = [
        evaluation._verdict(record, table.for_tone(record["before"]["face"]["tone_ita"]), zone, metric)
        for record in results.detection
        if record["change"] == change and record["measured"]
        for zone in evaluation.ZONE_NAMES
    ]
    assert verdicts and opposite not in verdicts


@pytest.mark.parametrize(
    ("change", "untouched"),
    [("redness +3 a* (more haemoglobin)", "pigmentation"), ("more melanin (+0.03 density)", "redness")],
)
def test_redness_and_pigmentation_are_kept_apart(results, change, untouched):
    moved, total = evaluation.off_target_rate(results.detection, evaluation.shipped_table(), change, untouched)
    assert total > 0
    assert binomtest(moved, total, 0.05, alternative="greater").pvalue > SIGNIFICANCE, (moved, total)


@pytest.mark.parametrize("variant", evaluation.PIPELINE_VARIANTS)
def test_the_same_photo_through_another_pipeline_rarely_shows_a_fine_change(results, variant):
    changed, total, unmeasured = evaluation.pipeline_check(results.pipeline, evaluation.shipped_table(), variant)
    assert total + unmeasured > 0
    # Not yet none at all (docs/MEASUREMENT.md): judged like any unchanged pair.
    assert binomtest(changed, max(total, 1), 0.02, alternative="greater").pvalue > SIGNIFICANCE, (changed, total)


def test_the_report_renders_from_the_slice(results):
    stats = evaluation.repeatability(results.null_pairs)
    text = evaluation.markdown(results, stats, evaluation.shipped_table(), command="test")
    assert "## Registration" in text and "## Detection of true changes (held-out people)" in text
    assert "held-out" in text


@pytest.mark.parametrize(("change", "metric"), evaluation.KEPT_APART)
def test_redness_and_melanin_do_not_move_each_other(results, change, metric):
    """What the change moved by itself: each pair against the same captures without it."""
    moved, total = evaluation.crosstalk_rate(
        results.detection, results.controls, evaluation.shipped_table(), change, metric
    )
    assert total > 0
    assert binomtest(moved, total, 0.05, alternative="greater").pvalue > SIGNIFICANCE, (moved, total)
