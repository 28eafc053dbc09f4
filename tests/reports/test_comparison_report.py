from __future__ import annotations

import base64
import io
import re
import zlib
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from dermadelta.errors import InputError
from dermadelta.imaging.compare import MDC_CONFIDENCE_PERCENT, MetricChange
from dermadelta.imaging.metrics import METRICS
from dermadelta.imaging.pipeline import Analysis, Comparison
from dermadelta.imaging.zones import ZONE_NAMES
from dermadelta.reports.comparison_report import (
    CHANGE_WORDS,
    DETECTABLE_CHANGE_MEANING,
    METRIC_LABELS,
    ZONE_LABELS,
    capture_words,
    refusal_reasons,
    render_comparison_html,
    verdict_words,
    was_mirrored,
    write_comparison_report,
)

HOSTILE = "<script>alert(1)</script>.jpg"
NOTICE = "SIMULATED: redness added to the patient's left half of the face"


class Page(HTMLParser):
    """The parts of a report the tests look at: tags with attributes, and table rows as text."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def with_source(analysis: Analysis, source: str, *, taken: str | None = None) -> Analysis:
    decoded = analysis.inspected.decoded
    metadata = {**decoded.metadata, **({"datetime": taken} if taken else {})}
    return replace(
        analysis, inspected=replace(analysis.inspected, decoded=replace(decoded, source=source, metadata=metadata))
    )


@pytest.fixture(scope="module")
def report(redder_comparison: Comparison) -> str:
    comparison = replace(
        redder_comparison,
        before=with_source(redder_comparison.before, "visit-1/before.jpg", taken="2026:03:01 10:15:00"),
        after=with_source(redder_comparison.after, "visit-4/after.jpg", taken="2026:06:01 10:20:00"),
    )
    return render_comparison_html(comparison, notice=NOTICE)


@pytest.fixture(scope="module")
def page(report: str) -> Page:
    return Page(report)


def zone_rows(page: Page, zone: str) -> dict[str, list[str]]:
    """The table rows of one zone, by measure label."""
    start = next(i for i, row in enumerate(page.rows) if row == [ZONE_LABELS[zone].capitalize()])
    rows: dict[str, list[str]] = {}
    for row in page.rows[start + 1 :]:
        if len(row) != 7:  # the next zone's heading, or the end of the table
            break
        rows[row[0]] = row
    return rows


def test_it_inlines_every_image(page: Page) -> None:
    images = page.all("img")
    # Two aligned photos, the same two in the slider, and a map and a colour bar per metric.
    assert len(images) == 4 + 2 * len(METRICS)
    for attrs in images:
        src = attrs["src"] or ""
        match = re.fullmatch(r"data:image/(jpeg|png);base64,([A-Za-z0-9+/=]+)", src)
        assert match, src[:60]
        with Image.open(io.BytesIO(base64.b64decode(match.group(2)))) as image:
            assert image.format == match.group(1).upper()
            assert image.width <= 520


def test_it_never_links_outside_the_file(report: str, page: Page) -> None:
    # Inlined images are base64, whose letters can spell anything: look past them.
    text = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", report)
    assert "http" not in text.lower()
    assert "url(" not in text
    assert "@import" not in report
    assert not page.all("link")
    assert not any(attrs.get("href") for _, attrs in page.tags)
    assert all(attrs.get("src") is None for attrs in page.all("script"))


def test_it_escapes_hostile_file_names(redder_comparison: Comparison) -> None:
    hostile = replace(
        redder_comparison,
        before=with_source(redder_comparison.before, HOSTILE, taken="<b>never</b>"),
        versions={**redder_comparison.versions, "<i>lib</i>": "<img src=x onerror=alert(1)>"},
    )
    html = render_comparison_html(hostile, title="<u>title</u>", notice="<em>notice</em>")
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;.jpg" in html
    for raw in ("<b>never</b>", "<i>lib</i>", "<img src=x", "<u>title</u>", "<em>notice</em>"):
        assert raw not in html
    assert len(Page(html).all("script")) == 1  # only the report's own slider script


def test_it_shows_the_notice_prominently_at_the_top(report: str) -> None:
    notice = re.search(r'<p class="notice"[^>]*>(.*?)</p>', report)
    assert notice and unescape(notice.group(1)) == NOTICE
    assert report.index('class="notice"') < report.index("The two photos, aligned")


def test_the_header_names_the_files_dates_and_the_version(
    page: Page, report: str, redder_comparison: Comparison
) -> None:
    header = {row[0]: row for row in page.rows[:3]}
    assert header["Before"][1:3] == ["visit-1/before.jpg", "2026:03:01 10:15:00"]
    assert header["After"][1:3] == ["visit-4/after.jpg", "2026:06:01 10:20:00"]
    assert f"Measured with dermadelta {redder_comparison.versions['dermadelta']}." in report
    # Library versions are provenance for the JSON, not a table for clinicians.
    assert not any(row[:1] == ["numpy"] for row in page.rows) and "make eval" not in report


def test_the_table_says_in_plain_words_where_redness_changed(page: Page) -> None:
    # Redness was added to the patient's left half of the face only.
    assert zone_rows(page, "left_cheek")["Redness"][-1] == "more redness"
    assert zone_rows(page, "right_cheek")["Redness"][-1] == "no detectable change"
    measures = zone_rows(page, "face")
    assert set(measures) == {"Redness", "Pigmentation", "Skin tone (ITA)", "Uneven tone"} | {
        "Texture (roughness)",
        "Pores",
        "Lines and wrinkles",
        "Brown spots",
    }
    before, after, delta, mdc = (float(v) for v in measures["Redness"][2:6])
    assert delta == pytest.approx(after - before, abs=0.02)
    assert mdc == pytest.approx(0.5)


def test_every_zone_has_a_labelled_row_group(page: Page) -> None:
    for zone in ZONE_LABELS:
        assert len(zone_rows(page, zone)) == len(METRICS)


@pytest.mark.parametrize(
    ("metric", "change", "words"),
    [
        ("redness", "increased", "more redness"),
        ("redness", "decreased", "less redness"),
        ("tone_ita", "increased", "lighter tone"),
        ("tone_ita", "decreased", "darker tone"),
        ("texture", "decreased", "smoother texture"),
        ("spots", "none", "no detectable change"),
    ],
)
def test_verdicts_follow_each_metrics_direction(metric: str, change: str, words: str) -> None:
    assert verdict_words(metric, MetricChange(1.0, 2.0, 1.0, 0.5, change)) == words  # type: ignore[arg-type]


def test_every_zone_and_metric_has_plain_words() -> None:
    assert set(ZONE_LABELS) == set(ZONE_NAMES)
    assert set(METRIC_LABELS) == set(CHANGE_WORDS) == set(METRICS)
    assert all(up != down for up, down in CHANGE_WORDS.values())


def test_a_metric_that_could_not_be_measured_says_why() -> None:
    change = MetricChange(None, None, None, 0.5, "not_measurable", "photo too coarse for 0.2 mm detail")
    assert verdict_words("texture", change) == "not measurable: photo too coarse for 0.2 mm detail"


def test_it_explains_quality_alignment_colour_and_the_detectable_change(
    report: str, redder_comparison: Comparison
) -> None:
    text = unescape(re.sub(r"<[^>]+>", " ", report))
    text = re.sub(r"\s+", " ", text)
    assert redder_comparison.residual_iod is not None
    assert f"{100 * redder_comparison.residual_iod:.2f} % of the distance between the eyes" in text
    assert redder_comparison.after.standardized is not None
    gains = ", ".join(f"{g:.3f}" for g in redder_comparison.after.standardized.colour_gains)
    assert f"multiplied by {gains}" in text
    assert "Before photo : quality ok" in text


def test_it_says_what_the_detectable_change_means_and_what_it_rests_on(report: str) -> None:
    """The reader learns the bound's confidence, that it comes from re-created captures, and
    that real photos at another distance or in another session exceed it."""
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", report)))
    assert DETECTABLE_CHANGE_MEANING in text
    assert f"{MDC_CONFIDENCE_PERCENT} in 100 differ by less" in text and "95" not in DETECTABLE_CHANGE_MEANING
    assert "re-creating, from real photographs" in text and "another distance or in another session" in text
    assert "no detectable change" in text


def test_the_slider_is_keyboard_accessible_and_only_for_screens(page: Page, report: str) -> None:
    sliders = [attrs for attrs in page.all("input") if attrs.get("type") == "range"]
    assert len(sliders) == 1 and sliders[0].get("aria-label")
    # Hidden until the script shows it: without JavaScript the photos stay side by side.
    section = next(attrs for attrs in page.all("section") if attrs.get("id") == "slider-section")
    assert "hidden" in section
    assert re.search(r"@media print\s*{.*?\.interactive\s*{\s*display:\s*none", report, re.S)


def test_it_says_why_when_a_photo_was_rejected(rejected_comparison: Comparison) -> None:
    html = render_comparison_html(rejected_comparison)
    page = Page(html)
    assert "These photos could not be compared" in html
    assert "no face found" in html
    assert not page.all("img")
    assert "Measurements by zone" not in html
    assert not [attrs for attrs in page.all("input")]


def test_the_html_file_is_written_by_suffix(redder_comparison: Comparison, tmp_path: Path) -> None:
    path = write_comparison_report(redder_comparison, tmp_path / "report.html", notice=NOTICE)
    assert path.read_text(encoding="utf-8").startswith("<!doctype html>")
    with pytest.raises(InputError):
        write_comparison_report(redder_comparison, tmp_path / "report.docx")


def pdf_page_count(data: bytes) -> int:
    try:
        import pypdf
    except ImportError:  # count page objects, looking inside compressed object streams too
        chunks = [data]
        for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
            try:
                chunks.append(zlib.decompress(match.group(1)))
            except zlib.error:
                continue
        return sum(len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", chunk)) for chunk in chunks)
    return len(pypdf.PdfReader(io.BytesIO(data)).pages)


def test_the_pdf_is_a_pdf_with_pages(redder_comparison: Comparison, tmp_path: Path) -> None:
    path = write_comparison_report(redder_comparison, tmp_path / "report.pdf", notice=NOTICE)
    data = path.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.rstrip().endswith(b"%%EOF")
    assert pdf_page_count(data) >= 2


def test_a_rejected_comparison_still_prints(rejected_comparison: Comparison, tmp_path: Path) -> None:
    data = write_comparison_report(rejected_comparison, tmp_path / "rejected.pdf").read_bytes()
    assert data.startswith(b"%PDF-") and pdf_page_count(data) == 1


def test_without_repeatability_or_resolution_it_draws_what_it_can_and_says_why(redder_comparison: Comparison) -> None:
    no_bound = "no measured repeatability for this zone and metric"
    zones = {
        zone: {metric: replace(c, mdc=None, change="not_measurable", reason=no_bound) for metric, c in metrics.items()}
        for zone, metrics in redder_comparison.zones.items()
    }
    zones["face"]["texture"] = MetricChange(None, None, None, None, "not_measurable", "photo too coarse for 0.2 mm")
    html = render_comparison_html(replace(redder_comparison, zones=zones))
    maps = [attrs for attrs in Page(html).all("img") if "face" in (attrs.get("class") or "")]
    assert len(maps) == len(METRICS) - 1  # no map of texture: its change is unknown
    assert "not measurable: photo too coarse for 0.2 mm" in html
    assert f"not measurable: {no_bound}" in html
    assert "No change could be judged" in html


SOFTER = "the after photo is too soft to compare fine detail: it resolves 0.6 mm where this needs 0.3 mm"


def test_a_metric_not_measurable_on_the_face_is_named_at_a_glance_with_its_reason(
    redder_comparison: Comparison,
) -> None:
    zones = {zone: dict(metrics) for zone, metrics in redder_comparison.zones.items()}
    for metric in ("texture", "pores"):
        zones["face"][metric] = MetricChange(1.0, 0.5, -0.5, 0.02, "not_measurable", SOFTER)
    html = render_comparison_html(replace(redder_comparison, zones=zones))
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))

    assert f"Texture (roughness), Pores : {SOFTER}" in text
    assert zone_rows(Page(html), "face")["Pores"][-1] == f"not measurable: {SOFTER}"
    assert "smoother texture" not in text.split("Where the skin changed")[0]  # not a finding


def test_it_says_in_words_how_sharp_each_photo_is_and_its_glare() -> None:
    assert capture_words({"effective_resolution_mm": 0.3, "noise": 0.01, "glare_fraction": 0.14}) == [
        "Sharpness: resolves about 0.3 mm on the face",
        "Glare: shine on about 14 % of the face",
    ]
    assert capture_words({"effective_resolution_mm": 0.25, "glare_fraction": 0.001}) == [
        "Sharpness: resolves about 0.25 mm on the face",
        "Glare: almost none on the face",
    ]
    for older in (None, {}, {"verdict": "ok"}, {"effective_resolution_mm": "0.3", "glare_fraction": float("nan")}):
        assert capture_words(older) == []  # type: ignore[arg-type]
    assert capture_words({"effective_resolution_mm": True, "glare_fraction": 3.0}) == []


def test_it_reads_why_a_comparison_measured_nothing_from_any_stored_result() -> None:
    person = "the after photo shows a different person from the before photo"
    assert refusal_reasons({"reason": person, "zones": {}}) == [person]
    rejected = {"after": {"quality": {"verdict": "reject", "reasons": ["no face found", 3]}}}
    assert refusal_reasons(rejected) == ["After photo: no face found"]
    assert refusal_reasons({"before": {"quality": {"verdict": "reject"}}}) == [
        "Before photo: it did not pass the quality check"
    ]
    for older in (None, {}, {"zones": {}}, {"reason": 5, "after": "x"}, {"before": {"quality": {"verdict": "ok"}}}):
        assert refusal_reasons(older) == []  # type: ignore[arg-type]


def test_a_mirrored_after_photo_is_read_only_when_said_so() -> None:
    assert was_mirrored({"alignment": {"mirrored": True}})
    assert not any(was_mirrored(d) for d in (None, {}, {"alignment": {}}, {"alignment": {"mirrored": "yes"}}))  # type: ignore[arg-type]


def test_units_are_in_plain_words() -> None:
    from dermadelta.imaging.metrics import METRIC_NAMES
    from dermadelta.reports.comparison_report import display_unit

    for metric in METRIC_NAMES:
        unit = display_unit(metric)
        assert unit and not any(jargon in unit for jargon in ("log", "CIELAB", "L*", "x 100")), (metric, unit)
