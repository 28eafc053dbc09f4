"""Simulated study photos (public-domain faces with simulated skin and treatment), made once per session."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("GLOG_minloglevel", "2")

#: Large enough for every metric to be measurable (texture needs 0.3 mm a pixel).
INTER_OCULAR_PX = 240.0


def simulated_photos(folder: Path, *, subjects: int, sessions: int = 2) -> list[tuple[str, str, int]]:
    """JPEGs of ``subjects`` faces at sessions 0 .. sessions-1; returns (file name, subject, session).

    The baseline has simulated redness; later sessions have finer texture, each
    photo its own capture nuisance (exposure, white balance, framing, JPEG).
    """
    from dermadelta.imaging import simulate as sim

    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(subjects):
        face = sim.PUBLIC_FACES[number % len(sim.PUBLIC_FACES)]
        subject = sim.make_subject(face, inter_ocular_px=INTER_OCULAR_PX, seed=number)
        rng = np.random.default_rng(number)
        for session in range(sessions):
            if session == 0:
                rgb = sim.add_redness(subject.rgb, subject.skin, delta_a=3.0)
            else:
                rgb = sim.smooth_texture(subject.rgb, subject.skin, inter_ocular_px=INTER_OCULAR_PX, amount=0.5)
            name = f"subject{number}_session{session}.jpg"
            nuisance = sim.random_nuisance(rng, inter_ocular_px=INTER_OCULAR_PX)
            (folder / name).write_bytes(sim.capture(rgb, nuisance, rng=rng))
            made.append((name, f"S{number}", session))
    return made


def manifest_text(photos: list[tuple[str, str, int]], *, concern: str = "texture", depth_mm: float = 1.0) -> str:
    lines = ["path,subject,session,concern,depth_mm,view"]
    for name, subject, session in photos:
        lines.append(f"{name},{subject},{session},{concern},{depth_mm if session else ''},front")
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="session")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2 subjects x (baseline + 1 session): a folder of 4 photos."""
    folder = tmp_path_factory.mktemp("study")
    photos = simulated_photos(folder, subjects=2)
    (folder / "manifest.csv").write_text(manifest_text(photos), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def measured_analysis(study: Path) -> dict[str, object]:
    from dermadelta.imaging.pipeline import analyze

    return analyze(study / "subject0_session0.jpg").to_dict()


def run_batch(*args: str, data_dir: Path, timeout: float = 240) -> subprocess.CompletedProcess[str]:
    """``dermadelta batch`` as a user runs it: its own process, its own data folder."""
    return subprocess.run(
        [sys.executable, "-m", "dermadelta.cli", "batch", *args],
        env=batch_env(data_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def batch_env(data_dir: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DERMADELTA_REDIS_URL"}}
    return {**env, "DERMADELTA_DATA_DIR": str(data_dir), "DJANGO_SETTINGS_MODULE": "dermadelta.clinic.settings"}
