"""The files a finished batch leaves in its output folder.

- ``metrics.csv`` (and ``metrics.parquet``): one row per photo, zone and metric;
- ``refused.csv``: every photo or manifest row not measured, with its reason;
- ``changes.csv``: per subject and metric, baseline, last session and change;
- ``summary.csv`` and ``summary.md``: those changes by concern, depth band and sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dermadelta.batch.photos import PhotoEntry, RowProblem
from dermadelta.batch.progress import PhotoResult
from dermadelta.batch.summary import MIN_GROUP_SIZE, SUMMARY_ZONE, GroupSummary, Outcomes, outcomes
from dermadelta.batch.tidy import (
    METRIC_COLUMNS,
    REFUSED_COLUMNS,
    Row,
    metric_rows,
    problem_row,
    refused_row,
    write_csv,
    write_parquet,
)
from dermadelta.imaging.metrics import METRICS

FORMATS = ("csv", "parquet")
CHANGE_COLUMNS = (
    "subject",
    "concern",
    "depth_band",
    "sessions",
    "metric",
    "unit",
    "baseline",
    "last",
    "change",
    "views",
)
SUMMARY_COLUMNS = ("group_by", "group", "metric", "unit", "n", "median_change", "q1", "q3", "iqr", "too_few")
_GROUP_TITLES = {"concern": "By concern", "depth_band": "By needle depth band", "sessions": "By number of sessions"}


@dataclass(frozen=True)
class Tally:
    measured: int
    refused: int  # photos and manifest rows
    failed: int  # analyses that failed in the worker (counted in refused too); a rerun tries them again


def write_outputs(
    out: Path,
    finished: Sequence[tuple[PhotoEntry, PhotoResult]],
    problems: Sequence[RowProblem],
    *,
    formats: Sequence[str],
) -> tuple[list[Path], Tally]:
    """Write every output file from the batch's finished photos; returns the files and the tally."""
    metrics: list[Row] = []
    refused: list[Row] = [problem_row(problem) for problem in problems]
    for entry, result in finished:
        if result.status == "measured":
            metrics.extend(metric_rows(entry, result))
        else:
            refused.append(refused_row(entry, result))
    written = []
    if "csv" in formats:
        written.append(write_csv(out / "metrics.csv", METRIC_COLUMNS, metrics))
    if "parquet" in formats:
        written.append(write_parquet(out / "metrics.parquet", METRIC_COLUMNS, metrics))
    written.append(write_csv(out / "refused.csv", REFUSED_COLUMNS, refused))
    found = outcomes(metrics, [entry for entry, _ in finished])
    written.append(write_csv(out / "changes.csv", CHANGE_COLUMNS, _change_rows(found)))
    written.append(write_csv(out / "summary.csv", SUMMARY_COLUMNS, _summary_rows(found.groups)))
    summary_md = out / "summary.md"
    summary_md.write_text(
        summary_markdown(found, has_subjects=any(entry.subject for entry, _ in finished)), encoding="utf-8"
    )
    written.append(summary_md)
    statuses = [result.status for _, result in finished]
    return written, Tally(statuses.count("measured"), len(refused), statuses.count("error"))


def _change_rows(found: Outcomes) -> list[Row]:
    return [
        {
            "subject": c.subject,
            "concern": c.concern,
            "depth_band": c.depth_band,
            "sessions": c.sessions,
            "metric": c.metric,
            "unit": METRICS[c.metric].unit,
            "baseline": c.baseline,
            "last": c.last,
            "change": c.change,
            "views": c.views,
        }
        for c in found.changes
    ]


def _summary_rows(groups: Sequence[GroupSummary]) -> list[Row]:
    return [
        {
            "group_by": g.group_by,
            "group": g.group,
            "metric": g.metric,
            "unit": METRICS[g.metric].unit,
            "n": g.n,
            "median_change": g.median_change,
            "q1": g.q1,
            "q3": g.q3,
            "iqr": g.iqr,
            "too_few": "yes" if g.too_few else "no",
        }
        for g in groups
    ]


def summary_markdown(found: Outcomes, *, has_subjects: bool) -> str:
    """``summary.md``: the tables, with what each figure is and which groups are too small to read."""
    lines = [
        "# Outcome summary",
        "",
        "What the figures are:",
        "",
        f"- **Change**: per subject and metric, on the whole face (zone `{SUMMARY_ZONE}`), the value at the "
        "subject's last measured session minus the value at the baseline (session 0, before treatment). "
        "Several photos of one subject, session and view count as their median; a subject with several "
        "views gets the median of its per-view changes, so each subject counts once.",
        "- **Direction**: every metric grows with its concern (more redness, more pigment, rougher texture), "
        "so a negative change is an improvement; except `tone_ita`, which grows as skin gets lighter.",
        "- **n**: subjects in the group. **Median** and **IQR** (Q1 to Q3, the 25th and 75th percentiles, "
        "linear interpolation) of their changes.",
        f"- Groups of fewer than {MIN_GROUP_SIZE} subjects are too small to say anything: they are listed "
        "with n only (their figures stay in `summary.csv`, marked `too_few`).",
        "- **Depth band**: the protocol's band of the median needle depth of the subject's treatment "
        "sessions. **Sessions**: the subject's last measured session number.",
        "- Photos the quality gate rejected are not measured (see `refused.csv`); photos with a quality "
        "warning are measured and counted (the `quality` column of `metrics.csv` tells them apart).",
        "",
    ]
    if not has_subjects:
        lines += ["No `subject` and `session` columns: nothing to summarise. Give a CSV manifest with them.", ""]
        return "\n".join(lines)
    subjects = len({c.subject for c in found.changes})
    lines += [f"Subjects with a change: {subjects}. Subjects left out: {len(found.excluded)}.", ""]
    for subject, reason in sorted(found.excluded.items()):
        lines.append(f"- `{subject}`: {reason}")
    if found.excluded:
        lines.append("")
    for group_by, title in _GROUP_TITLES.items():
        lines += [f"## {title}", "", f"| {group_by} | metric | unit | n | median change | IQR (Q1 to Q3) |"]
        lines.append("|---|---|---|---:|---:|---|")
        for g in (g for g in found.groups if g.group_by == group_by):
            unit = METRICS[g.metric].unit
            if g.too_few:
                figures = f"too few subjects (n < {MIN_GROUP_SIZE}) | —"
            else:
                figures = f"{g.median_change:+.4g} | {g.iqr:.4g} ({g.q1:+.4g} to {g.q3:+.4g})"
            lines.append(f"| {g.group} | {g.metric} | {unit} | {g.n} | {figures} |")
        if not any(g.group_by == group_by for g in found.groups):
            lines.append("| (no subject with a baseline and a later session) | | | 0 | | |")
        lines.append("")
    return "\n".join(lines)
