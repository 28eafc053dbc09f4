"""The course-progress chart a person reads: human titles, the table's units, the expected range, a patient's words."""

from __future__ import annotations

import colorsys
import re
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from matplotlib.text import Text

from dermadelta.errors import InputError
from dermadelta.imaging.compare import MetricChange
from dermadelta.outcomes.model import Course
from dermadelta.outcomes.progress import (
    METRICS,
    Measurement,
    Progress,
    Unmeasured,
    has_expected_band,
    measurements_from_compare,
    progress,
)
from dermadelta.reports.charts_outcomes import (
    BAND_LABEL,
    STATUS_STYLES,
    progress_chart,
    progress_figure,
    progress_png,
)
from dermadelta.reports.comparison_report import METRIC_LABELS, display_unit, zone_rows
from dermadelta.reports.progress_words import NO_BAND_WORDS, STATUS_WORDS

#: Texture, pores and pigmentation treated: texture, pores, pigmentation, spots and unevenness have a range.
COURSES = {
    "texture": Course.regular(3, 28, 1.0),
    "pores": Course.regular(3, 28, 0.5),
    "pigmentation": Course.regular(3, 28, 0.5),
}
BEFORE = {
    "redness": 10.6,
    "pigmentation": 51.4,
    "tone_ita": 30.0,
    "unevenness": 2.0,
    "texture": 5.5,
    "pores": 3.15,
    "wrinkles": 0.4,
    "spots": 0.021,
}
#: A stored ``dermadelta.compare/1`` whole face at day 90, every metric measured.
COMPARE = {
    "zones": {
        "face": {
            metric: {"before": before, "after": before * 0.9, "delta": -before * 0.1, "mdc": before * 0.02}
            | {"change": "decreased"}
            for metric, before in BEFORE.items()
        }
    }
}
CODE_WORD = re.compile(r"\b[a-z]+_[a-z_]+\b")  # snake_case: a code, never a word


def _every_metric(*, day: float = 90) -> list[Measurement]:
    face = COMPARE["zones"]["face"]
    return [Measurement(m, day, face[m]["delta"], face[m]["mdc"], face[m]["before"]) for m in METRICS]


def _chart(result: Progress, *, audience: Any = "clinic", courses: Any = None, baselines: Any = None) -> Figure:
    return progress_chart(
        result, courses=courses or COURSES, baselines=BEFORE if baselines is None else baselines, audience=audience
    )


def _panel(fig: Figure, metric: str) -> Axes:
    found = [ax for ax in fig.axes if ax.get_title().split("\n")[0] == METRIC_LABELS[metric]]
    assert len(found) == 1, f"one panel titled {METRIC_LABELS[metric]!r}"
    return found[0]


def _texts(fig: Figure) -> list[str]:
    return [t.get_text() for t in fig.findobj(Text) if t.get_text().strip()]


def _panel_words(ax: Axes) -> str:
    return " ".join(t.get_text().replace("\n", " ") for t in ax.texts)


def _band(ax: Axes) -> list[Any]:
    return [c for c in ax.collections if c.get_label() == BAND_LABEL]


def _points(ax: Axes) -> list[tuple[float, float, str, Any]]:
    """(day, change, marker, colour) of each measurement drawn (errorbar containers)."""
    points = []
    for container in ax.containers:
        line = container.lines[0]
        for x, y in zip(line.get_xdata(), line.get_ydata(), strict=True):
            points.append((float(x), float(y), line.get_marker(), line.get_color()))
    return points


def _is_red(colour: Any) -> bool:
    r, g, b, alpha = to_rgba(colour)
    hue, saturation, value = colorsys.rgb_to_hsv(r, g, b)
    return alpha > 0 and saturation > 0.5 and value > 0.3 and (hue < 0.08 or hue > 0.92)


def _colours(fig: Figure) -> list[Any]:
    found: list[Any] = []
    for artist in fig.findobj():
        for getter in ("get_color", "get_facecolor", "get_edgecolor", "get_markerfacecolor", "get_markeredgecolor"):
            method = getattr(artist, getter, None)
            if method is None:
                continue
            try:
                value = method()
            except (AttributeError, TypeError):
                continue
            if isinstance(value, str) or (
                hasattr(value, "__len__") and len(value) in (3, 4) and not hasattr(value[0], "__len__")
            ):
                found.append(value)
            elif hasattr(value, "__len__"):
                found.extend(value)
    return found


# --- titles and axes -------------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["clinic", "patient"])
def test_it_titles_and_labels_every_panel_in_words_never_code_names(audience):
    fig = _chart(progress(_every_metric(), courses=COURSES), audience=audience)

    assert [ax.get_title().split("\n")[0] for ax in fig.axes if ax.get_title()] == [METRIC_LABELS[m] for m in METRICS]
    for text in _texts(fig):
        assert not CODE_WORD.search(text), text
        assert "MDC" not in text and "ITA)" not in text.replace("Skin tone (ITA)", "")
    for metric in METRICS:
        ax = _panel(fig, metric)
        assert ax.get_ylabel() != "change" and display_unit(metric) in ax.get_ylabel()
        assert "days since" in ax.get_xlabel()


