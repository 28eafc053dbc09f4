"""The demo clinic: seeded once with logins and a simulated, already analysed patient; seeding again changes nothing."""

from __future__ import annotations

import datetime as dt
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.audit.models import AuditEntry
from dermadelta.clinic.records import demo
from dermadelta.clinic.records.choices import ConsentKind, JobStatus, Verdict
from dermadelta.clinic.records.models import (
    Comparison,
    Consent,
    Consultation,
    Patient,
    Photo,
    TreatmentPlan,
    TreatmentSession,
)
from dermadelta.protocol.calendar import time_zone


@pytest.fixture
def data_dir(settings: Any, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def _sign_in(username: str, password: str) -> Any:
    """Through the sign-in page, as a person does (302 to the home page when it worked)."""
    return Client().post(reverse("login"), {"username": username, "password": password})


def _login_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if " password " in line]


def _counts() -> dict[str, int]:
    models = (Clinic, User, Membership, Patient, Consent, Consultation, TreatmentPlan, TreatmentSession)
    counts = {model.__name__: model.objects.count() for model in models}
    counts.update(
        photos=Photo.objects.count(),
        comparisons=Comparison.objects.count(),
        done=Comparison.objects.filter(status=JobStatus.DONE).count(),
        audit=AuditEntry.objects.count(),
    )
    return counts


def test_it_seeds_a_simulated_analysed_patient_once_and_gives_the_same_logins_twice(transactional_db, data_dir):
    # transactional_db: the command runs the worker, which commits its own transactions.
    output = _seed("--photos", "3")

    clinic = Clinic.objects.get(name="dermadelta demo clinic")
    assert clinic.time_zone == "Europe/London"
    roles = dict(Membership.objects.filter(clinic=clinic).values_list("user__username", "role"))
    assert roles == {"demo-admin": Role.ADMIN, "demo-practitioner": Role.PRACTITIONER}

    patient = Patient.objects.get(clinic=clinic)
    assert patient.simulated and "(simulated)" in patient.full_name
    assert patient.user is not None and patient.user.username == "demo-patient"
    assert patient.active_consents() == {ConsentKind.TREATMENT, ConsentKind.PHOTOGRAPHY, ConsentKind.MARKETING}
    consultation = patient.consultations.get()
    assert consultation.verdict == Verdict.GO
    # a patient since the consultation, where the consents were given, before any session
    given = {timezone.localdate(c.granted_at, timezone=time_zone(clinic.time_zone)) for c in patient.consents.all()}
    assert timezone.localdate(patient.created_at, timezone=time_zone(clinic.time_zone)) == consultation.on
    assert given == {consultation.on}

    today = timezone.localdate(timezone=time_zone(clinic.time_zone))
    plan = patient.plans.get(active=True)
    dates = plan.session_dates()
    assert len(dates) == 4 and 115 <= (today - dates[0]).days <= 120
    assert [(s.number, s.on) for s in patient.sessions.order_by("number")] == list(enumerate(dates, start=1))

    photos = sorted(patient.photos.all(), key=lambda p: p.day)
    assert len(photos) == 3 and all(p.usable for p in photos), [p.failure for p in photos]
    assert photos[0].day < dates[0] < photos[1].day <= today  # a baseline before the first session
    assert [p.day for p in photos[1:]] == [dates[1], dates[-1] + dt.timedelta(days=demo.FOLLOW_UP_DAYS_AFTER)]
    comparisons = list(patient.comparisons.all())
    assert len(comparisons) == 2 and all(c.status == JobStatus.DONE for c in comparisons)
    assert {c.before_id for c in comparisons} == {photos[0].pk}  # each against the baseline
    assert {c.after_id for c in comparisons} == {p.pk for p in photos[1:]}
    # the simulated course improves: spots and texture lower at the follow-up than at the baseline
    latest = next(c for c in comparisons if c.after_id == photos[-1].pk).result["zones"]["face"]
    assert latest["spots"]["delta"] < 0 and latest["texture"]["delta"] < 0

    # the logins: printed, kept in a file only its owner may read, and they work
    logins = data_dir / "demo-logins.txt"
    assert stat.S_IMODE(logins.stat().st_mode) == 0o600
    kept = demo.read_logins(logins)
    assert set(kept) == {"demo-admin", "demo-practitioner", "demo-patient"}
    lines = _login_lines(output)
    assert len(lines) == 3
    for username, password in kept.items():
        assert len(password) >= 12
        assert any(username in line and password in line for line in lines)
        assert _sign_in(username, password).status_code == 302

    # seeding again changes nothing and prints the same logins
    before = _counts()
    again = _seed("--photos", "3")
    assert _counts() == before
    assert _login_lines(again) == lines
    assert demo.read_logins(logins) == kept

    # the demo patient's own page says it is simulated and shows the measured comparisons
    client = _sign_in("demo-patient", kept["demo-patient"]).client
    page = client.get(reverse("portal")).content.decode()
    assert 'id="simulated-notice"' in page and 'class="progress-chart"' in page
    assert all(reverse("comparison", args=[c.pk]) in page for c in comparisons)


def test_it_keeps_the_logins_file_private_even_if_it_was_not(db, data_dir):
    data_dir.mkdir(parents=True)
    path = data_dir / demo.LOGINS_FILE
    first = demo.ensure_logins(path)
    path.chmod(0o644)

    second = demo.ensure_logins(path)

    assert second == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_gives_new_passwords_when_the_logins_file_was_lost(db, data_dir):
    path = data_dir / demo.LOGINS_FILE
    first = {login.username: login.password for login in demo.ensure_logins(path)}
    path.unlink()

    second = {login.username: login.password for login in demo.ensure_logins(path)}

    assert second.keys() == first.keys() and all(second[name] != first[name] for name in first)
    assert demo.read_logins(path) == second
    for username, password in second.items():
        assert User.objects.get(username=username).check_password(password)


def test_it_makes_random_passwords(db, data_dir, tmp_path):
    one = demo.ensure_logins(data_dir / demo.LOGINS_FILE)
    User.objects.filter(username__startswith="demo-").delete()
    other = demo.ensure_logins(tmp_path / "elsewhere" / demo.LOGINS_FILE)

    assert {login.password for login in one}.isdisjoint({login.password for login in other})


def test_it_answers_the_screening_with_nothing_against_treatment():
    from dermadelta.protocol.screening import parse_intake, screen

    intake = parse_intake({"answers": demo.screening_answers()}, on=dt.date(2026, 1, 5), zones=list(demo.ZONES))

    assert screen(intake).verdict == Verdict.GO


@pytest.mark.parametrize("count", [1, 6, 0])
def test_it_refuses_a_course_of_fewer_than_two_or_more_than_five_photos(db, count):
    with pytest.raises(ValueError, match="2 to 5"):
        demo.photo_steps(Patient(), TreatmentPlan(plan={"sessions": []}), today=dt.date(2026, 1, 1), count=count)
