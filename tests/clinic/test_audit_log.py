"""The clinic admin's audit log: the clinic's own entries only, filtered and paginated, never edited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AppendOnlyError, AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Patient

URL = reverse("audit_log")



def _rows(response: Any) -> list[str]:
    """The table rows of the entries shown."""
    body = response.content.decode()
    table = body.split('id="audit-entries"', 1)[1].split("</table>", 1)[0] if 'id="audit-entries"' in body else ""
    return re.findall(r"<tr>\s*<td>.*?</tr>", table, flags=re.S)


@pytest.fixture
def harbour_patient(harbour: Clinic, charlie: User) -> Patient:
    return actions.create_patient(
        harbour,
        {"first_name": "Harriet", "last_name": "Harbourside", "date_of_birth": dt.date(1980, 1, 1)},
        by=charlie,
    )


@pytest.fixture
def dora(harbour: Clinic) -> User:
    """Harbour's clinic admin."""
    user = User.objects.create_user("dora", "dora@example.org", "x" * 12)
    Membership.objects.create(user=user, clinic=harbour, role=Role.ADMIN)
    return user


@pytest.fixture
def entries(patient: Patient, quinn: Patient, alice: User, bob: User, charlie: User, harbour_patient: Patient) -> None:
    """Riverside: alice viewed Pat, bob viewed Quinn, alice and pat signed in.

    Harbour: charlie created and viewed a patient, and signed in.
    """
    record(None, AuditAction.VIEW, patient, patient=patient, user=alice, detail="riverside-view-pat")
    record(None, AuditAction.VIEW, quinn, patient=quinn, user=bob, detail="riverside-view-quinn")
    record(None, AuditAction.SIGN_IN, alice, user=alice)
    assert patient.user is not None
    record(None, AuditAction.SIGN_IN, patient.user, user=patient.user)
    record(None, AuditAction.SIGN_IN, charlie, user=charlie)
    record(None, AuditAction.VIEW, harbour_patient, patient=harbour_patient, user=charlie, detail="harbour-view")


def test_it_shows_bob_the_riverside_entries_only(as_bob, entries, patient, quinn, harbour_patient):
    response = as_bob.get(URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert "riverside-view-pat" in page and "riverside-view-quinn" in page
    assert "Pat Doe" in page and "Quinn Fox" in page
    assert "harbour-view" not in page and "Harriet" not in page and "charlie" not in page
    rows = _rows(response)
    signed_in = {re.findall(r"<td>(\w+)</td>", row)[0] for row in rows if "signed in" in row}
    assert signed_in == {"alice", "bob", "pat"}  # bob's own sign-in too; not charlie's
    # every riverside entry and nothing else
    sign_ins = AuditEntry.objects.filter(clinic__isnull=True, username__in=["alice", "bob", "pat"]).count()
    assert len(rows) == AuditEntry.objects.filter(clinic=patient.clinic).count() + sign_ins


def test_it_lists_the_newest_entry_first(as_bob, entries, patient, alice):
    record(None, AuditAction.UPDATE, patient, patient=patient, user=alice, detail="the-latest-change")

    rows = _rows(as_bob.get(URL))

    assert "the-latest-change" in rows[0]


def test_it_shows_a_harbour_admin_only_harbour_entries(dora, entries):
    page = Client()
    page.force_login(dora)

    body = page.get(URL).content.decode()

    assert "harbour-view" in body and "Harriet Harbourside" in body and "charlie" in body
    assert "riverside-view-pat" not in body and "Pat Doe" not in body and "alice" not in body


def test_it_refuses_practitioners_patients_and_accounts_without_a_clinic(as_alice, as_charlie, as_pat, entries):
    for client in (as_alice, as_charlie, as_pat):
        assert client.get(URL).status_code == 403
    nobody = Client()
    nobody.force_login(User.objects.create_user("nobody", "n@example.org", "x" * 12))
    assert nobody.get(URL).status_code == 403


def test_it_sends_anonymous_visitors_to_sign_in(client, entries):
    response = client.get(URL)

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_it_filters_by_patient_username_and_action(as_bob, entries, patient, quinn):
    by_patient = as_bob.get(URL, {"patient": patient.pk})
    assert {("riverside-view-pat" in row) for row in _rows(by_patient)} == {True}

    by_user = _rows(as_bob.get(URL, {"username": "BOB"}))
    assert {re.findall(r"<td>(\w+)</td>", row)[0] for row in by_user} == {"bob"}
    assert len(by_user) == 2 and any("riverside-view-quinn" in row for row in by_user)  # and his sign-in

    by_action = as_bob.get(URL, {"action": AuditAction.SIGN_IN})
    assert len(_rows(by_action)) == 3 and all("signed in" in row for row in _rows(by_action))  # alice, bob, pat

    combined = as_bob.get(URL, {"patient": quinn.pk, "action": AuditAction.SIGN_IN})
    assert _rows(combined) == [] and "No entries match" in combined.content.decode()


def test_it_never_shows_another_clinics_entries_when_filtered_by_their_patient(as_bob, entries, harbour_patient):
    response = as_bob.get(URL, {"patient": harbour_patient.pk})

    assert response.status_code == 200 and _rows(response) == []
    assert "Harriet" not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"},
        {"page": "-1"},
        {"page": "999999"},
        {"patient": "<script>alert(1)</script>"},
        {"patient": "99999999999999999999999999"},
        {"patient": "-5"},
        {"action": "delete_everything"},
        {"username": "x" * 5000},
        {"username": "<script>alert(1)</script>"},
    ],
)
def test_it_handles_hostile_filter_input(as_bob, entries, query):
    response = as_bob.get(URL, query)

    assert response.status_code == 200
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    if "page" in query:
        assert len(_rows(response)) > 0  # a bad page number gives a real page, not an error
    else:
        assert 'class="errorlist"' in body or _rows(response) == []