def test_a_change_reads_with_its_direction_on_the_axis():
    fig = _chart(progress(_every_metric(), courses=COURSES))

    assert "more visible pores" in _panel(fig, "pores").get_ylabel()
    assert "fewer visible pores" in _panel(fig, "pores").get_ylabel()
    assert "darker tone" in _panel(fig, "tone_ita").get_ylabel()


# --- units -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("metric", METRICS)
def test_each_measured_change_is_shown_in_the_units_and_scale_of_the_results_table(metric):
    measurements = measurements_from_compare(COMPARE, day=90)
    fig = _chart(progress(measurements, courses=COURSES))
    face = COMPARE["zones"]["face"][metric]
    table = zone_rows(SimpleNamespace(zones={"face": {metric: MetricChange(**face)}}))[0]["metrics"][0]

    ax = _panel(fig, metric)
    [(day, shown, _, _)] = _points(ax)
    assert day == pytest.approx(90)
    assert f"({table['unit']})" in ax.get_ylabel()
    assert f"{shown:+.2f}" == table["delta"]  # the very figure the table prints


def test_brown_spots_are_a_percentage_of_skin_in_both_chart_and_table():
    fig = _chart(progress(measurements_from_compare(COMPARE, day=90), courses=COURSES))

    ax = _panel(fig, "spots")
    assert "% of skin" in ax.get_ylabel()
    [(_, shown, _, _)] = _points(ax)
    assert shown == pytest.approx(100 * COMPARE["zones"]["face"]["spots"]["delta"], rel=1e-9)
    low, high = ax.get_ylim()
    assert high - low > 0.1  # drawn in percent; in fractions the whole axis would span a few thousandths


# --- the expected range ----------------------------------------------------------------------------


@pytest.mark.parametrize("audience", ["clinic", "patient"])
def test_every_metric_with_a_calibrated_range_has_it_drawn_and_the_others_say_why_not(audience):
    fig = _chart(progress(_every_metric(), courses=COURSES), audience=audience)
    words = NO_BAND_WORDS[audience]

    calibrated = [m for m in METRICS if has_expected_band(m, list(COURSES))]
    assert calibrated == ["pigmentation", "unevenness", "texture", "pores", "spots"]
    for metric in calibrated:
        [band] = _band(_panel(fig, metric))
        heights = [np.ptp(path.vertices[:, 1]) for path in band.get_paths()]
        assert max(heights) > 0  # a real range, not a line at zero
    assert words["uncalibrated"].replace("\n", " ") in _panel_words(_panel(fig, "tone_ita"))
    assert words["not_treated"] in _panel_words(_panel(fig, "wrinkles"))
    assert words["redness"] in _panel_words(_panel(fig, "redness"))
    for metric in ("tone_ita", "wrinkles", "redness"):
        assert _band(_panel(fig, metric)) == []


def test_the_days_of_expected_redness_are_shaded_after_each_session():
    fig = _chart(progress(_every_metric(), courses=COURSES))

    spans = _panel(fig, "redness").patches
    assert len(spans) == 3  # three sessions, three windows


def test_a_band_follows_the_range_the_verdicts_are_judged_against():
    result = progress([Measurement("texture", 90, -1.0, 0.05, 5.5)], courses=COURSES)
    verdict = result.verdicts[0]
    fig = _chart(result)

    [band] = _band(_panel(fig, "texture"))
    vertices = band.get_paths()[0].vertices
    near = vertices[abs(vertices[:, 0] - 90) < 1.5][:, 1]  # the band's edges on the days around day 90
    assert min(near) == pytest.approx(verdict.expected_low, rel=0.05)
    assert max(near) == pytest.approx(verdict.expected_high, rel=0.05)


def test_a_missing_value_from_before_treatment_says_so_instead_of_a_range():
    result = progress([Measurement("texture", 90, -1.0, 0.05, None)], courses={"pores": COURSES["pores"]})
    fig = _chart(result, courses={"texture": COURSES["texture"]}, baselines={"texture": None})

    ax = _panel(fig, "texture")
    assert _band(ax) == [] and NO_BAND_WORDS["clinic"]["no_baseline"] in _panel_words(ax)


# --- statuses --------------------------------------------------------------------------------------


def _mixed() -> Progress:
    """Texture ahead, pores on track, wrinkles (untreated) behind: worse where no change was expected."""
    return progress(
        [
            Measurement("texture", 90, -5.0, 0.05, 5.5),
            Measurement("pores", 90, -0.0, 0.5, 3.15),
            Measurement("wrinkles", 90, 0.3, 0.02, 0.4),
        ],
        courses=COURSES,
    )


