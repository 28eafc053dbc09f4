"""Tidy rows from a real analysis, the progress log that makes a batch resumable, and the Parquet file."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.parquet as pq

from dermadelta.batch.photos import PhotoEntry
from dermadelta.batch.progress import PhotoResult, ProgressLog
from dermadelta.batch.tidy import METRIC_COLUMNS, metric_rows, write_csv, write_parquet
from dermadelta.imaging.metrics import METRIC_NAMES, METRICS
from dermadelta.imaging.zones import ZONE_NAMES

ENTRY = PhotoEntry(path="a/b.jpg", file=Path("b.jpg"), line=2, subject="S1", session=1, depth_mm=1.5, view="front")


def test_a_measured_photo_gives_one_row_per_zone_and_metric_with_its_value_and_unit(measured_analysis):
    rows = metric_rows(ENTRY, PhotoResult("a/b.jpg", "f" * 64, "measured", analysis=measured_analysis))
    assert len(rows) == len(ZONE_NAMES) * len(METRIC_NAMES)
    assert {(r["zone"], r["metric"]) for r in rows} == {(z, m) for z in ZONE_NAMES for m in METRIC_NAMES}
    face_redness = next(r for r in rows if (r["zone"], r["metric"]) == ("face", "redness"))
    assert face_redness["value"] == measured_analysis["zones"]["face"]["redness"]
    assert face_redness["unit"] == METRICS["redness"].unit
    assert (face_redness["subject"], face_redness["session"], face_redness["depth_mm"]) == ("S1", 1, 1.5)
    assert face_redness["quality"] == measured_analysis["quality"]["verdict"]


def test_a_metric_not_measurable_keeps_its_row_with_the_reason(measured_analysis):
    analysis = {**measured_analysis, "zones": {"nose": {"pores": {"value": None, "not_measurable": "too coarse"}}}}
    (row,) = metric_rows(ENTRY, PhotoResult("a/b.jpg", "f" * 64, "measured", analysis=analysis))
    assert (row["value"], row["not_measurable"]) == (None, "too coarse")


def test_a_refused_photo_gives_no_metric_rows(measured_analysis):
    assert metric_rows(ENTRY, PhotoResult("a/b.jpg", "f" * 64, "refused", "no face found", measured_analysis)) == []


def test_csv_and_parquet_keep_missing_values_as_empty_and_null_with_typed_columns(tmp_path, measured_analysis):
    rows = metric_rows(ENTRY, PhotoResult("a/b.jpg", "f" * 64, "measured", analysis=measured_analysis))
    rows[0] = {**rows[0], "value": None, "session": None}
    write_csv(tmp_path / "m.csv", METRIC_COLUMNS, rows)
    write_parquet(tmp_path / "m.parquet", METRIC_COLUMNS, rows)
    with (tmp_path / "m.csv").open(encoding="utf-8") as handle:
        first = next(csv.DictReader(handle))
    assert (first["value"], first["session"]) == ("", "")
    table = pq.read_table(tmp_path / "m.parquet")
    assert table.column_names == list(METRIC_COLUMNS)
    assert str(table.schema.field("value").type) == "double" and str(table.schema.field("session").type) == "int64"
    assert table.column("value")[0].as_py() is None and table.column("value")[1].as_py() == rows[1]["value"]


def test_the_progress_log_reads_back_what_was_appended_and_ignores_a_line_cut_short(tmp_path):
    path = tmp_path / "progress.jsonl"
    with ProgressLog(path) as log:
        log.append(PhotoResult("a.jpg", "1" * 64, "measured", analysis={"zones": {}}))
        log.append(PhotoResult("b.jpg", "2" * 64, "error", "worker died"))
    with path.open("a", encoding="utf-8") as handle:
        handle.write('{"path": "c.jpg", "sha25')  # a kill in the middle of a write
    with ProgressLog(path) as log:
        assert log.unreadable_lines == 1
        assert log.is_done(("1" * 64, "a.jpg"))
        assert not log.is_done(("2" * 64, "b.jpg")), "a failure in the worker is tried again"
        assert not log.is_done(("1" * 64, "b.jpg")), "the key is the content and the path"
        log.append(PhotoResult("b.jpg", "2" * 64, "refused", "not an image"))
    reread = ProgressLog(path)
    assert reread.unreadable_lines == 1, "the next line started on a line of its own"
    assert reread.is_done(("2" * 64, "b.jpg")) and reread.results[("2" * 64, "b.jpg")].reason == "not an image"
