"""Throughput of ``dermadelta batch`` on 12 MP photos with 1 and 2 workers, against analysing in one process.

The same simulated 12 MP photos (each its own capture, so no two files are the
same) are analysed three ways: ``dermadelta.analyze`` in a fresh process (one
model load, no queue), then ``dermadelta batch`` with 1 and with 2 workers, each
on a fresh data folder (migration, worker start-up and polling included: what a
researcher waits for). The queue's overhead per photo is the difference between
the 1-worker batch and the single process, divided by the number of photos. Each
photo's share of the 2-worker batch's time is set against ``cv2.imdecode`` of the
same files, timed in this process on a sample of them.

Run: ``python -m benchmarks.batch_benchmark [--photos 200] [--photo-folder DIR] [--json FILE]`` (prints JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from benchmarks.benchmark import TWELVE_MP

INTER_OCULAR_PX = 760.0  # a phone at arm's length, as in the imaging benchmark
DECODE_SAMPLE = 20
_DIRECT = "import sys, dermadelta\nfor path in sys.argv[1:]:\n    dermadelta.analyze(path)\n"


def twelve_mp_folder(folder: Path, photos: int) -> list[Path]:
    """``photos`` simulated 12 MP JPEGs, each its own capture; files already there are kept (a re-run reuses them)."""
    import cv2

    from dermadelta.imaging import simulate as sim

    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo{number:03d}.jpg" for number in range(photos)]
    if all(path.exists() for path in paths):
        return paths
    canvases = []
    for face in sim.PUBLIC_FACES:
        rgb = sim.make_subject(face, inter_ocular_px=INTER_OCULAR_PX, seed=5).rgb
        rows, cols = rgb.shape[:2]
        top, left = max(0, (TWELVE_MP[0] - rows) // 2), max(0, (TWELVE_MP[1] - cols) // 2)
        bottom, right = max(0, TWELVE_MP[0] - rows - top), max(0, TWELVE_MP[1] - cols - left)
        canvas = cv2.copyMakeBorder(rgb, top, bottom, left, right, cv2.BORDER_REFLECT)
        canvases.append(np.ascontiguousarray(canvas[: TWELVE_MP[0], : TWELVE_MP[1]]))
    rng = np.random.default_rng(1)
    for number, path in enumerate(paths):
        # Drawn for every photo, so a photo's capture does not depend on which files were already there.
        nuisance = sim.random_nuisance(rng, inter_ocular_px=INTER_OCULAR_PX)
        data = sim.capture(canvases[number % len(canvases)], nuisance, rng=rng)
        if not path.exists():
            path.write_bytes(data)
    return paths


def median_imdecode_s(paths: Sequence[Path]) -> float:
    import cv2

    times = []
    for path in paths:
        buffer = np.frombuffer(path.read_bytes(), np.uint8)
        start = time.perf_counter()
        cv2.imdecode(buffer, cv2.IMREAD_COLOR)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _timed(command: Sequence[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def batch_throughput(
    *, photos: int = 200, workers: Sequence[int] = (1, 2), photo_folder: Path | None = None
) -> dict[str, float]:
    """Seconds and photos per second of each way, the 2-worker speed-up, and the queue's overhead per photo."""
    megapixels = TWELVE_MP[0] * TWELVE_MP[1] / 1e6
    figures: dict[str, float] = {"photos": photos, "megapixels": megapixels, "cores": len(os.sched_getaffinity(0))}
    with tempfile.TemporaryDirectory(prefix="dermadelta-batch-bench-") as scratch:
        root = Path(scratch)
        folder = photo_folder or root / "photos"
        paths = twelve_mp_folder(folder, photos)
        if len(list(folder.glob("*.jpg"))) != photos:
            raise SystemExit(f"{folder}: holds other photos than the {photos} asked for; give an empty folder")
        decode_s = median_imdecode_s(paths[:DECODE_SAMPLE])
        figures["imdecode_median_s"] = round(decode_s, 4)
        env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "DERMADELTA_REDIS_URL"}}
        direct = _timed([sys.executable, "-c", _DIRECT, *map(str, paths)], env)
        figures["direct_s"] = round(direct, 2)
        figures["direct_photos_per_s"] = round(photos / direct, 3)
        for count in workers:
            run_env = {**env, "DERMADELTA_DATA_DIR": str(root / f"data{count}")}
            out = root / f"out{count}"
            command = [sys.executable, "-m", "dermadelta.cli", "batch", str(folder), "--out", str(out)]
            seconds = _timed([*command, "--workers", str(count)], run_env)
            figures[f"batch_{count}_workers_s"] = round(seconds, 2)
            figures[f"batch_{count}_workers_photos_per_s"] = round(photos / seconds, 3)
        if 1 in workers:
            figures["queue_overhead_s_per_photo"] = round((figures["batch_1_workers_s"] - direct) / photos, 3)
        if {1, 2} <= set(workers):
            figures["speedup_2_over_1"] = round(figures["batch_1_workers_s"] / figures["batch_2_workers_s"], 3)
        if 2 in workers:
            per_photo = figures["batch_2_workers_s"] / photos
            figures["batch_2_workers_s_per_photo"] = round(per_photo, 3)
            figures["batch_2_workers_per_photo_x_imdecode"] = round(per_photo / decode_s, 2)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.batch_benchmark", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument(
        "--photo-folder",
        type=Path,
        help="make the photos here, or reuse the ones an earlier run made (default: a temporary folder)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    text = json.dumps(batch_throughput(photos=args.photos, photo_folder=args.photo_folder), indent=2)
    if args.json:
        args.json.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
