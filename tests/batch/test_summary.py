"""Outcome statistics on a hand-made study whose answers are known."""

from __future__ import annotations

from pathlib import Path

import pytest

from dermadelta.batch.outputs import summary_markdown
from dermadelta.batch.photos import PhotoEntry
from dermadelta.batch.summary import outcomes


def _row(subject: str, session: int, value: float, *, view: str = "front", zone: str = "face") -> dict[str, object]:
    return {"subject": subject, "session": session, "view": view, "zone": zone, "metric": "redness", "value": value}


def _entry(subject: str, session: int, concern: str, depth_mm: float | None) -> PhotoEntry:
    return PhotoEntry(
        path=f"{subject}{session}", file=Path("x"), subject=subject, session=session, concern=concern, depth_mm=depth_mm
    )


@pytest.fixture
def study() -> tuple[list[dict[str, object]], list[PhotoEntry]]:
    """Acne subjects A, B, C change redness by -1, -2, -6; wrinkles subject D by +1; E has no baseline."""
    rows = [
        _row("A", 0, 10),
        _row("A", 2, 9),
        _row("B", 0, 10),
        _row("B", 1, 9.5),
        _row("B", 3, 8),  # the last session counts, not the first
        _row("C", 0, 10),
        _row("C", 0, 12),
        _row("C", 3, 5),  # two baseline photos: their median, 11
        _row("C", 0, 20, zone="nose"),  # only the whole face is summarised
        _row("D", 0, 5, view="front"),
        _row("D", 1, 5, view="front"),
        _row("D", 0, 5, view="left"),
        _row("D", 1, 7, view="left"),  # views: median of 0 and +2
        _row("E", 1, 3),
    ]
    entries = [
        _entry("A", 0, "acne", None),
        _entry("A", 2, "acne", 0.5),
        _entry("B", 0, "acne", None),
        _entry("B", 1, "acne", 1.0),
        _entry("B", 3, "acne", 2.0),
        _entry("C", 0, "acne", None),
        _entry("C", 3, "acne", 1.5),
        _entry("D", 0, "wrinkles", None),
        _entry("D", 1, "wrinkles", 0.25),
        _entry("E", 1, "acne", 1.0),
    ]
    return rows, entries


def test_each_subject_changes_from_its_baseline_to_its_last_session(study):
    found = outcomes(*study)
    change = {c.subject: (c.change, c.sessions, c.views) for c in found.changes}
    assert change == {"A": (-1, 2, 1), "B": (-2, 3, 1), "C": (-6, 3, 1), "D": (1, 1, 2)}
    assert found.excluded == {"E": "no measured baseline photo (session 0)"}


def test_groups_give_n_median_and_quartiles_and_flag_groups_under_three(study):
    found = outcomes(*study)
    by = {(g.group_by, g.group): g for g in found.groups}
    acne = by[("concern", "acne")]
    # -6, -2, -1: median -2, quartiles by linear interpolation -4 and -1.5
    assert (acne.n, acne.median_change, acne.q1, acne.q3, acne.iqr, acne.too_few) == (3, -2, -4, -1.5, 2.5, False)
    assert by[("concern", "wrinkles")].too_few
    # Depth: the median depth of treatment sessions (B: 1.0 and 2.0 -> 1.5, deep band).
    assert {g for gb, g in by if gb == "depth_band"} == {"superficial (0-0.5 mm)", "deep (1-1.5 mm)"}
    assert by[("depth_band", "deep (1-1.5 mm)")].n == 2
    assert [g for gb, g in by if gb == "sessions"] == ["1", "2", "3"]
    assert by[("sessions", "3")].median_change == -4


def test_the_markdown_says_what_the_figures_are_and_withholds_small_groups(study):
    text = summary_markdown(outcomes(*study), has_subjects=True)
    assert "last measured session minus the value at the baseline" in text
    assert "| acne | redness | haemoglobin index | 3 | -2 | 2.5 (-4 to -1.5) |" in text
    assert "| wrinkles | redness | haemoglobin index | 1 | too few subjects (n < 3) | — |" in text
    assert "`E`: no measured baseline photo" in text


def test_without_subjects_the_summary_says_there_is_nothing_to_summarise():
    text = summary_markdown(outcomes([], []), has_subjects=False)
    assert "nothing to summarise" in text
