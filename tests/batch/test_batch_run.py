"""``dermadelta batch`` end to end: a real worker on a fresh data folder, the tables it leaves, and resuming."""

from __future__ import annotations

import csv
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from dermadelta.imaging.metrics import METRIC_NAMES
from dermadelta.imaging.zones import ZONE_NAMES

from .conftest import batch_env, manifest_text, run_batch, simulated_photos


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_a_manifest_batch_gives_tidy_tables_refusals_and_a_summary(study, tmp_path, measured_analysis):
    folder = tmp_path / "study"
    shutil.copytree(study, folder)
    (folder / "notes.jpg").write_text("not a photo at all")
    whole = (folder / "subject1_session1.jpg").read_bytes()
    (folder / "cut.jpg").write_bytes(whole[: len(whole) // 2])
    manifest = folder / "manifest.csv"
    manifest.write_text(
        manifest_text([("subject0_session0.jpg", "S0", 0), ("subject0_session1.jpg", "S0", 1)])
        + "subject1_session0.jpg,S1,0,texture,,front\nsubject1_session1.jpg,S1,1,texture,1.0,front\n"
        + "notes.jpg,S2,0,,,front\ncut.jpg,S2,1,,,front\n../outside.jpg,S2,1,,,front\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"

    done = run_batch(str(manifest), "--out", str(out), "--workers", "1", data_dir=tmp_path / "data")

    assert done.returncode == 0, done.stderr
    assert "line 8: ../outside.jpg: '..' in the path would leave the manifest's folder" in done.stderr
    metrics = _read_csv(out / "metrics.csv")
    photos = {row["path"] for row in metrics}
    assert photos == {f"subject{s}_session{n}.jpg" for s in (0, 1) for n in (0, 1)}
    assert len(metrics) == 4 * len(ZONE_NAMES) * len(METRIC_NAMES)
    # The worker's figures are the library's own.
    redness = next(
        r for r in metrics if (r["path"], r["zone"], r["metric"]) == ("subject0_session0.jpg", "face", "redness")
    )
    assert float(redness["value"]) == measured_analysis["zones"]["face"]["redness"]
    assert (redness["subject"], redness["session"], redness["concern"], redness["view"]) == (
        "S0",
        "0",
        "texture",
        "front",
    )
    table = pq.read_table(out / "metrics.parquet")
    assert table.num_rows == len(metrics) and table.column("session").type == "int64"
    refused = {row["path"]: row for row in _read_csv(out / "refused.csv")}
    assert set(refused) == {"notes.jpg", "cut.jpg", "../outside.jpg"}
    assert "not an image" in refused["notes.jpg"]["reason"]
    assert "truncated" in refused["cut.jpg"]["reason"] or "corrupt" in refused["cut.jpg"]["reason"]
    assert refused["../outside.jpg"]["line"] == "8"
    summary = {(r["group_by"], r["group"], r["metric"]): r for r in _read_csv(out / "summary.csv")}
    texture = summary[("concern", "texture", "texture")]
    assert (texture["n"], texture["too_few"]) == ("2", "yes")
    changes = _read_csv(out / "changes.csv")
    assert {r["subject"] for r in changes} == {"S0", "S1"}
    assert "too few subjects (n < 3)" in (out / "summary.md").read_text(encoding="utf-8")
    assert "`S2`: no measured baseline photo" in (out / "summary.md").read_text(encoding="utf-8")

    again = run_batch(str(manifest), "--out", str(out), "--workers", "1", data_dir=tmp_path / "data")
    assert again.returncode == 0 and "all 6 photos already done" in again.stderr
    assert _read_csv(out / "metrics.csv") == metrics


def _task_rows_per_file(data_dir: Path) -> Counter[str]:
    with sqlite3.connect(data_dir / "dermadelta.sqlite3") as db:
        rows = db.execute("SELECT args_kwargs FROM django_tasks_database_dbtaskresult").fetchall()
    return Counter(Path(json.loads(args)["args"][0]).name for (args,) in rows)


def _progress_lines(out: Path) -> list[dict[str, object]]:
    lines = (out / "progress.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def test_a_killed_batch_resumes_without_analysing_done_photos_again(tmp_path):
    folder = tmp_path / "photos"
    simulated_photos(folder, subjects=3)
    out, data = tmp_path / "out", tmp_path / "data"
    command = [sys.executable, "-m", "dermadelta.cli", "batch", str(folder), "--out", str(out), "--workers", "1"]
    first = subprocess.Popen(command, env=batch_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while not (out / "progress.jsonl").exists() or not _progress_lines(out):
        assert first.poll() is None, first.stderr.read() if first.stderr else ""
        assert time.monotonic() < deadline, "no result within 3 minutes"
        time.sleep(0.1)
    first.send_signal(signal.SIGKILL)  # no chance to clean up: the worker it started is left on its own
    first.wait()
    done_before = {line["path"] for line in _progress_lines(out)}
    assert 0 < len(done_before) < 6

    second = run_batch(str(folder), "--out", str(out), "--workers", "1", data_dir=data)

    assert second.returncode == 0, second.stderr
    assert f"{len(done_before)} of 6 photos already done" in second.stderr
    metrics = _read_csv(out / "metrics.csv")
    rows_per_photo = Counter(row["path"] for row in metrics)
    assert sorted(rows_per_photo) == sorted(p.name for p in folder.iterdir())
    assert set(rows_per_photo.values()) == {len(ZONE_NAMES) * len(METRIC_NAMES)}, "every photo exactly once"
    lines_per_photo = Counter(line["path"] for line in _progress_lines(out))
    assert all(lines_per_photo[path] == 1 for path in done_before), "done photos were not recorded again"
    tasks = _task_rows_per_file(data)
    assert all(tasks[path] == 1 for path in done_before), "done photos were not analysed again"
    assert sum(tasks.values()) <= 6 + 1, "at most the photo in flight was analysed twice"