def test_it_shows_the_error_of_a_bad_patient_id_and_applies_the_other_filters(as_bob, entries):
    response = as_bob.get(URL, {"patient": "<script>", "action": AuditAction.SIGN_IN})

    body = response.content.decode()
    assert "Enter a whole number." in body
    assert "&lt;script&gt;" in body  # the input is shown back, escaped
    assert len(_rows(response)) == 3


def test_it_pages_fifty_entries_at_a_time_and_keeps_the_filters(as_bob, patient, alice):
    for index in range(120):
        record(None, AuditAction.VIEW, patient, patient=patient, user=alice, detail=f"view-{index:03d}")

    first = as_bob.get(URL, {"action": AuditAction.VIEW})
    third = as_bob.get(URL, {"action": AuditAction.VIEW, "page": 3})
    beyond = as_bob.get(URL, {"action": AuditAction.VIEW, "page": 999999})

    assert len(_rows(first)) == 50 and "view-119" in _rows(first)[0]
    assert len(_rows(third)) == 20 and "view-000" in _rows(third)[-1]
    assert _rows(beyond) == _rows(third)  # past the end: the last page
    assert "?action=view&amp;page=2" in first.content.decode()


def test_it_is_read_only(as_bob, entries, patient):
    entry = AuditEntry.objects.filter(patient=patient).first()
    assert entry is not None

    assert as_bob.post(URL, {"action": "view"}).status_code == 405
    assert as_bob.delete(URL).status_code == 405
    body = as_bob.get(URL).content.decode()
    assert '<form method="post"' not in body.split("<main>", 1)[1]  # no edit or delete anywhere

    entry.detail = "rewritten"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(pk=entry.pk).update(detail="rewritten in bulk")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.filter(patient=patient).delete()
    entry.refresh_from_db()
    assert entry.detail == "riverside-view-pat"
    assert AuditEntry.objects.filter(patient=patient).exists()


def test_it_keeps_the_entries_of_a_deleted_account_under_its_name(entries, alice):
    written = AuditEntry.objects.filter(user=alice).count()
    assert written > 0

    alice.delete()

    assert AuditEntry.objects.filter(user=None, username="alice").count() >= written
