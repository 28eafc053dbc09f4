"""The clinic admin's audit log: the clinic's own entries only, filtered and paginated, never edited."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse

from dermadelta.clinic.accounts.models import Clinic, Membership, Role
from dermadelta.clinic.audit.log import record
from dermadelta.clinic.audit.models import AppendOnlyError, AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Patient

URL = reverse("audit_log")


def _rows(response: Any, *, readings: bool = False) -> list[str]:
    """The table rows of the entries shown; without the admin's own earlier readings of the log unless asked."""
    body = response.content.decode()
    table = body.split('id="audit-entries"', 1)[1].split("</table>", 1)[0] if 'id="audit-entries"' in body else ""
    rows = re.findall(r"<tr>\s*<td>.*?</tr>", table, flags=re.S)
    return rows if readings else [row for row in rows if "the audit log, page" not in row]


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
    written_before = AuditEntry.objects.filter(clinic=patient.clinic).count()
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
    assert len(rows) == written_before + sign_ins


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

    alices_views = {"action": AuditAction.VIEW, "username": "alice"}  # not bob's readings of the log
    first = as_bob.get(URL, alices_views)
    third = as_bob.get(URL, {**alices_views, "page": 3})
    beyond = as_bob.get(URL, {**alices_views, "page": 999999})

    assert len(_rows(first)) == 50 and "view-119" in _rows(first)[0]
    assert len(_rows(third)) == 20 and "view-000" in _rows(third)[-1]
    assert _rows(beyond) == _rows(third)  # past the end: the last page
    assert "?action=view&amp;username=alice&amp;page=2" in first.content.decode()


def test_it_is_read_only(as_bob, entries, patient):
    entry = AuditEntry.objects.filter(patient=patient).first()
    assert entry is not None

    assert as_bob.post(URL, {"action": "view"}).status_code == 405
    assert as_bob.delete(URL).status_code == 405
    body = as_bob.get(URL).content.decode()
    assert '<form method="post"' not in body.split("<main", 1)[1]  # no edit or delete anywhere

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


def test_reading_the_log_is_audited(as_bob, bob, entries, patient):
    as_bob.get(URL, {"username": "alice", "page": "2"})

    reading = AuditEntry.objects.get(username="bob", object_type="clinic")
    assert reading.action == AuditAction.VIEW and reading.clinic == patient.clinic and reading.user == bob
    assert reading.detail == "the audit log, page 1, filtered by user name 'alice'"  # page 2 does not exist
    assert reading.ip_address == "127.0.0.1"
    assert "the audit log, page 1" in as_bob.get(URL).content.decode()  # the next reading shows it


@pytest.fixture
def photo_of_pat(patient: Patient) -> Any:
    from django.core.files.base import ContentFile

    from dermadelta.clinic.records.choices import JobStatus
    from dermadelta.clinic.records.models import Photo

    photo = Photo(patient=patient, sha256="a" * 64, width=10, height=10, status=JobStatus.QUEUED, quality="")
    photo.original.save("a-original", ContentFile(b"x"), save=False)
    photo.save()
    return photo


def test_a_stranger_asking_for_a_record_is_a_security_event(as_charlie, charlie, patient, photo_of_pat, caplog):
    with caplog.at_level("WARNING", logger="dermadelta.security"):
        assert as_charlie.get(reverse("patient", args=[patient.pk])).status_code == 404
        assert as_charlie.get(reverse("photo_image", args=[photo_of_pat.pk])).status_code == 404

    refusals = AuditEntry.objects.filter(action=AuditAction.REFUSED).order_by("id")
    asked = [("patient", str(patient.pk)), ("photo", str(photo_of_pat.pk))]
    assert [(e.object_type, e.object_id) for e in refusals] == asked
    for entry in refusals:
        who_where = (entry.user, entry.clinic, entry.patient, entry.ip_address)
        assert who_where == (charlie, patient.clinic, patient, "127.0.0.1")
    lines = [r.getMessage() for r in caplog.records if r.name == "dermadelta.security"]
    assert len(lines) == 2 and all("charlie" in line and "127.0.0.1" in line for line in lines)
    assert f"patient {patient.pk}" in lines[0] and f"/patients/{patient.pk}/" in lines[0]


def test_the_clinic_admin_sees_who_was_refused_its_records(as_charlie, as_bob, patient):
    as_charlie.get(reverse("patient", args=[patient.pk]))

    rows = _rows(as_bob.get(URL, {"action": AuditAction.REFUSED}))

    assert len(rows) == 1 and "charlie" in rows[0] and "was refused" in rows[0] and "Pat Doe" in rows[0]


def test_another_patient_asking_for_a_record_is_a_security_event(as_quinn, quinn, patient):
    assert as_quinn.get(reverse("progress_chart", args=[patient.pk])).status_code == 404

    entry = AuditEntry.objects.get(action=AuditAction.REFUSED)
    assert entry.user == quinn.user and entry.patient == patient


def test_a_record_that_does_not_exist_is_no_security_event(as_charlie, patient):
    assert as_charlie.get(reverse("patient", args=[patient.pk + 1000])).status_code == 404

    assert not AuditEntry.objects.filter(action=AuditAction.REFUSED).exists()


def test_polling_a_status_writes_no_entry_per_poll(as_alice, photo_of_pat):
    assert as_alice.get(reverse("photo", args=[photo_of_pat.pk])).status_code == 200
    written = AuditEntry.objects.count()

    for _ in range(5):
        assert as_alice.get(reverse("photo_status", args=[photo_of_pat.pk])).status_code == 200

    assert AuditEntry.objects.count() == written
    assert AuditEntry.objects.filter(object_type="photo", action=AuditAction.VIEW).count() == 1


postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the append-only trigger is PostgreSQL's (scripts/with-postgres)"
)


def _raw(sql: str, *params: Any) -> None:
    with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: the refusal leaves the test usable
        cursor.execute(sql, params)


@postgresql_only
def test_the_database_refuses_raw_changes_and_deletions(entries, patient):
    entry = AuditEntry.objects.filter(patient=patient).first()
    assert entry is not None

    with pytest.raises(DatabaseError, match="audit entries cannot be changed"):
        _raw("UPDATE audit_auditentry SET detail = 'rewritten' WHERE id = %s", entry.pk)
    with pytest.raises(DatabaseError, match="audit entries cannot be changed"):
        _raw("UPDATE audit_auditentry SET user_id = %s WHERE id = %s", patient.user_id, entry.pk)
    with pytest.raises(DatabaseError, match="audit entries cannot be deleted"):
        _raw("DELETE FROM audit_auditentry WHERE id = %s", entry.pk)
    with pytest.raises(DatabaseError, match="audit entries cannot be deleted"):
        _raw("DELETE FROM audit_auditentry")

    entry.refresh_from_db()
    assert entry.detail == "riverside-view-pat"


@postgresql_only
def test_the_database_still_unlinks_a_deleted_account(entries, alice):
    written = AuditEntry.objects.filter(user=alice).count()

    alice.delete()  # on_delete=SET_NULL: the one change the trigger lets through

    assert AuditEntry.objects.filter(user=None, username="alice").count() >= written
