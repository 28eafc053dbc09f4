"""Charts of expected outcomes, measured progress and the model's calibration (PNG or SVG).

Figures are built with matplotlib's object API (no pyplot state), so pages can draw
them from any thread of the web server.
"""

from __future__ import annotations

import io
import itertools
import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from dermadelta.errors import InputError
from dermadelta.outcomes.model import Course, Expectation, Patient, mean_improvement, recovery_windows, session_wave
from dermadelta.outcomes.progress import (
    METRICS,
    UNCALIBRATED_METRICS,
    Progress,
    deepest,
    expected_curve,
    has_expected_band,
)
from dermadelta.reports.comparison_report import CHANGE_WORDS, METRIC_LABELS, display_scale, display_unit
from dermadelta.reports.progress_words import (
    AUDIENCES,
    CHART_EXPLAINER,
    CHART_TITLE,
    DAYS_AXIS,
    LEGEND_WORDS,
    NO_BAND_WORDS,
    Audience,
    status_words,
)

if TYPE_CHECKING:
    from matplotlib.artist import Artist
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = (".png", ".svg")
DPI = 110
#: Okabe and Ito's colour-blind-safe palette: each status has its colour and its own marker shape.
STATUS_STYLES: dict[str, tuple[str, str]] = {
    "on_track": ("#0072B2", "o"),  # blue, circle
    "ahead": ("#009E73", "D"),  # bluish green, diamond
    "behind": ("#D55E00", "s"),  # vermillion, square
}
#: A patient's measurements are all drawn alike: the words say where they stand, no verdict colour.
PATIENT_STYLE = ("#0072B2", "o")
BAND_COLOUR = "#56B4E9"  # sky blue
REDNESS_COLOUR = "#E69F00"  # orange
UNMEASURED_COLOUR = "#5f5f5f"
#: Okabe and Ito's remaining colours, for one line per concern.
_SERIES_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: The label the expected range carries (tests and readers of an SVG find it by this).
BAND_LABEL = "expected range"


def _new_figure(size: tuple[float, float], *, layout: Literal["constrained"] | None = None) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout=layout)


def _figure(rows: int, cols: int, size: tuple[float, float]) -> Any:
    fig = _new_figure(size)
    return fig, fig.subplots(rows, cols, squeeze=False)


def _save(fig: Figure, path: str | Path) -> Path:
    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        raise InputError(f"plot file must end in .png or .svg, not {target.name!r}")
    if fig.get_layout_engine() is None:
        fig.tight_layout()
    # A fixed date in the metadata keeps the files byte-stable between runs.
    metadata = {"Date": None} if target.suffix.lower() == ".svg" else {"Software": "dermadelta"}
    fig.savefig(target, dpi=DPI, metadata=metadata)
    return target


def expectation_figure(expectation: Expectation, path: str | Path) -> Path:
    """:func:`expectation_chart` saved to ``path`` (.png or .svg)."""
    return _save(expectation_chart(expectation), path)


def expectation_chart(expectation: Expectation) -> Figure:
    """Redness by day (with flaking windows) and improvement by month, each concern by its name."""
    from dermadelta.protocol.rulebook import load_rulebook

    book = load_rulebook()
    fig, axes = _figure(1, 2, (11, 4))
    red, improve = axes[0]
    red.plot(expectation.redness_days, expectation.redness, color=REDNESS_COLOUR)
    for window in expectation.windows.flaking:
        red.axvspan(window.first_day, window.last_day + 1, color=BAND_COLOUR, alpha=0.35, lw=0)
    red.axhline(0.2, color="grey", ls=":", lw=1)
    red.set(
        xlabel="days since the first session",
        ylabel="redness (1 = the day of a session)",
        title="Expected redness (shaded: expected flaking)",
    )
    for item, colour in zip(expectation.concerns, itertools.cycle(_SERIES_COLOURS), strict=False):
        band = item.band
        months = band.days / 30.44
        line = improve.plot(months, 100 * band.mean, color=colour, label=book.concern_label(item.concern))[0]
        improve.fill_between(months, 100 * band.low, 100 * band.high, color=line.get_color(), alpha=0.15, lw=0)
    for day in expectation.course.session_days:
        improve.axvline(day / 30.44, color="grey", lw=0.6, ls=":")
    coverage = int(100 * expectation.concerns[0].band.coverage)
    improve.set(
        xlabel="months since the first session",
        ylabel="expected improvement (%)",
        title=f"Expected improvement\n(line: average; shaded: {coverage} % of patients)",
    )
    improve.legend(fontsize=8)
    return fig


