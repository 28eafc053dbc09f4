"""Real comparisons built once per test session.

``redder_comparison``: the same photo with redness (a* + 3) added to the skin of the
patient's left half of the face only (the right of the picture); ``rejected_comparison``:
a before photo without a face.
"""

from __future__ import annotations

import numpy as np
import pytest

from dermadelta.imaging import simulate as sim
from dermadelta.imaging.compare import RepeatabilityTable
from dermadelta.imaging.metrics import METRIC_NAMES
from dermadelta.imaging.pipeline import Comparison, compare
from dermadelta.imaging.zones import ZONE_NAMES

ADDED_REDNESS_A = 3.0


@pytest.fixture(scope="session")
def added_redness_a() -> float:
    return ADDED_REDNESS_A


@pytest.fixture(scope="session")
def repeatability() -> RepeatabilityTable:
    return RepeatabilityTable(mdc={z: dict.fromkeys(METRIC_NAMES, 0.5) for z in ZONE_NAMES}, source="test table")


@pytest.fixture(scope="session")
def subject() -> sim.Subject:
    return sim.make_subject("grace_hopper", inter_ocular_px=400, seed=1)


@pytest.fixture(scope="session")
def redder_comparison(subject: sim.Subject, repeatability: RepeatabilityTable) -> Comparison:
    before = sim.encode_jpeg(subject.rgb)
    cols = np.arange(subject.skin.shape[1], dtype=np.float32)
    midline = float((subject.skin * cols).sum() / subject.skin.sum())
    left_half = subject.skin * (cols > midline)  # the patient's left is the right of the picture
    after = sim.encode_jpeg(sim.add_redness(subject.rgb, left_half, delta_a=ADDED_REDNESS_A))
    return compare(before, after, repeatability=repeatability)


@pytest.fixture(scope="session")
def rejected_comparison(subject: sim.Subject, repeatability: RepeatabilityTable) -> Comparison:
    no_face = sim.encode_jpeg(np.full((600, 600, 3), 0.5, np.float32))
    return compare(no_face, sim.encode_jpeg(subject.rgb), repeatability=repeatability)
