"""Outcomes of a study: how each metric changed per subject, summarised by concern, depth and sessions.

The unit of analysis is the subject, not the photo: per subject and metric, the
change on the whole face (zone ``face``) from the baseline (session 0) to the
subject's last measured session, last minus baseline. Several photos of one
subject, session and view are reduced to their median first, and a subject with
several views gets the median of its per-view changes, so that a subject photographed
three times does not count three times. Groups report n (subjects), the median
change and the interquartile range; fewer than :data:`MIN_GROUP_SIZE` subjects
say nothing about a group, and the tables say so.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from dermadelta.batch.photos import PhotoEntry
from dermadelta.imaging.metrics import METRICS
from dermadelta.protocol.rulebook import load_rulebook

SUMMARY_ZONE = "face"
MIN_GROUP_SIZE = 3
NOT_GIVEN = "(not given)"
MIXED = "(mixed)"
GROUPINGS = ("concern", "depth_band", "sessions")


@dataclass(frozen=True)
class SubjectChange:
    subject: str
    concern: str
    depth_band: str
    sessions: int  # the last measured session, e.g. 3 = after the third treatment session
    metric: str
    baseline: float  # median over views
    last: float  # median over views
    change: float  # median over views of last minus baseline
    views: int  # how many views had both a baseline and a last-session value


@dataclass(frozen=True)
class GroupSummary:
    group_by: str
    group: str
    metric: str
    n: int
    median_change: float
    q1: float
    q3: float

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @property
    def too_few(self) -> bool:
        return self.n < MIN_GROUP_SIZE


@dataclass(frozen=True)
class Outcomes:
    changes: tuple[SubjectChange, ...]
    groups: tuple[GroupSummary, ...]
    excluded: Mapping[str, str]  # subject -> why it has no change


def subject_changes(
    rows: Iterable[Mapping[str, object]], entries: Sequence[PhotoEntry]
) -> tuple[list[SubjectChange], dict[str, str]]:
    """Per subject and metric, the change from baseline to the last session; and the subjects left out, with why.

    ``rows`` are tidy metric rows (:func:`dermadelta.batch.tidy.metric_rows`);
    ``entries`` give each subject's concern and needle depth, including photos
    that were refused.
    """
    # (subject, view, session, metric) -> values of its photos
    values: dict[tuple[str, str, int, str], list[float]] = defaultdict(list)
    for row in rows:
        subject, session, value = row["subject"], row["session"], row["value"]
        if row["zone"] != SUMMARY_ZONE or not subject or session is None or value is None:
            continue
        values[(str(subject), str(row["view"]), int(str(session)), str(row["metric"]))].append(float(str(value)))
    medians = {key: statistics.median(found) for key, found in values.items()}
    sessions_of: dict[str, set[int]] = defaultdict(set)
    for subject, _view, session, _metric in medians:
        sessions_of[subject].add(session)

    attributes = _subject_attributes(entries)
    changes: list[SubjectChange] = []
    excluded: dict[str, str] = {}
    for subject in sorted({e.subject for e in entries if e.subject}):
        measured = sessions_of.get(subject, set())
        if 0 not in measured:
            excluded[subject] = "no measured baseline photo (session 0)"
            continue
        last = max(measured)
        if last == 0:
            excluded[subject] = "no measured photo after the baseline"
            continue
        concern, depth_band = attributes[subject]
        for metric in METRICS:
            pairs = [
                (medians[(subject, view, 0, metric)], medians[(subject, view, last, metric)])
                for view in sorted({v for s, v, _, m in medians if s == subject and m == metric})
                if (subject, view, 0, metric) in medians and (subject, view, last, metric) in medians
            ]
            if not pairs:
                continue  # no view with this metric measured at both sessions
            changes.append(
                SubjectChange(
                    subject=subject,
                    concern=concern,
                    depth_band=depth_band,
                    sessions=last,
                    metric=metric,
                    baseline=statistics.median(before for before, _ in pairs),
                    last=statistics.median(after for _, after in pairs),
                    change=statistics.median(after - before for before, after in pairs),
                    views=len(pairs),
                )
            )
    return changes, excluded


def _subject_attributes(entries: Sequence[PhotoEntry]) -> dict[str, tuple[str, str]]:
    """Each subject's concern and depth band (the median depth of its treatment sessions)."""
    concerns: dict[str, set[str]] = defaultdict(set)
    depths: dict[str, list[float]] = defaultdict(list)
    for entry in entries:
        if entry.concern:
            concerns[entry.subject].add(entry.concern)
        if entry.depth_mm is not None and (entry.session or 0) > 0:
            depths[entry.subject].append(entry.depth_mm)
    result = {}
    for subject in {e.subject for e in entries}:
        found = concerns.get(subject, set())
        concern = next(iter(found)) if len(found) == 1 else (MIXED if found else NOT_GIVEN)
        subject_depths = depths.get(subject)
        band = depth_band_label(statistics.median(subject_depths)) if subject_depths else NOT_GIVEN
        result[subject] = (concern, band)
    return result


def depth_band_label(depth_mm: float) -> str:
    """The protocol's depth band of a needle depth, with its range: ``medium (0.5-1.0 mm)``."""
    rulebook = load_rulebook()
    bands = rulebook.depth_bands
    band = rulebook.depth_band(depth_mm)
    index = bands.index(band)
    low = bands[index - 1].max_mm if index else 0.0
    return f"{band.id} ({low:g}-{band.max_mm:g} mm)"


def summarise(changes: Sequence[SubjectChange]) -> list[GroupSummary]:
    """Median and quartiles of the subjects' changes, per grouping, group and metric."""
    groups: list[GroupSummary] = []
    for group_by in GROUPINGS:
        by_group: dict[tuple[str, str], list[float]] = defaultdict(list)
        for change in changes:
            by_group[(str(getattr(change, group_by)), change.metric)].append(change.change)
        for (group, metric), found in sorted(by_group.items(), key=lambda item: _order(group_by, *item[0])):
            q1, median, q3 = np.percentile(np.asarray(found, dtype=np.float64), [25, 50, 75])
            groups.append(GroupSummary(group_by, group, metric, len(found), float(median), float(q1), float(q3)))
    return groups


def _order(group_by: str, group: str, metric: str) -> tuple[int, str, int]:
    """Sessions in number order, depth bands from shallow to deep, "not given" last; metrics in their usual order."""
    rank = 0
    if group in (NOT_GIVEN, MIXED):
        rank = 1_000_000
    elif group_by == "sessions":
        rank = int(group)
    elif group_by == "depth_band":
        rank = [band.id for band in load_rulebook().depth_bands].index(group.split(" ")[0])
    return (rank, group, list(METRICS).index(metric))


def outcomes(rows: Iterable[Mapping[str, object]], entries: Sequence[PhotoEntry]) -> Outcomes:
    changes, excluded = subject_changes(rows, entries)
    return Outcomes(tuple(changes), tuple(summarise(changes)), excluded)