def test_the_clinic_sees_each_status_by_shape_and_words_not_colour_alone():
    result = _mixed()
    assert {v.metric: v.status for v in result.verdicts} == {
        "texture": "ahead",
        "pores": "on_track",
        "wrinkles": "behind",
    }
    fig = _chart(result)

    assert len({marker for _, marker in STATUS_STYLES.values()}) == len(STATUS_STYLES)
    for metric, status in (("texture", "ahead"), ("pores", "on_track"), ("wrinkles", "behind")):
        ax = _panel(fig, metric)
        [(_, _, marker, colour)] = _points(ax)
        assert (colour, marker) == STATUS_STYLES[status]
        assert ax.get_title().split("\n")[1] == STATUS_WORDS["clinic"][status]
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "behind what is expected" in legend and "expected range" in legend


def test_the_patient_version_explains_the_expected_range_with_no_red_and_no_behind():
    fig = _chart(_mixed(), audience="patient")

    text = " ".join(_texts(fig)).lower()
    assert "behind" not in text and "worse" not in text
    assert (
        "within the expected range" in text and "a dot inside the band means your skin is changing as expected" in text
    )
    assert _panel(fig, "wrinkles").get_title().split("\n")[1] == STATUS_WORDS["patient"]["behind"]
    assert not [c for c in _colours(fig) if _is_red(c)]
    markers = {(marker, str(colour)) for ax in fig.axes for _, _, marker, colour in _points(ax)}
    assert len(markers) == 1  # one neutral style: the words say where a patient stands


def test_the_clinic_version_does_use_a_warm_colour_for_behind():
    assert [c for c in _colours(_chart(_mixed())) if _is_red(c)]  # the check above can fail


# --- edge cases ------------------------------------------------------------------------------------


def test_a_course_of_one_session_and_one_photo_is_charted():
    one = {"texture": Course.regular(1, 28, 1.0)}
    result = progress([Measurement("texture", 14, -0.2, 0.05, 5.5)], courses=one)

    fig = _chart(result, courses=one)

    ax = _panel(fig, "texture")
    assert len(_points(ax)) == 1 and len(_band(ax)) == 1
    left, right = ax.get_xlim()
    assert left < 0 and right >= 60  # two months past the only session
    assert progress_png(result, courses=one, baselines=BEFORE).startswith(b"\x89PNG")


def test_a_measurement_on_the_day_of_the_first_session_is_charted():
    result = progress([Measurement("pores", 0, 0.0, 0.3, 3.15)], courses=COURSES)

    assert len(_points(_panel(_chart(result), "pores"))) == 1


def test_a_metric_that_one_photo_could_not_measure_says_so_with_the_reason():
    reason = "the after photo is too soft to compare fine detail"
    result = progress(
        [Measurement("texture", 30, -0.5, 0.05, 5.5), Measurement("pores", 30, -0.1, 0.3, 3.15)],
        courses=COURSES,
        unmeasured=[Unmeasured("texture", 60, reason), Unmeasured("wrinkles", 30, reason)],
    )

    fig = _chart(result)

    texture = _panel(fig, "texture")
    assert texture.get_title().split("\n")[1] == "not measurable"  # the earlier verdict is not the current one
    assert len(_points(texture)) == 1  # the earlier measurement stays on the chart
    assert [line.get_marker() for line in texture.lines if line.get_marker() == "x"] == ["x"]
    wrinkles = _panel(fig, "wrinkles")  # never measured: a panel that says why
    assert _points(wrinkles) == [] and reason in _panel_words(wrinkles).replace("\n", " ")
    legend = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert "could not be measured on that photo" in legend


def test_a_chart_of_one_metric_is_one_panel():
    fig = _chart(progress([Measurement("redness", 2, 3.0, 0.5, 10.6)], courses=COURSES))

    assert len([ax for ax in fig.axes if ax.axison]) == 1


def test_nothing_measured_and_an_unknown_audience_are_clear_errors(tmp_path):
    with pytest.raises(InputError, match="nothing was measured"):
        _chart(Progress(()))
    with pytest.raises(InputError, match="clinic or patient"):
        _chart(_mixed(), audience="public")
    with pytest.raises(InputError, match=r"\.png or \.svg"):
        progress_figure(_mixed(), tmp_path / "chart.pdf", courses=COURSES, baselines=BEFORE)
    assert not (tmp_path / "chart.pdf").exists()


def test_it_writes_png_and_svg(tmp_path):
    for name in ("chart.png", "chart.svg"):
        path = progress_figure(_mixed(), tmp_path / name, courses=COURSES, baselines=BEFORE, audience="patient")
        assert path.stat().st_size > 1000


def test_the_expectation_chart_names_each_concern_in_words():
    from dermadelta.outcomes.model import expect
    from dermadelta.protocol.rulebook import load_rulebook
    from dermadelta.reports.charts_outcomes import expectation_chart

    fig = expectation_chart(expect({"acne_scars_rolling": Course.regular(4, 28, 1.5), "texture": COURSES["texture"]}))

    book = load_rulebook()
    legend = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert legend == [book.concern_label("acne_scars_rolling"), book.concern_label("texture")]
    for text in _texts(fig):
        assert not CODE_WORD.search(text), text
