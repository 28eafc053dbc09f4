"""Tagged PDFs: every PDF the reports library writes has a structure tree, a language, a title naming no one,
and alternative text for every image it draws, as a screen reader reads them."""

from __future__ import annotations

import datetime as dt
import logging
import re
from pathlib import Path

import pytest

from dermadelta.imaging.metrics import METRICS
from dermadelta.imaging.pipeline import Comparison
from dermadelta.protocol.care import care_schedule
from dermadelta.protocol.plan import make_plan, parse_targets
from dermadelta.reports.comparison_report import DEFAULT_TITLE, render_comparison_html, write_comparison_report
from dermadelta.reports.handout import handout_html
from dermadelta.reports.pdf import pdf_bytes
from tests.tagged_pdf import TaggedPdf, read_tagged

#: A name no report writes unless it was given it.
NAME = "Zebedee Quillfeather"
#: What an alternative text must never be: a file name, an inlined image, a code.
NOT_WORDS = re.compile(r"data:|base64|\.(jpe?g|png)\b|_|^(before|after|image|photo|map)$", re.IGNORECASE)


def tagged(html: str, caplog: pytest.LogCaptureFixture) -> TaggedPdf:
    """The PDF of ``html``, read back; WeasyPrint logs as errors what PDF/UA lacks (an alt, a language)."""
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        data = pdf_bytes(html)
    assert [r.getMessage()[:120] for r in caplog.records if r.levelno >= logging.ERROR] == []
    return read_tagged(data)


def assert_accessible(pdf: TaggedPdf) -> None:
    assert pdf.tagged and pdf.tags[0] == "Document"
    assert pdf.ua_part == "1"
    assert pdf.lang == "en"
    assert pdf.shows_title and pdf.title and pdf.xmp_title == pdf.title
    assert NAME not in pdf.title and NAME not in pdf.xmp_title
    assert all(alt and alt.strip() and not NOT_WORDS.search(alt) for alt in pdf.figures), pdf.figures
    assert len(pdf.figures) == pdf.images_drawn


@pytest.fixture(scope="module")
def report_html(redder_comparison: Comparison) -> str:
    return render_comparison_html(redder_comparison, title=f"{NAME}: first session to last")


def test_the_report_pdf_is_tagged_with_an_alternative_text_for_each_of_its_images(report_html, caplog) -> None:
    pdf = tagged(report_html, caplog)

    assert_accessible(pdf)
    maps = report_html.count('class="face"')
    assert maps == len(METRICS)  # every measure of the redder face could be mapped
    # The two aligned photos, and each change map with its colour scale; the slider is not printed.
    assert pdf.images_drawn == 2 + 2 * maps == 18
    assert {"H1", "H2", "Table", "TH", "L"} <= set(pdf.tags)


def test_the_report_pdf_title_names_no_one_though_its_heading_does(report_html, caplog) -> None:
    pdf = tagged(report_html, caplog)

    assert pdf.title == DEFAULT_TITLE
    assert f"<h1>{NAME}: first session to last</h1>" in report_html
    assert f"<title>{DEFAULT_TITLE}</title>" in report_html


def test_each_change_map_says_in_words_what_it_shows(report_html, caplog) -> None:
    figures = [alt or "" for alt in tagged(report_html, caplog).figures]

    assert figures[0].startswith("The before photo of the face")
    assert figures[1].startswith("The after photo of the face")
    redness, scale = figures[2], figures[3]
    assert redness.startswith("Change map of redness:")
    assert "red where the after photo shows more redness and blue where it shows less redness" in redness
    assert redness.endswith("Over the whole face: more redness.")
    assert scale.startswith("Colour scale of the map of redness: blue for less redness")
    assert re.search(r"a change of [0-9.]+ or more, in haemoglobin index\.$", scale)
    assert any(f.startswith("Change map of skin tone (ITA):") for f in figures if f)  # a label's capitals stay
    assert len(set(figures)) == len(figures)  # each map and each scale is described on its own


def test_a_report_that_compared_nothing_is_tagged_without_figures(rejected_comparison, caplog) -> None:
    pdf = tagged(render_comparison_html(rejected_comparison, title=NAME), caplog)

    assert_accessible(pdf)
    assert pdf.figures == () and pdf.images_drawn == 0
    assert pdf.title == DEFAULT_TITLE


def test_the_command_line_report_is_tagged_too(redder_comparison, tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.ERROR, logger="weasyprint"):
        written = write_comparison_report(redder_comparison, tmp_path / "report.pdf", title=NAME)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    pdf = read_tagged(written.read_bytes())

    assert_accessible(pdf)
    assert pdf.images_drawn == 18


def test_the_handout_pdf_is_tagged_and_its_title_names_no_one(caplog) -> None:
    plan = make_plan(parse_targets(["acne_scars_rolling:left_cheek"]), start=dt.date(2027, 3, 1))
    html = handout_html(plan, care_schedule(plan), tz="Europe/London", prepared=dt.date(2027, 2, 1), patient=NAME)
    pdf = tagged(html, caplog)

    assert NAME in html  # the handout is for her: the page says so, the document's title does not
    assert_accessible(pdf)
    assert pdf.title == "Your microneedling plan and care guide"
    assert pdf.figures == () and pdf.images_drawn == 0
    assert {"H1", "H2", "H3", "Table", "TR", "L"} <= set(pdf.tags)
