"""Repeated failed sign-ins hold back the account and the address; the clinic admin sees every attempt."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from tests.clinic.conftest import PASSWORD

LOGIN = reverse("login")
AUDIT = reverse("audit_log")
ATTACKER = "203.0.113.7"


def _sign_in(username: str, password: str, *, address: str = ATTACKER) -> Any:
    return Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})


def _signed_in(response: Any) -> bool:
    return response.status_code == 302 and "_auth_user_id" in response.client.session


def _pause_passes() -> None:
    """Move every counted failure back past the pause, as the clock would."""
    past = settings.AXES_COOLOFF_TIME + dt.timedelta(seconds=1)
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - past)


def test_it_holds_back_the_right_password_after_twenty_wrong_ones(alice):
    for _ in range(20):
        assert not _signed_in(_sign_in("alice", "wrong password"))

    held = _sign_in("alice", PASSWORD)

    assert held.status_code == 429 and not _signed_in(held)
    page = held.content.decode()
    assert "Signing in is paused for 15 minutes" in page and "too many failed attempts" in page
    assert "axes" not in page.lower() and "lockout" not in page.lower()  # plain words, no machinery
    assert held["Retry-After"] == "900"


def test_it_opens_again_once_the_pause_has_passed(alice):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in("alice", "wrong password")
    assert _sign_in("alice", PASSWORD).status_code == 429

    _pause_passes()

    assert _signed_in(_sign_in("alice", PASSWORD))


def test_it_allows_a_few_mistakes(alice):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in("alice", "wrong password").status_code == 200

    assert _signed_in(_sign_in("alice", PASSWORD))


def test_it_holds_back_the_account_from_every_address(alice, bob):
    for index in range(settings.AXES_FAILURE_LIMIT):
        _sign_in("alice", "wrong password", address=f"198.51.100.{index + 1}")

    assert _sign_in("alice", PASSWORD, address="192.0.2.44").status_code == 429
    assert _signed_in(_sign_in("bob", PASSWORD, address="192.0.2.44"))  # another account is not held back


def test_it_holds_back_an_address_that_tries_many_accounts(alice, bob):
    for index in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(f"guess{index}", "wrong password")

    assert _sign_in("alice", PASSWORD).status_code == 429  # from that address
    assert _signed_in(_sign_in("alice", PASSWORD, address="192.0.2.44"))  # from elsewhere


def test_the_clinic_admin_sees_the_failed_and_held_back_attempts(alice, bob, charlie):
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _sign_in("alice", "wrong password")
    _sign_in("charlie", "wrong password", address="192.0.2.9")  # another clinic's account
    admin = Client()
    admin.force_login(bob)

    page = admin.get(AUDIT, {"username": "alice"}).content.decode()

    assert page.count("<td>failed to sign in</td>") == settings.AXES_FAILURE_LIMIT - 1
    assert page.count("<td>was held back from signing in</td>") == 3  # the attempt that reached the limit, two more
    assert ATTACKER in page and "held back for 15 minutes" in page
    entries = AuditEntry.objects.filter(username="alice", action=AuditAction.SIGN_IN_FAILED)
    clinic = alice.membership.clinic_id
    assert {(e.user_id, e.clinic_id, e.ip_address) for e in entries} == {(alice.pk, clinic, ATTACKER)}
    assert "charlie" not in admin.get(AUDIT).content.decode()


def test_it_records_a_name_that_is_no_account_without_a_clinic(alice):
    _sign_in("mallory", "wrong password")

    entry = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED)
    assert entry.username == "mallory" and entry.user is None and entry.clinic is None


@pytest.mark.parametrize(
    "username",
    ["", "x" * 5000, "<script>alert(1)</script>", "alice\x00", "ALICE", " alice", "ａｌｉｃｅ", "'; DROP TABLE x; --"],
)
def test_it_survives_hostile_user_names(alice, username):
    response = _sign_in(username, "wrong password")

    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert _signed_in(_sign_in("alice", PASSWORD))  # one failure holds nobody back
