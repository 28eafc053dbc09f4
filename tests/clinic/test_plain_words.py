"""Nothing a person reads names a code or a file: every page of the seeded demo clinic, the handout and the calendar.

People read zone, concern, product and metric names ("left cheek", "hyaluronic acid
serum", "skin tone"), never the codes the rules and the JSON use (``left_cheek``,
``hyaluronic_serum``, ``tone_ita``), and sources by title or author, never a file
name. The demo clinic is seeded once (two analysed photos, one comparison), then
every page is read as the practitioner, the admin and the patient would see it.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from dermadelta.clinic.records import demo
from dermadelta.imaging.metrics import METRIC_NAMES
from dermadelta.imaging.zones import ZONE_NAMES
from dermadelta.protocol.rulebook import load_rulebook

#: Attributes whose values people read (tool tips, image descriptions, screen readers).
READ_ATTRIBUTES = ("title", "alt", "placeholder", "aria-label")
FILE_NAME = re.compile(r"\b[\w./-]+\.(?:txt|md|py)\b|\bDESIGN\b|\bseeds/")


def code_words() -> re.Pattern[str]:
    """The snake_case codes of the zone, concern, product, metric and rule vocabularies."""
    book = load_rulebook()
    vocabularies = [
        ZONE_NAMES,
        METRIC_NAMES,
        book.zones,
        book.concerns,
        book.addons,
        book.devices,
        book.questions,
        book.rules,
        book.tasks,
    ]
    codes = sorted({code for vocabulary in vocabularies for code in vocabulary if "_" in code}, key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, codes)) + r")\b")


class _Text(HTMLParser):
    """The text a person sees on a page: no scripts, styles or markup; the attributes people read."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in READ_ATTRIBUTES and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def calendar_text(data: bytes) -> str:
    """What a calendar app shows of a calendar: names, descriptions, places, reminders (not UIDs)."""
    import icalendar

    shown = ("X-WR-CALNAME", "SUMMARY", "DESCRIPTION", "LOCATION", "CATEGORIES")
    calendar = icalendar.Calendar.from_ical(data)
    return " ".join(
        str(component[name].to_ical().decode() if hasattr(component[name], "to_ical") else component[name])
        for component in calendar.walk()
        for name in shown
        if name in component
    )


def problems(where: str, text: str, codes: re.Pattern[str]) -> list[str]:
    found = sorted({m.group(0) for m in codes.finditer(text)} | {m.group(0) for m in FILE_NAME.finditer(text)})
    return [f"{where}: {word}" for word in found]


def _front_urls(objects: dict[str, int]) -> list[str]:
    """Every page of the application that takes at most a primary key, filled in with a seeded object."""
    urls = []
    for pattern in get_resolver("dermadelta.clinic.front.urls").url_patterns:
        assert isinstance(pattern, URLPattern)
        route = str(pattern.pattern)
        if "<str:" in route or route.endswith((".png", ".zip", ".json")) or pattern.name in ("logout", "login"):
            continue  # images, archives and JSON keep codes; calendar feeds are read by their secret below
        if "<int:pk>" in route:
            kind = route.split("/")[0]
            if kind not in objects:
                continue
            route = route.replace("<int:pk>", str(objects[kind]))
        urls.append("/" + route)
    return urls


@pytest.fixture
def seeded(transactional_db: Any, settings: Any, tmp_path: Path) -> demo.DemoClinic:
    settings.DATA_DIR = tmp_path / "data"
    return demo.seed_demo(data_dir=settings.DATA_DIR, photos=2)


def test_no_page_handout_or_calendar_of_the_demo_clinic_names_a_code_or_a_file(seeded):
    codes = code_words()
    patient = seeded.patient
    plan = patient.plans.get(active=True)
    comparison = patient.comparisons.get()
    objects = {
        "patients": patient.pk,
        "consents": patient.consents.first().pk,
        "consultations": patient.consultations.get().pk,
        "plans": plan.pk,
        "sessions": patient.sessions.first().pk,
        "photos": comparison.after_id,
        "comparisons": comparison.pk,
    }
    passwords = {login.role: (login.username, login.password) for login in seeded.logins}
    found: list[str] = []
    read = 0
    for role in ("practitioner", "admin", "patient"):
        client = Client()
        client.force_login(type(patient.user).objects.get(username=passwords[role][0]))
        for url in [*_front_urls(objects), f"/comparisons/{comparison.pk}/?metric=tone_ita&zone=left_cheek"]:
            response = client.get(url)
            kind = response.get("Content-Type", "")
            if response.status_code != 200:
                continue
            if kind.startswith("text/html"):
                found += problems(f"{role} {url}", visible_text(response.content.decode()), codes)
            elif kind.startswith("text/calendar"):
                found += problems(f"{role} {url}", calendar_text(response.content), codes)
            read += 1
        handout = client.get(f"/plans/{plan.pk}/handout.pdf?format=html")  # the HTML the PDF is printed from
        if handout.status_code == 200:
            found += problems(f"{role} handout", visible_text(handout.content.decode()), codes)

    assert read > 40  # the walk reached the pages, not only refusals
    assert found == [], "\n".join(found)


def test_the_demo_handout_names_the_patient_and_the_number_to_call(seeded):
    plan = seeded.patient.plans.get(active=True)
    client = Client()
    client.force_login(seeded.patient.user)
    page = visible_text(client.get(f"/plans/{plan.pk}/handout.pdf?format=html").content.decode())
    assert seeded.patient.full_name in page
    assert f"Call {seeded.clinic.name} on {demo.CLINIC_PHONE} if" in page


def test_the_walk_finds_codes_and_file_names():
    codes = code_words()
    text = visible_text("<p>left_cheek 1.5 mm</p><script>var tone_ita;</script><img alt='seeds/000_a.txt'>")
    assert problems("page", text, codes) == ["page: left_cheek", "page: seeds/000_a.txt"]
    assert problems("page", visible_text('<input name="depth_left_cheek"><p>Left cheek</p>'), codes) == []
