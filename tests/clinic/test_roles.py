"""Who is asking: staff of one clinic, a patient, or an account with no role."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, User

from dermadelta.clinic.accounts.access import PATIENT, actor_of
from dermadelta.clinic.accounts.models import Role
from dermadelta.clinic.records.access import patients_of


def test_it_knows_a_practitioner_and_her_clinic(alice, riverside):
    actor = actor_of(alice)
    assert (actor.clinic, actor.role) == (riverside, Role.PRACTITIONER)
    assert actor.is_staff_member and not actor.is_clinic_admin and not actor.is_patient


def test_it_knows_a_clinic_admin(bob):
    assert actor_of(bob).is_clinic_admin


def test_it_knows_a_patient_by_their_record(patient):
    actor = actor_of(patient.user)
    assert (actor.role, actor.patient, actor.clinic) == (PATIENT, patient, patient.clinic)
    assert not actor.is_staff_member


def test_it_gives_no_role_to_an_account_without_clinic_or_record(db):
    actor = actor_of(User.objects.create_user("nobody", password="x" * 12))
    assert actor.role is None and actor.clinic is None
    assert not patients_of(actor).exists()


def test_it_gives_no_role_to_anonymous_visitors():
    assert actor_of(AnonymousUser()).role is None


def test_it_lets_staff_see_only_their_own_clinics_patients(alice, charlie, patient, quinn):
    assert set(patients_of(actor_of(alice))) == {patient, quinn}
    assert not patients_of(actor_of(charlie)).exists()


def test_it_lets_a_patient_see_only_their_own_record(patient, quinn):
    assert list(patients_of(actor_of(patient.user))) == [patient]


def test_it_sends_a_user_without_role_to_an_explanation(db, client):
    client.force_login(User.objects.create_user("nobody", password="x" * 12))
    response = client.get("/")
    assert response.status_code == 403
    assert b"no clinic yet" in response.content


def test_it_sends_anonymous_visitors_to_sign_in(client, db):
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
