"""Fixtures for the clinic application, after Healthchecks' alice / bob / charlie.

- alice: practitioner at Riverside Skin, who looks after the patient Pat;
- bob: clinic admin at Riverside Skin (alice's colleague);
- charlie: practitioner at Harbour Clinic (a stranger to Riverside's records);
- pat: the patient's own login; quinn: another Riverside patient.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.test import Client

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Comparison, Consent, Patient, TreatmentPlan
from tests.clinic.progress_records import behind_comparison

PASSWORD = "correct horse battery staple"
#: A Monday four weeks before the clocks change in Europe/London: a five-session plan
#: from it has sessions on both sides of the change.
CLOCK_CHANGE_START = dt.date(2025, 3, 3)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Any) -> None:
    """Test accounts need no slow password hashing (the real hasher costs seconds a test here)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def private_media(settings: Any, tmp_path: Any) -> Any:
    """Each test stores its photos in a folder of its own."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media"), "base_url": "/never-served/"},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return tmp_path / "media"


def _user(username: str, first: str, last: str) -> User:
    return User.objects.create_user(username, f"{username}@example.org", PASSWORD, first_name=first, last_name=last)


@pytest.fixture
def riverside(db: Any) -> Clinic:
    return Clinic.objects.create(name="Riverside Skin", time_zone="Europe/London")


@pytest.fixture
def harbour(db: Any) -> Clinic:
    return Clinic.objects.create(name="Harbour Clinic", time_zone="America/New_York")


@pytest.fixture
def alice(riverside: Clinic) -> User:
    user = _user("alice", "Alice", "Adams")
    Membership.objects.create(user=user, clinic=riverside, role=Role.PRACTITIONER)
    return user


@pytest.fixture
def bob(riverside: Clinic) -> User:
    user = _user("bob", "Bob", "Brown")
    Membership.objects.create(user=user, clinic=riverside, role=Role.ADMIN)
    return user


@pytest.fixture
def charlie(harbour: Clinic) -> User:
    user = _user("charlie", "Charlie", "Chen")
    Membership.objects.create(user=user, clinic=harbour, role=Role.PRACTITIONER)
    return user


@pytest.fixture
def patient(riverside: Clinic, alice: User) -> Patient:
    """Pat, a Riverside patient with treatment and photography consent and a login of her own."""
    login = _user("pat", "Pat", "Doe")
    pat = Patient.objects.create(
        clinic=riverside,
        user=login,
        first_name="Pat",
        last_name="Doe",
        date_of_birth=dt.date(1988, 4, 2),
        email="pat@example.org",
        fitzpatrick=3,
        created_by=alice,
    )
    for kind in (ConsentKind.TREATMENT, ConsentKind.PHOTOGRAPHY):
        Consent.objects.create(patient=pat, kind=kind, granted_by=alice)
    return pat


@pytest.fixture
def quinn(riverside: Clinic, alice: User) -> Patient:
    """Another Riverside patient, with a login: must never see Pat's record."""
    login = _user("quinn", "Quinn", "Fox")
    return Patient.objects.create(
        clinic=riverside, user=login, first_name="Quinn", last_name="Fox", date_of_birth=dt.date(1975, 1, 9)
    )


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def as_alice(alice: User) -> Client:
    return signed_in(alice)


@pytest.fixture
def as_bob(bob: User) -> Client:
    return signed_in(bob)


@pytest.fixture
def as_charlie(charlie: User) -> Client:
    return signed_in(charlie)


@pytest.fixture
def as_pat(patient: Patient) -> Client:
    return signed_in(patient.user)  # type: ignore[arg-type]


@pytest.fixture
def as_quinn(quinn: Patient) -> Client:
    return signed_in(quinn.user)  # type: ignore[arg-type]


@cache
def _simulated_pair() -> tuple[bytes, bytes]:
    from dermadelta.demo import simulated_pair

    return simulated_pair(seed=11)


@pytest.fixture
def face_pair() -> tuple[bytes, bytes]:
    """A simulated before and after JPEG of one face (public-domain portrait, simulated skin)."""
    return _simulated_pair()


@pytest.fixture
def run_worker(transactional_db: Any, django_capture_on_commit_callbacks: Any) -> Callable[[], None]:
    """Run the real database worker over everything queued, then return.

    The worker commits its own transactions and closes a connection it finds inside
    one (on PostgreSQL that would end the test's transaction), so a test that runs it
    works on a committed database, as a clinic's worker does; its tables are emptied after.
    """

    def run() -> None:
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay", "-v", "0")

    return run


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Callable[[], Any]:
    """``with committed(): action(...)`` runs the action's on-commit work (enqueueing) as a real commit would."""

    def context() -> Any:
        return django_capture_on_commit_callbacks(execute=True)

    return context


@pytest.fixture
def clock_change_plan(patient: Patient, alice: User) -> TreatmentPlan:
    """Pat's plan of five sessions from ``CLOCK_CHANGE_START``, for three zones and two concerns."""
    consultation = actions.record_consultation(
        patient,
        on=CLOCK_CHANGE_START,
        zones=["left_cheek", "right_cheek", "forehead"],
        answers={"hsv_history": True},
        by=alice,
    )
    request = actions.PlanRequest(
        targets=("acne_scars_rolling:left_cheek,right_cheek", "fine_lines:forehead"),
        start=CLOCK_CHANGE_START,
        sessions=5,
    )
    return actions.create_plan(patient, request, consultation=consultation, by=alice)


@pytest.fixture
def behind(patient: Patient) -> Comparison:
    """A finished comparison 30 days into Pat's plan for texture and pores, in which texture got rougher."""
    return behind_comparison(patient)
