"""The scale-out section of ``docs/PERFORMANCE.md`` from the figures ``make bench`` wrote as JSON.

``make bench`` first rewrites the imaging section (``benchmarks.benchmark``), then
measures the application (``benchmarks.loadbench`` on SQLite and on
PostgreSQL, the batch throughput, the API under schemathesis, the photo decoder
under fuzzed files) into
``out/bench/*.json``; this module turns
those files into one section, replacing the section a previous run wrote.

Run: ``python -m benchmarks.benchreport out/bench docs/PERFORMANCE.md``
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

MARKER = "<!-- scale-out section: written by benchmarks.benchreport -->"


def load_table(runs: list[dict[str, Any]]) -> list[str]:
    lines = [
        "| database | page | requests/s | p50 (ms) | p95 (ms) | p99 (ms) | requests | errors |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for load in run["loads"]:
            lines.append(
                f"| {run['database']} | {load['page']} | {load['requests_per_second']:.1f} | {load['p50_ms']:.0f} "
                f"| {load['p95_ms']:.0f} | {load['p99_ms']:.0f} | {load['requests']} | {load['errors']} |"
            )
    return lines


def batch_lines(figures: dict[str, Any]) -> list[str]:
    one, two = figures["batch_1_workers_photos_per_s"], figures["batch_2_workers_photos_per_s"]
    speedup = two / one
    cores = f" on {figures['cores']:.0f} cores" if "cores" in figures else ""
    size = f" {figures['megapixels']:.0f} MP" if "megapixels" in figures else ""
    lines = [
        "## Batch throughput",
        "",
        f"`dermadelta batch` on {figures['photos']:.0f} simulated{size} face photos{cores} (`python -m "
        "benchmarks.batch_benchmark`), each way on a fresh data folder, so migration, worker start-up and "
        "polling are included: what a researcher waits for.",
        "",
        "| way | seconds | photos/s |",
        "|---|---|---|",
        f"| `dermadelta.analyze` in one process (no queue) | {figures['direct_s']:.1f} "
        f"| {figures['direct_photos_per_s']:.3f} |",
        f"| batch, 1 worker | {figures['batch_1_workers_s']:.1f} | {one:.3f} |",
        f"| batch, 2 workers | {figures['batch_2_workers_s']:.1f} | {two:.3f} |",
        "",
        f"Two workers give {speedup:.2f}x one (target >= 1.8x: {'met' if speedup >= 1.8 else 'not met'}). "
        f"The queue costs {figures['queue_overhead_s_per_photo']:.2f} s per photo over calling "
        "`dermadelta.analyze` directly (the 1-worker batch minus the single process, per photo). Both figures "
        "include each batch's fixed start (migrating the database, starting the workers, loading the face "
        "model in each), which weighs less the more photos a batch has. With more than one worker, each "
        "worker's image and matrix libraries use its share of the cores, and the batch process that collects "
        "the results shares them too.",
        "",
    ]
    if "batch_2_workers_per_photo_x_imdecode" in figures:
        ratio = figures["batch_2_workers_per_photo_x_imdecode"]
        lines += [
            f"With 2 workers each photo took {figures['batch_2_workers_s_per_photo']:.2f} s of the batch's time, "
            f"{ratio:.1f}x the time to decode it (`cv2.imdecode`, median "
            f"{figures['imdecode_median_s'] * 1000:.0f} ms on a sample of the same files; target <= 2x: "
            f"{'met' if ratio <= 2 else 'not met'}).",
            "",
        ]
    return lines


def fuzz_lines(figures: dict[str, Any]) -> list[str]:
    failed = figures["failed_operations"]
    verdict = "no server error" if not failed else "server errors on " + ", ".join(f"`{name}`" for name in failed)
    return [
        "## API robustness",
        "",
        f"schemathesis (`python -m tools.api_fuzz`) generated up to {figures['examples_per_operation']} "
        f"requests per operation (seed {figures['seed']}, check `{figures['checks']}`) against the running API, "
        f"signed in with a practitioner's token, for {figures['operations']} operations: {verdict}. "
        f"Its own summary: {figures['summary'].strip('= ')}.",
        "",
    ]


def decode_fuzz_lines(figures: dict[str, Any]) -> list[str]:
    failures = figures["escapes"] + figures["crashes"] + figures["hangs"]
    memory = "within" if figures["within_budget"] else "over"
    return [
        "## Photo decoder robustness",
        "",
        f"`python -m tools.decode_fuzz` tried {figures['inputs']} mutated photos (seed {figures['seed']}; "
        f"{len(figures['seeds'])} small valid files in every accepted format, each changed by bit flips, boundary "
        "bytes, truncation, insertion, splicing, corrupted chunks, tags or segments, or inflated declared "
        f"dimensions) in a child process at the clinic's pixel limit of {figures['max_pixels']}: "
        f"{figures['decoded']} decoded, {figures['refused']} refused with a reason, {figures['escapes']} escapes "
        f"(any other error), {figures['crashes']} crashes and {figures['hangs']} hangs (no answer within "
        f"{figures['timeout_s']:.0f} s) in {figures['seconds']:.0f} s. Peak memory {figures['peak_growth_mb']:.0f} MB "
        f"above the process's own {figures['baseline_rss_mb']:.0f} MB, {memory} the decoder's budget of "
        f"{figures['memory_budget_mb']:.0f} MB at that limit" + (": no failure." if not failures else "."),
        "",
    ]


def upload_lines(figures: dict[str, Any]) -> list[str]:
    accounted = len(figures["saved"]) + len(figures["refused"])
    named = (
        "every one saved or refused by name"
        if accounted == figures["photos"]
        else (f"only {accounted} of them saved or refused by name")
    )
    return [
        "## One upload of large phone photos",
        "",
        f"`python -m benchmarks.uploadbench` posts {figures['photos']} generated "
        f"{figures['width']} x {figures['height']} JPEGs ({figures['request_mb']:.0f} MB in one request) to the upload "
        f"page of `dermadelta serve`, as its upload script does: answered {figures['status']} in "
        f"{figures['seconds']:.1f} s, {len(figures['saved'])} saved and {len(figures['refused'])} refused, {named}. "
        f"The web workers' peak resident memory (VmHWM) was {figures['worker_peak_rss_mb']:.0f} MB after the upload, "
        f"{figures['worker_peak_rss_mb_before']:.0f} MB before it: each file is streamed to disk and only its header "
        "read in the request; the worker decodes it.",
        "",
    ]


def section(folder: Path) -> str:
    runs = [json.loads(path.read_text()) for path in sorted(folder.glob("load-*.json"))]
    lines = [MARKER, "", "## The clinic application under load", ""]
    if runs:
        first = runs[0]
        lines += [
            f"`wrk` on loopback from a second process: one thread, {first['connections']} connections, "
            f"{first['seconds']} s per page, against `dermadelta serve` (gunicorn, two processes) with one "
            "worker running beside it, signed in as the demo practitioner of a freshly seeded demo clinic. "
            "The upload posts one 3.6 MP face JPEG (1693 x 2111, 342 KB) per request; each one's header is checked "
            "in the request, and it is stored and queued for the worker, which decodes and analyses them meanwhile "
            "on the same two cores. "
            "Errors count socket errors and HTTP statuses of 400 and above.",
            "",
            *load_table(runs),
            "",
        ]
    else:
        lines += ["No load figures in this run.", ""]
    batch = folder / "batch.json"
    if batch.exists():
        lines += batch_lines(json.loads(batch.read_text()))
    fuzz = folder / "api-fuzz.json"
    if fuzz.exists():
        lines += fuzz_lines(json.loads(fuzz.read_text()))
    decoder = folder / "decode-fuzz.json"
    if decoder.exists():
        lines += decode_fuzz_lines(json.loads(decoder.read_text()))
    upload = folder / "upload-48mp.json"
    if upload.exists():
        lines += upload_lines(json.loads(upload.read_text()))
    return "\n".join(lines)


def write(folder: Path, document: Path) -> str:
    """Replace the scale-out section of ``document`` (or append it) and return the new section."""
    text = document.read_text(encoding="utf-8") if document.exists() else ""
    kept = text.split(MARKER, 1)[0].rstrip("\n")
    new = section(folder)
    document.write_text(f"{kept}\n\n{new}" if kept else new, encoding="utf-8")
    return new


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.benchreport", description=__doc__)
    parser.add_argument("folder", type=Path, help="the folder of JSON figures")
    parser.add_argument("document", type=Path, help="the Markdown file to update")
    args = parser.parse_args(argv)
    print(write(args.folder, args.document))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
