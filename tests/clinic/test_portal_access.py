"""Portal access from the patient's page: a one-time invitation link, first sign-in through it, and revocation."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dermadelta.clinic.accounts.models import PortalInvitation
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.models import Patient

NEW_PASSWORD = "a long walk by the river 42"


@pytest.fixture
def newcomer(riverside: Any, alice: Any) -> Patient:
    """A patient with no login yet."""
    return Patient.objects.create(
        clinic=riverside, first_name="Nia", last_name="Okafor", date_of_birth=dt.date(1990, 5, 1), created_by=alice
    )


def invite(client: Client, patient: Patient) -> tuple[Any, str]:
    response = client.post(f"/patients/{patient.pk}/portal/invite/")
    page = response.content.decode()
    found = re.search(r"http://testserver(/portal/welcome/[A-Za-z0-9_-]+/)", page)
    return response, found.group(1) if found else ""


def signs_in(username: str, password: str) -> bool:
    """Through the real sign-in page (its throttling backend needs the request)."""
    return Client().post("/login/", {"username": username, "password": password}).status_code == 302


def set_password(link: str, password: str = NEW_PASSWORD) -> Any:
    return Client().post(link, {"new_password1": password, "new_password2": password})


def test_it_invites_and_the_patient_signs_in_through_the_link(as_alice, newcomer):
    response, link = invite(as_alice, newcomer)

    assert response.status_code == 200 and link
    assert response["Cache-Control"] == "private, no-store"
    newcomer.refresh_from_db()
    assert newcomer.user is not None and newcomer.user.username == "nia.okafor"
    assert "nia.okafor" in response.content.decode() and not newcomer.user.has_usable_password()
    stored = PortalInvitation.objects.get(patient=newcomer)
    assert link.split("/")[-2] not in stored.token_hash  # only the hash is kept

    form = Client().get(link)
    assert form.status_code == 200 and "nia.okafor" in form.content.decode()
    assert form["Referrer-Policy"] == "same-origin"

    patient_client = Client()
    done = patient_client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    assert patient_client.get("/portal/").status_code == 200
    assert signs_in("nia.okafor", NEW_PASSWORD)
    actions = set(AuditEntry.objects.filter(patient=newcomer).values_list("detail", flat=True))
    assert {"portal invitation", "portal password set"} <= actions


def test_the_patient_page_shows_the_state_of_access(as_alice, newcomer):
    assert "Invite to the portal" in as_alice.get(f"/patients/{newcomer.pk}/").content.decode()
    _, link = invite(as_alice, newcomer)
    assert "Invited: the link works until" in as_alice.get(f"/patients/{newcomer.pk}/").content.decode()
    set_password(link)
    assert "Signs in as nia.okafor" in as_alice.get(f"/patients/{newcomer.pk}/").content.decode()


def test_a_link_works_only_once(as_alice, newcomer):
    _, link = invite(as_alice, newcomer)
    assert set_password(link).status_code == 302

    again = set_password(link, "someone else's password 99")
    assert again.status_code == 410 and "already been used" in again.content.decode()
    assert Client().get(link).status_code == 410
    assert signs_in("nia.okafor", NEW_PASSWORD)


def test_an_expired_link_is_refused(as_alice, newcomer):
    _, link = invite(as_alice, newcomer)
    PortalInvitation.objects.filter(patient=newcomer).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = set_password(link)
    assert response.status_code == 410 and "expired" in response.content.decode()
    newcomer.refresh_from_db()
    assert not newcomer.user.has_usable_password()


def test_a_new_invitation_ends_the_earlier_link(as_alice, newcomer):
    _, first = invite(as_alice, newcomer)
    _, second = invite(as_alice, newcomer)

    assert first != second and set_password(first).status_code == 410
    assert set_password(second).status_code == 302


@pytest.mark.parametrize("secret", ["x", "A" * 43, "A" * 200, "%00", "../../admin"])
def test_made_up_links_are_refused(db, client, secret):
    response = client.get(f"/portal/welcome/{secret}/")
    assert response.status_code in (404, 410)


def test_a_password_the_validators_refuse_is_explained_and_the_link_still_works(as_alice, newcomer):
    _, link = invite(as_alice, newcomer)
    response = Client().post(link, {"new_password1": "abc", "new_password2": "abd"})

    assert response.status_code == 400
    assert set_password(link).status_code == 302


def test_revoked_access_is_refused_and_signs_the_patient_out(as_alice, as_pat, patient):
    _, link = invite(as_alice, patient)
    assert as_pat.get("/portal/").status_code == 200

    response = as_alice.post(f"/patients/{patient.pk}/portal/revoke/")
    assert response.status_code == 302 and response["Location"].endswith("#portal")
    assert as_pat.get("/portal/").status_code == 302  # signed out: back to sign-in
    assert not signs_in("pat", "correct horse battery staple")
    assert set_password(link).status_code == 410
    entry = AuditEntry.objects.get(patient=patient, detail="portal access revoked")
    assert entry.action == AuditAction.WITHDRAW and entry.username == "alice"


def test_a_revoked_patient_can_be_invited_again(as_alice, patient):
    as_alice.post(f"/patients/{patient.pk}/portal/revoke/")
    _, link = invite(as_alice, patient)

    assert set_password(link).status_code == 302
    assert signs_in("pat", NEW_PASSWORD)


def test_another_clinic_cannot_invite_or_revoke(as_charlie, as_pat, patient):
    assert as_charlie.post(f"/patients/{patient.pk}/portal/invite/").status_code == 404
    assert as_charlie.post(f"/patients/{patient.pk}/portal/revoke/").status_code == 404
    assert not PortalInvitation.objects.exists()
    assert as_pat.get("/portal/").status_code == 200
    assert AuditEntry.objects.filter(patient=patient, action=AuditAction.REFUSED).count() == 2


def test_patients_and_visitors_cannot_invite(as_pat, client, patient):
    assert as_pat.post(f"/patients/{patient.pk}/portal/invite/").status_code == 403
    assert client.post(f"/patients/{patient.pk}/portal/invite/").status_code == 302
    assert not PortalInvitation.objects.exists()


def test_invite_and_revoke_answer_only_to_post(as_alice, patient):
    assert as_alice.get(f"/patients/{patient.pk}/portal/invite/").status_code == 405
    assert as_alice.get(f"/patients/{patient.pk}/portal/revoke/").status_code == 405
    assert not PortalInvitation.objects.exists()
