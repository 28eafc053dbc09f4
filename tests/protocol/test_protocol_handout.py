"""The patient handout: plan, timeline and care, as self-contained HTML and as PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from dermadelta.protocol.care import care_schedule
from dermadelta.protocol.plan import make_plan, parse_targets
from dermadelta.protocol.screening import parse_intake, screen
from dermadelta.reports.handout import handout_html
from dermadelta.reports.pdf import write_pdf


def handout(**options) -> str:
    plan = make_plan(parse_targets(["acne_scars_rolling:left_cheek"]), start=dt.date(2027, 3, 1))
    return handout_html(plan, care_schedule(plan), tz="Europe/London", prepared=dt.date(2027, 2, 1), **options)


def test_it_lists_every_session_with_local_time_and_depths() -> None:
    html = handout()
    assert "Mon 01 Mar 2027, 10:00" in html and "Mon 29 Mar 2027, 10:00" in html
    assert "Left cheek 1.5 mm" in html


def test_it_explains_the_timeline_and_every_care_task() -> None:
    html = handout()
    assert "Dryness and flaking: days 3-7" in html
    assert "Do not pick at flaking skin" in html and "Stop retinoids" in html
    assert "<script" not in html and "http" not in html  # self-contained, prints offline


def test_it_escapes_the_clinic_name() -> None:
    assert "&lt;script&gt;" in handout(clinic="<script>alert(1)</script>")


def test_it_shows_the_screening_verdict_when_given() -> None:
    screening = screen(parse_intake({"date": "2027-02-01", "zones": ["left_cheek"], "answers": {"hsv_history": True}}))
    assert "antiviral prophylaxis" in handout(screening=screening)


def test_it_prints_to_pdf(tmp_path: Path) -> None:
    path = write_pdf(handout(), tmp_path / "handout.pdf")
    assert path.read_bytes().startswith(b"%PDF")


def test_it_names_the_patient_and_the_number_to_call() -> None:
    html = handout(clinic="Harbour Skin", patient="Robin Lee", phone="020 7946 0000")
    assert "For Robin Lee." in html
    assert "Call Harbour Skin on 020 7946 0000 if" in html
    assert "Call the clinic if" in handout()  # neither known: no empty "on"


def test_it_gives_the_verdict_in_words() -> None:
    screening = screen(parse_intake({"date": "2027-02-01", "zones": ["left_cheek"], "answers": {"hsv_history": True}}))
    html = handout(screening=screening)
    assert "Suitable with caution" in html and ">caution<" not in html


def test_it_lists_its_sources_as_references_not_files() -> None:
    html = handout()
    assert "Patient-information article on 2 mm microneedling" in html
    assert "Understanding Micro Needling Results: How Long Until You See Changes?" in html
    assert ".txt" not in html and "DESIGN" not in html and "seeds/" not in html
