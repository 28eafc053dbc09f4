"""Charts of expected outcomes, measured progress and the model's calibration (PNG or SVG)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from dermadelta.errors import InputError
from dermadelta.outcomes.model import Course, Expectation, Patient, mean_improvement, session_wave
from dermadelta.outcomes.progress import Progress, deepest, expected_curve

FORMATS = (".png", ".svg")
STATUS_COLOURS = {"ahead": "#1b7837", "on_track": "#2166ac", "behind": "#b2182b"}


def _figure(rows: int, cols: int, size: tuple[float, float]) -> Any:
    import matplotlib

    matplotlib.use("Agg")  # files only, never a window
    import matplotlib.pyplot as plt

    return plt.subplots(rows, cols, figsize=size, squeeze=False)


def _save(fig: Any, path: str | Path) -> Path:
    import matplotlib.pyplot as plt

    target = Path(path)
    if target.suffix.lower() not in FORMATS:
        plt.close(fig)
        raise InputError(f"plot file must end in .png or .svg, not {target.name!r}")
    fig.tight_layout()
    # A fixed date in the metadata keeps the files byte-stable between runs.
    metadata = {"Date": None} if target.suffix.lower() == ".svg" else {"Software": "dermadelta"}
    fig.savefig(target, dpi=110, metadata=metadata)
    plt.close(fig)
    return target


def expectation_figure(expectation: Expectation, path: str | Path) -> Path:
    """Redness by day (with downtime and flaking windows) and improvement by month."""
    fig, axes = _figure(1, 2, (11, 4))
    red, improve = axes[0]
    red.plot(expectation.redness_days, expectation.redness, color="#d6604d")
    for window in expectation.windows.flaking:
        red.axvspan(window.first_day, window.last_day + 1, color="#fddbc7", alpha=0.6, lw=0)
    red.axhline(0.2, color="grey", ls=":", lw=1)
    red.set(
        xlabel="days from first session", ylabel="redness (1 = session day)", title="Redness; shaded: expected flaking"
    )
    for item in expectation.concerns:
        band = item.band
        months = band.days / 30.44
        line = improve.plot(months, 100 * band.mean, label=item.concern)[0]
        improve.fill_between(months, 100 * band.low, 100 * band.high, color=line.get_color(), alpha=0.15, lw=0)
    for day in expectation.course.session_days:
        improve.axvline(day / 30.44, color="grey", lw=0.6, ls=":")
    improve.set(
        xlabel="months from first session",
        ylabel="expected improvement (%)",
        title=f"Improvement, mean and {int(100 * expectation.concerns[0].band.coverage)} % band",
    )
    improve.legend(fontsize=8)
    return _save(fig, path)


def progress_figure(
    result: Progress,
    path: str | Path,
    *,
    courses: Mapping[str, Course],
    baselines: Mapping[str, float | None],
    patient: Patient | None = None,
) -> Path:
    """One panel per metric: expected change band, measured changes with their MDC."""
    metrics = sorted({v.metric for v in result.verdicts})
    cols = min(3, len(metrics))
    rows = (len(metrics) + cols - 1) // cols
    fig, axes = _figure(rows, cols, (4.2 * cols, 3.2 * rows))
    horizon = max(max(v.day for v in result.verdicts), deepest(courses).last_day + 60)
    days = np.linspace(0, horizon, 80)
    for index, metric in enumerate(metrics):
        ax = axes[index // cols][index % cols]
        low, high = expected_curve(metric, baselines.get(metric), days, courses=courses, patient=patient)
        ax.fill_between(days, low, high, color="#92c5de", alpha=0.5, lw=0, label="expected")
        ax.axhline(0, color="grey", lw=0.6)
        for verdict in (v for v in result.verdicts if v.metric == metric):
            ax.errorbar(
                verdict.day,
                verdict.measured,
                yerr=verdict.mdc,
                fmt="o",
                color=STATUS_COLOURS[verdict.status],
                capsize=3,
            )
        # A later photo that could not measure the metric leaves no current verdict to show.
        now = result.unmeasured_now
        latest = "not measurable now" if metric in now else result.latest[metric].status.replace("_", " ")
        ax.set(title=f"{metric}: {latest}", xlabel="days from first session", ylabel="change")
    for index in range(len(metrics), rows * cols):
        axes[index // cols][index % cols].axis("off")
    return _save(fig, path)


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
        line = acne.plot(
            days, 100 * mean_improvement("acne_scars_rolling", course, days), label=f"model, {point_id} schedule"
        )[0]
        acne.errorbar(
            day,
            100 * point.target,
            yerr=100 * point.tolerance,
            fmt="s",
            color=line.get_color(),
            capsize=4,
            label=f"{point_id} (published)",
        )
    acne.set(xlabel="days from first session", ylabel="acne scar improvement (%)", title="Acne scar series")
    acne.legend(fontsize=7)

    alam = points["alam_2014"]
    check = CHECK_POINTS[0]
    labels = ["Alam 2014\n6 mo / 3 mo", "2018 study\nday 90 / day 150"]
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
        label="seed: peak 6-8 weeks",
    )
    wave.axvspan(
        full.target - full.tolerance,
        full.target + full.tolerance,
        color="#d9f0d3",
        alpha=0.5,
        label="seed: full results 3-6 months",
    )
    wave.set(xlabel="days after one session", xlim=(0, 240), title="One session")
    wave.legend(fontsize=7)
    return _save(fig, path)
