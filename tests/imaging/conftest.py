"""Shared fixtures: simulated subjects are slow to build (about 1.5 s), so once per session."""

from __future__ import annotations

import os

import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")


@pytest.fixture(scope="session")
def subject():
    from dermadelta.imaging import simulate as sim

    return sim.make_subject("grace_hopper", inter_ocular_px=400.0, seed=3)


@pytest.fixture(scope="session")
def subject_jpeg(subject) -> bytes:
    from dermadelta.imaging import simulate as sim

    return sim.encode_jpeg(subject.rgb, quality=92)


@pytest.fixture(scope="session")
def analysis(subject_jpeg):
    from dermadelta.imaging.pipeline import analyze

    return analyze(subject_jpeg)


@pytest.fixture(scope="session")
def no_face_jpeg() -> bytes:
    from dermadelta.imaging import simulate as sim

    rng = np.random.default_rng(0)
    return sim.encode_jpeg(rng.uniform(0.3, 0.7, (400, 500, 3)).astype(np.float32))


FACES = __import__("pathlib").Path(__file__).parents[1] / "data" / "faces"


@pytest.fixture(scope="session")
def faces_dir():
    """The real face photographs (sources and licences in its SOURCES.md)."""
    return FACES


@pytest.fixture(scope="session")
def real_face():
    """A real face (London Set 087, CC BY 4.0) as sRGB float32 and its soft skin mask."""
    from dermadelta.imaging import simulate as sim
    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.landmarks import find_landmarks

    decoded = decode(str(FACES / "london_087_neutral_f31.jpg"))
    landmarks = find_landmarks(decoded)
    return decoded.rgb, sim.skin_mask(decoded.rgb.shape, landmarks.points, landmarks.inter_ocular_px)
