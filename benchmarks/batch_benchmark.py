"""Throughput of ``dermadelta batch`` on the job engine, against analysing in one process.

The same simulated photos are analysed three ways: ``dermadelta.analyze`` in a
fresh process (one model load, no queue), then ``dermadelta batch`` with 1 and
with 2 workers, each on a fresh data folder (migration, worker start-up and
polling included: what a researcher waits for). The queue's overhead per photo is
the difference between the 1-worker batch and the single process, divided by the
number of photos.

Run: ``python -m benchmarks.batch_benchmark [--photos 12] [--json FILE]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

INTER_OCULAR_PX = 240.0
_DIRECT = "import sys, dermadelta\nfor path in sys.argv[1:]:\n    dermadelta.analyze(path)\n"


def simulated_folder(folder: Path, photos: int) -> list[Path]:
    """``photos`` JPEGs of simulated subjects (public-domain faces), each its own capture."""
    from dermadelta.imaging import simulate as sim

    folder.mkdir(parents=True, exist_ok=True)
    subjects = [sim.make_subject(face, inter_ocular_px=INTER_OCULAR_PX, seed=1) for face in sim.PUBLIC_FACES]
    rng = np.random.default_rng(1)
    paths = []
    for number in range(photos):
        subject = subjects[number % len(subjects)]
        path = folder / f"photo{number:03d}.jpg"
        path.write_bytes(sim.capture(subject.rgb, sim.random_nuisance(rng, inter_ocular_px=INTER_OCULAR_PX), rng=rng))
        paths.append(path)
    return paths


def _timed(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def batch_throughput(*, photos: int = 12, workers: Sequence[int] = (1, 2)) -> dict[str, float]:
    """Seconds and photos per second of each way, and the queue's overhead per photo (seconds)."""
    figures: dict[str, float] = {"photos": photos}
    with tempfile.TemporaryDirectory(prefix="dermadelta-batch-bench-") as scratch:
        root = Path(scratch)
        paths = simulated_folder(root / "photos", photos)
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DERMADELTA_REDIS_URL"}}
        direct = _timed([sys.executable, "-c", _DIRECT, *map(str, paths)], env)
        figures["direct_s"] = round(direct, 2)
        figures["direct_photos_per_s"] = round(photos / direct, 3)
        for count in workers:
            run_env = {**env, "DERMADELTA_DATA_DIR": str(root / f"data{count}")}
            out = root / f"out{count}"
            command = [sys.executable, "-m", "dermadelta.cli", "batch", str(root / "photos"), "--out", str(out)]
            seconds = _timed([*command, "--workers", str(count)], run_env)
            figures[f"batch_{count}_workers_s"] = round(seconds, 2)
            figures[f"batch_{count}_workers_photos_per_s"] = round(photos / seconds, 3)
        if 1 in workers:
            figures["queue_overhead_s_per_photo"] = round((figures["batch_1_workers_s"] - direct) / photos, 3)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.batch_benchmark", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--photos", type=int, default=12)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    text = json.dumps(batch_throughput(photos=args.photos), indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
