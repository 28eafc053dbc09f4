"""A small real slice of the measurement evaluation (``make eval`` runs all of it).

It uses random seeds the full evaluation never uses, and judges verdicts with the
repeatability table the product ships, so it is a held-out check of that table.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import binomtest

from dermadelta import evaluation


@pytest.fixture(scope="module")
def results():
    return evaluation.run(replace(evaluation.QUICK, workers=1))


def test_registration_error_is_within_one_percent_of_the_eye_distance(results):
    errors = [r["median_error_iod"] for r in results.registration]
    assert len(errors) == len(evaluation.QUICK.tones) * evaluation.QUICK.registrations
    assert np.median(errors) <= 0.01


def test_every_pair_was_measured(results):
    assert all(r["measured"] for r in results.null_pairs + results.detection)


# A slice holds a few hundred verdicts, so a rate is judged by a one-sided binomial
# test against the target (docs/MEASUREMENT.md has the full evaluation's rates):
# the test fails when the slice shows, at the 1 % level, that the target is missed.
SIGNIFICANCE = 0.01


def test_an_unchanged_face_rarely_shows_a_change(results):
    changed, total = evaluation.false_change_rate(results.null_pairs, evaluation.shipped_table())
    assert total > 200
    assert binomtest(changed, total, 0.05, alternative="greater").pvalue > SIGNIFICANCE, (changed, total)


@pytest.mark.parametrize("change", list(evaluation.CHANGES))
def test_true_changes_are_found_with_the_right_sign(results, change):
    found, total = evaluation.detection_rate(results.detection, evaluation.shipped_table(), change)
    assert total > 0
    assert binomtest(found, total, 0.95, alternative="less").pvalue > SIGNIFICANCE, (found, total)


def test_the_report_renders_from_the_slice(results):
    stats = evaluation.repeatability(results.null_pairs)
    text = evaluation.markdown(results, stats, evaluation.shipped_table(), command="test")
    assert "## Registration" in text and "## Detection of true changes" in text
