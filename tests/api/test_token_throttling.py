"""Repeated bad API tokens from one address are held back, in the API's error shape, and audited."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from dermadelta.clinic.api import tokens
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from tests.api.conftest import BASE, error_of

ATTACKER = "203.0.113.7"
PATIENTS = f"{BASE}/patients"


def _call(secret: str, *, address: str = ATTACKER) -> Any:
    return Client(REMOTE_ADDR=address, headers={"Authorization": f"Bearer {secret}"}).get(PATIENTS)


def test_it_holds_back_an_address_after_repeated_bad_tokens(alice):
    good = tokens.issue(alice, "integration").secret
    for index in range(settings.AXES_FAILURE_LIMIT - 1):
        error_of(_call(f"dd_guess{index}"), 401, "unauthorized")

    error = error_of(_call("dd_onemore"), 429, "too_many_requests")  # the failure that reaches the limit
    assert "15 minutes" in error["message"]
    held = _call(good)  # even a good token, from that address

    error_of(held, 429, "too_many_requests")
    assert held["Retry-After"] == "900"
    assert _call(good, address="192.0.2.44").status_code == 200  # the same token from elsewhere


def test_bad_tokens_with_a_known_prefix_never_hold_back_the_token_itself(alice):
    issued = tokens.issue(alice, "integration")
    for index in range(settings.AXES_FAILURE_LIMIT + 2):
        _call(f"{issued.token.prefix}_wrong{index}", address=f"198.51.100.{index + 1}")

    assert _call(issued.secret, address="192.0.2.44").status_code == 200  # a prefix is no secret


def test_refused_tokens_are_in_the_clinic_audit_log(alice, bob):
    issued = tokens.issue(alice, "integration")
    tokens.revoke(issued.token.prefix)
    _call(issued.secret)
    _call("dd_00000000_not-a-token")
    admin = Client()
    admin.force_login(bob)

    page = admin.get("/audit/", {"username": "alice"}).content.decode()

    revoked = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED, user=alice)
    assert revoked.clinic == alice.membership.clinic and revoked.ip_address == ATTACKER
    assert f"API token {issued.token.prefix}: revoked token" in revoked.detail
    assert issued.secret not in revoked.detail and issued.secret not in page
    assert f"API token {issued.token.prefix}: revoked token" in page
    unknown = AuditEntry.objects.get(action=AuditAction.SIGN_IN_FAILED, user=None)
    assert unknown.clinic is None and "API token dd_00000000: unknown token" in unknown.detail


def test_hostile_tokens_are_refused_in_the_error_shape(alice):
    for secret in ("x" * 150, "dd_zzzz", "<script>", "dd_" + "0" * 190, "é" * 50):
        error_of(_call(secret), 401, "unauthorized")
    assert not AuditEntry.objects.filter(detail__contains="<script>").exists()
