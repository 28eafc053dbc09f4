"""Speed and memory of the imaging pipeline on a 12 MP photo (``make bench``).

Timings are medians of repeated runs in one process, next to ``cv2.imdecode`` of
the same file measured in the same run, so the ratios hold on a noisy machine.
Peak memory is the peak resident set size of a fresh process that compares one
12 MP pair, next to the same figure for a process that only imports the libraries.

Run: ``python -m benchmarks.benchmark --out docs/PERFORMANCE.md``
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

TWELVE_MP = (4000, 3000)  # rows, cols: a portrait phone photo


def twelve_mp_pair(folder: Path) -> tuple[Path, Path]:
    """A simulated 12 MP before/after pair (IOD about 760 px, as a phone at arm's length)."""
    import cv2

    from dermadelta.imaging import simulate as sim

    subject = sim.make_subject("grace_hopper", inter_ocular_px=760.0, seed=5)
    rng = np.random.default_rng(5)
    paths = []
    for name, rgb in (("before", subject.rgb), ("after", sim.add_redness(subject.rgb, subject.skin, delta_a=3.0))):
        rows, cols = rgb.shape[:2]
        top, left = max(0, (TWELVE_MP[0] - rows) // 2), max(0, (TWELVE_MP[1] - cols) // 2)
        canvas = cv2.copyMakeBorder(
            rgb, top, max(0, TWELVE_MP[0] - rows - top), left, max(0, TWELVE_MP[1] - cols - left), cv2.BORDER_REFLECT
        )[: TWELVE_MP[0], : TWELVE_MP[1]]
        path = folder / f"{name}.jpg"
        nuisance = sim.random_nuisance(rng, inter_ocular_px=subject.inter_ocular_px)
        path.write_bytes(sim.capture(np.ascontiguousarray(canvas), nuisance, rng=rng))
        paths.append(path)
    return paths[0], paths[1]


def median_seconds(function: Callable[[], Any], *, repeats: int) -> float:
    function()  # warm caches and lazy imports
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def stage_timings(before: Path, after: Path, *, repeats: int) -> dict[str, float]:
    import cv2

    from dermadelta.imaging.decode import decode
    from dermadelta.imaging.landmarks import default_detector, find_landmarks
    from dermadelta.imaging.metrics import measure, metric_maps
    from dermadelta.imaging.pipeline import analyze, compare
    from dermadelta.imaging.quality import assess_quality
    from dermadelta.imaging.standardize import standardize
    from dermadelta.imaging.zones import find_zones

    data = before.read_bytes()
    default_detector()
    decoded = decode(data)
    landmarks = find_landmarks(decoded)
    standardized = standardize(decoded, landmarks)
    zones = find_zones(standardized)
    maps = metric_maps(standardized, zones.masks["face"])
    buffer = np.frombuffer(data, np.uint8)
    stages: dict[str, Callable[[], Any]] = {
        "cv2.imdecode (reference)": lambda: cv2.imdecode(buffer, cv2.IMREAD_COLOR),
        "decode": lambda: decode(data),
        "landmarks": lambda: find_landmarks(decoded),
        "quality": lambda: assess_quality(decoded, landmarks),
        "standardize": lambda: standardize(decoded, landmarks),
        "zones": lambda: find_zones(standardized),
        "metric maps": lambda: metric_maps(standardized, zones.masks["face"]),
        "measure (zone statistics)": lambda: measure(standardized, zones, maps=maps),
        "analyze (whole)": lambda: analyze(data),
        "compare (whole)": lambda: compare(before, after),
    }
    return {name: median_seconds(function, repeats=repeats) for name, function in stages.items()}


# VmHWM, not getrusage's ru_maxrss: on Linux a child's ru_maxrss starts from the
# parent's size at fork, which here is the benchmark's own large process.
_PEAK_SCRIPT = """
import json, sys
from dermadelta.imaging import pipeline, landmarks
landmarks.default_detector()
if sys.argv[1] == "compare":
    pipeline.compare(sys.argv[2], sys.argv[3])
with open("/proc/self/status") as status:
    print(json.dumps(next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))))
"""


def peak_rss_mb(*args: str) -> float:
    output = subprocess.run(
        [sys.executable, "-c", _PEAK_SCRIPT, *args], check=True, capture_output=True, text=True
    ).stdout
    return float(json.loads(output.strip().splitlines()[-1])) / 1024  # VmHWM is in KiB


def markdown(timings: dict[str, float], *, repeats: int, peak_compare: float, peak_idle: float) -> str:
    reference = timings["cv2.imdecode (reference)"]
    analyze = timings["analyze (whole)"]
    compare = timings["compare (whole)"]
    lines = [
        "# Performance",
        "",
        f"Produced by `make bench` (`python -m benchmarks.benchmark`) on {platform.machine()} with",
        f"{platform.python_implementation()} {platform.python_version()}; medians of {repeats} runs after a",
        "warm-up, all in one process and one run, so the ratios compare like with like. A simulated 12 MP JPEG",
        "(4000 x 3000, face inter-ocular distance about 760 px).",
        "",
        "| stage | median (ms) | x cv2.imdecode |",
        "|---|---|---|",
    ]
    for name, seconds in timings.items():
        lines.append(f"| {name} | {seconds * 1000:.1f} | {seconds / reference:.2f} |")
    lines += [
        "",
        "| target | measured | met |",
        "|---|---|---|",
        f"| analyze <= 4 x cv2.imdecode | {analyze / reference:.2f} x "
        f"| {'yes' if analyze <= 4 * reference else 'no'} |",
        f"| compare <= 2 analyses + 15 % | {compare / analyze:.2f} analyses | "
        f"{'yes' if compare <= 2.3 * analyze else 'no'} |",
        f"| peak memory, 12 MP pair < 1.5 GB | {peak_compare:.0f} MB resident (a process that only loads the "
        f"libraries and the model: {peak_idle:.0f} MB) | {'yes' if peak_compare < 1536 else 'no'} |",
        "",
        "The machine is shared, so a run's times move with its load; the ratios, taken within one run, move",
        "less, but read them as approximate. `compare` costs more than two",
        "analyses because it also refines the registration on skin detail (ECC), warps the after photo a",
        "second time from the original pixels (one resampling only, so texture is not blurred twice) and",
        "matches its colour to the before photo.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.benchmark", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("docs/PERFORMANCE.md"))
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        before, after = twelve_mp_pair(Path(folder))
        timings = stage_timings(before, after, repeats=args.repeats)
        peak_compare = peak_rss_mb("compare", str(before), str(after))
        peak_idle = peak_rss_mb("idle")
    text = markdown(timings, repeats=args.repeats, peak_compare=peak_compare, peak_idle=peak_idle)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
