"""The batch's tables in tidy (long) form: one row per photo, zone and metric.

Long form is what statistics tools read directly (pandas, R's tidyverse, DuckDB):
filter by zone or metric, group by the research columns, no reshaping. Metric
names, zones and units are those of :mod:`dermadelta.imaging.metrics`.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from dermadelta.batch.photos import PhotoEntry, RowProblem
from dermadelta.batch.progress import PhotoResult
from dermadelta.imaging.metrics import METRICS

METRIC_COLUMNS = (
    "path",
    "sha256",
    "subject",
    "session",
    "concern",
    "depth_mm",
    "view",
    "quality",
    "zone",
    "metric",
    "value",
    "unit",
    "not_measurable",
)
REFUSED_COLUMNS = ("path", "sha256", "line", "reason")

Row = dict[str, Any]


def metric_rows(entry: PhotoEntry, result: PhotoResult) -> list[Row]:
    """One row per zone and metric of a measured photo (none for a refused one).

    A metric that cannot be measured in a zone keeps its row, with no value and
    the reason in ``not_measurable``, so that a missing value is never silent.
    """
    analysis = result.analysis
    if result.status != "measured" or analysis is None:
        return []
    photo = {
        "path": entry.path,
        "sha256": result.sha256,
        "subject": entry.subject,
        "session": entry.session,
        "concern": entry.concern,
        "depth_mm": entry.depth_mm,
        "view": entry.view,
        "quality": analysis["quality"]["verdict"],
    }
    rows = []
    for zone, metrics in analysis["zones"].items():
        for metric, measured in metrics.items():
            value, reason = (None, measured["not_measurable"]) if isinstance(measured, dict) else (measured, "")
            unit = METRICS[metric].unit if metric in METRICS else ""
            rows.append(
                {**photo, "zone": zone, "metric": metric, "value": value, "unit": unit, "not_measurable": reason}
            )
    return rows


def refused_row(entry: PhotoEntry, result: PhotoResult) -> Row:
    return {"path": entry.path, "sha256": result.sha256, "line": entry.line, "reason": result.reason}


def problem_row(problem: RowProblem) -> Row:
    return {"path": problem.path, "sha256": "", "line": problem.line, "reason": problem.reason}


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> Path:
    """A CSV file (UTF-8, header first); missing values are empty cells."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({key: _cell(row.get(key)) for key in columns})
    return path


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return value


def write_parquet(path: Path, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> Path:
    """A Parquet file with typed columns: whole numbers, decimals and text, missing values as nulls."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(name, pa.type_for_alias(_ARROW_TYPES.get(name, "string"))) for name in columns])
    table = pa.Table.from_pylist([{name: row.get(name) for name in columns} for row in rows], schema=schema)
    pq.write_table(table, path)
    return path


#: Arrow types of the columns that are not text.
_ARROW_TYPES = {"session": "int64", "line": "int64", "depth_mm": "float64", "value": "float64"}