def progress_chart(
    result: Progress,
    *,
    courses: Mapping[str, Course],
    baselines: Mapping[str, float | None],
    patient: Patient | None = None,
    audience: Audience = "clinic",
) -> Figure:
    """One panel per metric: the expected range where the model has one, measured changes with their MDC.

    Parameters
    ----------
    result
        The judged measurements; metrics a comparison could not measure get a panel that says so.
    courses
        The treated response groups and their courses (as :func:`dermadelta.outcomes.progress.progress` took).
    baselines
        Each metric's value before treatment, in the metric's own units (the expected range scales with it).
    audience
        ``"clinic"``: the verdicts as they are. ``"patient"``: encouraging plain words, one neutral colour
        for every measurement and no verdict colours.

    Notes
    -----
    Values are shown in the units of the results table (:func:`display_unit`), scaled as the table scales
    them. Colours come from Okabe and Ito's palette, which stays distinct under every common colour-vision
    deficiency, and every status also has its own marker shape and words in the title.
    """
    if audience not in AUDIENCES:
        raise InputError(f"a chart is for {' or '.join(AUDIENCES)}, not {audience!r}")
    shown = {v.metric for v in result.verdicts} | {u.metric for u in result.unmeasured}
    metrics = [metric for metric in METRICS if metric in shown]
    if not metrics:
        raise InputError("nothing was measured, so there is no progress to chart")
    course = deepest(courses)
    seen = [v.day for v in result.verdicts] + [u.day for u in result.unmeasured]
    horizon = max(max(seen), course.last_day + 60)
    days = np.linspace(0, horizon, 121)
    cols = min(2 if audience == "patient" else 3, len(metrics))  # a patient reads it on a phone
    rows = (len(metrics) + cols - 1) // cols
    fig = _new_figure((4.6 * cols, 3.7 * rows + 1.9), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    drawn: set[str] = set()
    for index, metric in enumerate(metrics):
        panel = _Panel(metric, audience, horizon)
        drawn |= panel.draw(
            axes[index // cols][index % cols], result, days, courses=courses, baselines=baselines, patient=patient
        )
    for index in range(len(metrics), rows * cols):
        axes[index // cols][index % cols].set_axis_off()
    fig.suptitle(CHART_TITLE[audience], fontsize=12, fontweight="bold")
    handles = _legend_handles(audience, drawn)
    legend = fig.legend(
        handles=handles,
        loc="outside lower center",
        ncols=max(1, min(len(handles), 4 if cols == 3 else 2)),
        frameon=False,
        fontsize=8.5,
        title=textwrap.fill(CHART_EXPLAINER[audience], 48 * cols),
        title_fontsize=8.5,
    )
    legend.get_title().set_multialignment("center")
    return fig


def progress_figure(
    result: Progress,
    path: str | Path,
    *,
    courses: Mapping[str, Course],
    baselines: Mapping[str, float | None],
    patient: Patient | None = None,
    audience: Audience = "clinic",
) -> Path:
    """:func:`progress_chart` saved to ``path`` (.png or .svg)."""
    fig = progress_chart(result, courses=courses, baselines=baselines, patient=patient, audience=audience)
    return _save(fig, path)


def progress_png(
    result: Progress,
    *,
    courses: Mapping[str, Course],
    baselines: Mapping[str, float | None],
    patient: Patient | None = None,
    audience: Audience = "clinic",
) -> bytes:
    """:func:`progress_chart` as PNG bytes (for a page)."""
    fig = progress_chart(result, courses=courses, baselines=baselines, patient=patient, audience=audience)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, metadata={"Software": "dermadelta"})
    return buffer.getvalue()


def current_status(metric: str, result: Progress) -> str:
    """Where ``metric`` stands now: its latest verdict, or ``not_measurable`` when a later photo could not say."""
    if metric in result.unmeasured_now or metric not in result.latest:
        return "not_measurable"
    return result.latest[metric].status


def marker_style(status: str, audience: Audience) -> tuple[str, str]:
    """(colour, marker) of a measurement: by status for the clinic, one neutral style for the patient."""
    return PATIENT_STYLE if audience == "patient" else STATUS_STYLES[status]


@dataclass(frozen=True)
class _Panel:
    metric: str
    audience: Audience
    horizon: float

    def draw(
        self,
        ax: Axes,
        result: Progress,
        days: np.ndarray,
        *,
        courses: Mapping[str, Course],
        baselines: Mapping[str, float | None],
        patient: Patient | None,
    ) -> set[str]:
        """Draw the panel; returns what it drew (for the legend)."""
        metric, words = self.metric, NO_BAND_WORDS[self.audience]
        scale = display_scale(metric)
        drawn: set[str] = set()
        statement = ""
        if has_expected_band(metric, list(courses)):
            try:
                low, high = expected_curve(metric, baselines.get(metric), days, courses=courses, patient=patient)
            except InputError:
                statement = words["no_baseline"]
            else:
                ax.fill_between(days, scale * low, scale * high, color=BAND_COLOUR, alpha=0.4, lw=0, label=BAND_LABEL)
                drawn.add("band")
        elif metric == "redness":
            for window in recovery_windows(deepest(courses)).downtime:
                ax.axvspan(window.first_day, window.last_day, color=REDNESS_COLOUR, alpha=0.3, lw=0)
            statement, drawn = words["redness"], drawn | {"redness"}
        elif metric in UNCALIBRATED_METRICS:
            statement = words["uncalibrated"]
        else:
            statement = words["not_treated"]
        ax.axhline(0, color="#8c8c8c", lw=0.8)
        verdicts = [v for v in result.verdicts if v.metric == metric]
        for verdict in verdicts:
            colour, marker = marker_style(verdict.status, self.audience)
            ax.errorbar(
                verdict.day,
                scale * verdict.measured,
                yerr=scale * verdict.mdc,
                fmt=marker,
                color=colour,
                markersize=6,
                capsize=3,
            )
            drawn.add("measured" if self.audience == "patient" else verdict.status)
        missed = [u for u in result.unmeasured if u.metric == metric]
        for item in missed:
            # Along the day axis, not at a change of zero: an unmeasured metric has no value.
            ax.plot(item.day, 0.04, ls="none", marker="x", color=UNMEASURED_COLOUR, transform=ax.get_xaxis_transform())
            drawn.add("unmeasured")
        if not verdicts:
            reason = missed[-1].reason if missed else ""
            statement = f"{words['unmeasured']}: {reason}" if reason else f"{words['unmeasured']}."
            ax.set_yticks([])
        if statement:
            if verdicts or "band" in drawn:
                low_y, high_y = ax.get_ylim()  # headroom, so the words never sit on a point
                ax.set_ylim(low_y, high_y + 0.3 * (high_y - low_y))
            ax.text(
                0.5,
                0.96,
                textwrap.fill(statement, 46),
                transform=ax.transAxes,
                ha="center",
                va="top",
                fontsize=7.5,
                color="#333333",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 2},
            )
        up, down = CHANGE_WORDS[metric]
        status = status_words(current_status(metric, result), self.audience)
        ax.set_title(f"{METRIC_LABELS[metric]}\n{status}", fontsize=10)
        ax.set_xlabel(DAYS_AXIS[self.audience], fontsize=8.5)
        ax.set_ylabel(f"change ({display_unit(metric)})\n\u2191 {up}   \u2193 {down}", fontsize=8)
        ax.set_xlim(-0.03 * self.horizon, 1.03 * self.horizon)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.25, lw=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        return drawn


def _legend_handles(audience: Audience, drawn: set[str]) -> list[Artist]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    words = LEGEND_WORDS[audience]
    handles: list[Artist] = []
    if "band" in drawn:
        handles.append(Patch(color=BAND_COLOUR, alpha=0.4, label=words["band"]))
    if "redness" in drawn:
        handles.append(Patch(color=REDNESS_COLOUR, alpha=0.3, label=words["redness"]))
    if audience == "patient":
        if "measured" in drawn:
            colour, marker = PATIENT_STYLE
            handles.append(Line2D([], [], ls="none", marker=marker, color=colour, label=words["measured"]))
    else:
        for status, (colour, marker) in STATUS_STYLES.items():
            if status in drawn:
                label = f"measured: {status_words(status, audience)}"
                handles.append(Line2D([], [], ls="none", marker=marker, color=colour, label=label))
    if "unmeasured" in drawn:
        handles.append(Line2D([], [], ls="none", marker="x", color=UNMEASURED_COLOUR, label=words["unmeasured"]))
    return handles


def calibration_figure(path: str | Path) -> Path:
    """The fitted model against every published calibration point."""
    from dermadelta.outcomes.calibration import CHECK_POINTS, FIT_POINTS
    from dermadelta.outcomes.model import load_params

    params = load_params()
    fig, axes = _figure(1, 3, (15, 4.2))
    acne, ratio, wave = axes[0]
    days = np.arange(0, 361, dtype=np.float64)
    schedules = {
        "dogra_2014": (Course.regular(5, 30, 1.5), 150),
        "al_chalabi_2020": (Course.regular(4, 42, 1.5), 156),
    }
    points = {p.id: p for p in FIT_POINTS}
    for point_id, (course, day) in schedules.items():
        point = points[point_id]
        study = point.source.split(":")[0]  # "Dogra 2014"
        line = acne.plot(
            days, 100 * mean_improvement("acne_scars_rolling", course, days), label=f"model, {study}'s schedule"
        )[0]
        acne.errorbar(
            day,
            100 * point.target,
            yerr=100 * point.tolerance,
            fmt="s",
            color=line.get_color(),
            capsize=4,
            label=f"{study} (published)",
        )
    acne.set(xlabel="days since the first session", ylabel="acne scar improvement (%)", title="Acne scar series")
    acne.legend(fontsize=7)

    alam = points["alam_2014"]
    check = CHECK_POINTS[0]
    labels = ["Alam 2014\n6 mo / 3 mo", f"{check.source.split(':')[0]}\nday 90 / day 150"]
    ratio.bar([0, 1], [alam.model(params), check.model(params)], color=["#4393c3", "#92c5de"], label="model")
    ratio.errorbar(
        0, alam.target, yerr=alam.tolerance, fmt="s", color="black", capsize=4, label="published ± tolerance"
    )
    ratio.plot([0.6, 1.4], [check.target, check.target], "k--", label="threshold (at least)")
    ratio.set_xticks([0, 1], labels)
    ratio.set(ylabel="ratio", title="Ratios over time")
    ratio.legend(fontsize=7)

    single = session_wave(days, params.kinetics)
    rate = np.gradient(single)
    wave.plot(days, single, label="collagen laid down (fraction)")
    wave.plot(days, rate / rate.max(), label="deposition rate (relative)")
    peak, full = points["seed_collagen_peak"], points["seed_full_results"]
    wave.axvspan(
        peak.target - peak.tolerance,
        peak.target + peak.tolerance,
        color="#fddbc7",
        alpha=0.6,
        label="published: collagen peaks at 6-8 weeks",
    )
    wave.axvspan(
        full.target - full.tolerance,
        full.target + full.tolerance,
        color="#d9f0d3",
        alpha=0.5,
        label="published: full results at 3-6 months",
    )
    wave.set(xlabel="days after one session", xlim=(0, 240), title="One session")
    wave.legend(fontsize=7)
    return _save(fig, path)
