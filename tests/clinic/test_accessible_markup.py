"""What the pages carry for assistive technology, read from the HTML the server sends.

The browser test (axe-core) checks the rendered pages; here are the things it cannot
see reliably or that must hold before any script runs: the skip link and its target,
the slider's value in words, the live region of the viewer, the progress chart's
numbers as a table, heading order, header cells with text, and a label for every control.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.records.course_progress import CourseProgress, course_progress
from dermadelta.clinic.records.models import Comparison, Patient
from dermadelta.outcomes.progress import METRICS, Progress, Unmeasured

#: Controls a person never fills in, so they need no label of their own.
UNLABELLED_TYPES = {"hidden", "submit", "button", "reset"}


class Page(HTMLParser):
    """The parts of a page this test reads: elements with their attributes and text, in document order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[dict[str, Any]] = []
        self._open: list[dict[str, Any]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = {
            "tag": tag,
            "attrs": {k: v or "" for k, v in attrs},
            "text": "",
            "inside": [e["tag"] for e in self._open],
        }
        self.elements.append(element)
        if tag not in {"input", "img", "br", "meta", "link", "hr", "source"}:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self._open) - 1, -1, -1):
            if self._open[index]["tag"] == tag:
                del self._open[index:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element["text"] += data

    def find(self, tag: str, **attrs: str) -> list[dict[str, Any]]:
        return [e for e in self.elements if e["tag"] == tag and all(e["attrs"].get(k) == v for k, v in attrs.items())]


def _page(client: Client, url: str) -> Page:
    response = client.get(url)
    assert response.status_code == 200, url
    return Page(response.content.decode())


@pytest.fixture
def viewed(behind: Comparison) -> Comparison:
    """The finished comparison with its aligned photos and a change map stored, as the worker leaves it."""
    behind.visuals = {
        "files": {"before": "b.jpg", "after": "a.jpg", "heatmap-texture": "t.png", "heatmap-pores": "p.png"},
        "heatmaps": [
            {"metric": "texture", "label": "Texture", "verdict": "rougher", "tone": "worse"},
            {"metric": "pores", "label": "Pores", "verdict": "no detectable change", "tone": "same"},
        ],
    }
    behind.save(update_fields=["visuals"])
    return behind


@pytest.fixture
def pages(as_alice: Client, as_pat: Client, patient: Patient, viewed: Comparison) -> list[tuple[str, Page]]:
    """The main pages of a patient with a plan and a finished comparison: the practitioner's, the patient's,
    and the sign-in page."""
    plan = patient.plans.get()
    urls = [
        reverse("dashboard"),
        reverse("patients"),
        reverse("patient_new"),
        reverse("patient", args=[patient.pk]),
        reverse("patient_edit", args=[patient.pk]),
        reverse("consultation_new", args=[patient.pk]),
        reverse("plan_new", args=[patient.pk]),
        reverse("plan", args=[plan.pk]),
        reverse("session_new", args=[patient.pk]),
        reverse("photo_upload", args=[patient.pk]),
        reverse("photo_capture", args=[patient.pk]),
        reverse("photo", args=[viewed.after.pk]),
        reverse("comparison", args=[viewed.pk]),
        reverse("sources"),
    ]
    found = [(url, _page(as_alice, url)) for url in urls]
    found += [
        (f"patient: {url}", _page(as_pat, url)) for url in (reverse("portal"), reverse("comparison", args=[viewed.pk]))
    ]
    return [*found, ("signed out: login", _page(Client(), reverse("login")))]


def test_every_page_starts_with_a_skip_link_to_its_main_content(pages):
    for url, page in pages:
        first_link = page.find("a")[0]
        assert first_link["attrs"] == {"class": "skip-link", "href": "#main"}, url
        assert first_link["text"] == "Skip to main content"
        targets = [e for e in page.elements if e["attrs"].get("id") == "main"]
        assert [e["tag"] for e in targets] == ["main"], url
        assert targets[0]["attrs"].get("tabindex") == "-1"  # it takes the focus, so the next Tab starts there


def test_headings_go_down_one_level_at_a_time(pages):
    for url, page in pages:
        levels = [int(e["tag"][1]) for e in page.elements if e["tag"] in {"h1", "h2", "h3", "h4", "h5", "h6"}]
        assert levels and levels[0] == 1, url
        jumps = [(a, b) for a, b in zip(levels, levels[1:], strict=False) if b > a + 1]
        assert jumps == [], url


def test_no_table_header_cell_is_empty(pages):
    for url, page in pages:
        empty = [e for e in page.elements if e["tag"] == "th" and not e["text"].strip()]
        assert empty == [], url


def test_every_form_control_has_a_label(pages):
    for url, page in pages:
        labelled = {e["attrs"].get("for") for e in page.find("label")}
        for control in page.elements:
            if control["tag"] not in {"input", "select", "textarea"}:
                continue
            attrs = control["attrs"]
            if attrs.get("type") in UNLABELLED_TYPES:
                continue
            named = attrs.get("id") in labelled or "label" in control["inside"] or "aria-label" in attrs
            assert named, f"{url}: {control['tag']} {attrs}"


def test_the_before_after_slider_says_in_words_how_much_of_each_photo_shows(as_alice, viewed):
    page = _page(as_alice, reverse("comparison", args=[viewed.pk]))

    [slider] = page.find("input", type="range")
    assert slider["attrs"]["value"] == "50"
    assert slider["attrs"]["aria-valuetext"] == "Showing 50 % of the after photo and 50 % of the before photo"
    # The words the viewer's script fills in as the slider moves: the same sentence.
    assert (
        slider["attrs"]["data-valuetext"] == "Showing {after} % of the after photo and {before} % of the before photo"
    )
    assert page.find("label", **{"for": slider["attrs"]["id"]})


def test_a_change_map_says_in_words_what_it_shows(as_alice, viewed):
    """The words the report's maps carry (and a map stored before they existed, by its name)."""
    described = "Change map of texture: the face of the before photo in grey, coloured red where it is rougher."
    viewed.visuals["heatmaps"][0]["alt"] = described
    viewed.save(update_fields=["visuals"])

    page = _page(as_alice, reverse("comparison", args=[viewed.pk]))

    maps = [e["attrs"]["alt"] for e in page.elements if e["tag"] == "img" and "Change map" in e["attrs"].get("alt", "")]
    assert maps == [described, "Change map of pores"]


def test_the_viewer_has_a_polite_live_region_for_the_map_and_zone_pickers(as_alice, viewed):
    page = _page(as_alice, reverse("comparison", args=[viewed.pk]))

    regions = [e for e in page.elements if "data-viewer-announce" in e["attrs"]]
    assert len(regions) == 1 and regions[0]["attrs"]["role"] == "status"  # role status: announced politely
    assert regions[0]["text"] == ""  # nothing said until a picker changes
    pickers = {e["attrs"]["data-picker"]: e["attrs"] for e in page.elements if "data-picker" in e["attrs"]}
    assert pickers["metric"]["data-announce"] == "Change map shown"
    assert pickers["zone"]["data-announce"] == "Zone shown"


def _numbers_table(page: Page) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of the progress chart's numbers table."""
    [box] = [e for e in page.elements if e["attrs"].get("id") == "chart-numbers"]
    start, depth = page.elements.index(box), len(box["inside"])
    inside = []
    for element in page.elements[start + 1 :]:
        if len(element["inside"]) <= depth:
            break
        inside.append(element)
    header = [e["text"].strip() for e in inside if e["tag"] == "th"]
    cells = [" ".join(e["text"].split()) for e in inside if e["tag"] == "td"]
    return header, [cells[i : i + len(header)] for i in range(0, len(cells), len(header))]


def test_the_progress_chart_has_its_numbers_in_a_table_under_it(as_alice, patient, behind):
    page = _page(as_alice, reverse("comparison", args=[behind.pk]))

    [chart] = [e for e in page.find("img") if e["attrs"]["src"] == reverse("progress_chart", args=[patient.pk])]
    assert "numbers are in the table below" in chart["attrs"]["alt"]
    header, rows = _numbers_table(page)
    assert header == [
        "Measure",
        "Days since the first session",
        "Measured change since before treatment",
        "Smallest detectable change (±)",
        "Expected range",
        "Where it stands",
    ]
    by_measure = {row[0].split(" (")[0]: row for row in rows}
    texture = by_measure["Texture"]
    first = course_progress(patient).first_session
    assert first is not None
    # BEHIND_RESULT's delta and MDC, on the after photo's day of the course
    assert texture[1:4] == [str((behind.after.day - first).days), "+1.00", "0.09"]
    low, high = (float(v) for v in texture[4].split(" to "))
    assert low <= high <= 0  # texture is expected to fall: the measured rise is outside the range
    assert texture[5].startswith("Behind what is expected")
    assert by_measure["Redness"][4] == "none"  # no calibrated expected range for redness
    assert (
        by_measure["Brown spots"][0] == "Brown spots (% of skin)" and by_measure["Brown spots"][2] == "-0.10"
    )  # shown as the table shows it


def test_the_patient_reads_the_chart_numbers_in_her_own_words(as_pat, patient, behind):
    page = _page(as_pat, reverse("portal"))

    header, rows = _numbers_table(page)
    assert header[1] == "Days since your first session"
    texture = next(row for row in rows if row[0].startswith("Texture"))
    assert texture[2] == "+1.00"
    assert texture[5].startswith("One to talk over with your practitioner")
    assert not any("behind" in cell.lower() for row in rows for cell in row)


def test_the_numbers_say_what_could_not_be_measured_and_nothing_when_there_is_no_chart():
    nothing = CourseProgress(plan=None, first_session=None, view=None, reason="no plan")
    glare = Unmeasured("texture", 41.0, "glare on the cheeks")
    unmeasured = CourseProgress(plan=None, first_session=None, view=None, progress=Progress((), (glare,)))

    assert nothing.numbers() == []
    [row] = unmeasured.numbers("patient")
    assert (row["label"], row["day"], row["measured"], row["expected"]) == ("Texture (roughness)", 41, "–", "–")
    assert (row["words"], row["reason"]) == ("could not be measured", "glare on the cheeks")


def test_the_rows_follow_the_metric_order_then_the_day(patient, behind):
    course = course_progress(patient)
    rows = course.numbers()

    keys = [(list(METRICS).index(row["metric"]), row["day"]) for row in rows]
    assert keys == sorted(keys)
    assert {row["metric"] for row in rows} == {"texture", "pores", "redness", "spots"}  # one per measured metric
    assert course.first_session is not None
    assert {row["day"] for row in rows} == {(behind.after.day - course.first_session).days}


# --- colours ---------------------------------------------------------------------------------------

APP_CSS = Path(__file__).resolve().parents[2] / "src/dermadelta/clinic/front/static/front/app.css"


def contrast(foreground: str, background: str) -> float:
    """WCAG 2's contrast ratio of two ``#rrggbb`` colours, from 1 to 21."""

    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_contrast_formula_gives_the_published_extremes_and_the_figures_of_the_docs():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#777777") == pytest.approx(1.0)
    assert contrast("#1f7a4d", "#dcefe4") == pytest.approx(4.43, abs=0.01)  # the old green badge: too faint
    assert contrast("#9a6a00", "#f6ecd2") == pytest.approx(4.02, abs=0.01)  # the old amber badge
    assert contrast("#d9dee5", "#ffffff") == pytest.approx(1.35, abs=0.01)  # the old field border
    # The figures docs/ACCESSIBILITY.md gives for the new colours.
    assert contrast("#17663f", "#dcefe4") == pytest.approx(5.82, abs=0.01)
    assert contrast("#7a5200", "#f6ecd2") == pytest.approx(5.88, abs=0.01)
    assert contrast("#767f8c", "#ffffff") == pytest.approx(4.05, abs=0.01)


def test_badges_and_field_borders_meet_the_contrast_minimums():
    css = APP_CSS.read_text(encoding="utf-8")
    colour = dict(re.findall(r"--(\w+): (#[0-9a-f]{6})", css))
    pairs = re.findall(r"\.badge\.(\w+)[^{]*\{ background: (#[0-9a-f]{6}); color: var\(--(\w+)\)", css)
    assert {tone for tone, _, _ in pairs} == {"go", "caution", "defer"}  # the good, warning and bad badges
    for tone, background, ink in pairs:
        assert contrast(colour[ink], background) >= 4.5, tone
        assert contrast(colour[ink], "#ffffff") >= 4.5, tone  # the same colour as text on a card
    assert contrast(colour["ink"], "#e8edf3") >= 4.5  # the plain badge
    assert contrast(colour["field"], "#ffffff") >= 3.0  # a form field's border (WCAG 1.4.11)
    assert contrast(colour["focus"], colour["bg"]) >= 3.0  # the focus ring on the page
