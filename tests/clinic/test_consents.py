"""Consents on the patient's page: each kind with its state and history, recorded and withdrawn by staff, audited."""

from __future__ import annotations

from typing import Any

from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records.choices import ConsentKind
from dermadelta.clinic.records.models import Consent, Patient


def grant_url(patient: Patient) -> str:
    return f"/patients/{patient.pk}/consents/"


def withdraw_url(consent: Consent) -> str:
    return f"/consents/{consent.pk}/withdraw/"


def active(patient: Patient, kind: str) -> Consent:
    return Consent.objects.get(patient=patient, kind=kind, withdrawn_at__isnull=True)


def consent_block(page: str, kind: str) -> str:
    """The part of the patient's page about one kind of consent."""
    start = page.index(f'id="consent-{kind}"')
    end = page.find('<div class="consent"', start + 1)
    return page[start : end if end != -1 else page.index("</section>", start)]


# --- what the patient's page shows -----------------------------------------------------------------------


def test_it_shows_each_kind_of_consent_with_its_state_and_who_recorded_it(as_alice, patient):
    page = as_alice.get(f"/patients/{patient.pk}/").content.decode()

    treatment = consent_block(page, "treatment")
    assert '<span class="badge ok">Given</span>' in treatment and "recorded by Alice Adams" in treatment
    assert f'action="/consents/{active(patient, "treatment").pk}/withdraw/"' in treatment
    assert ">Withdraw</button>" in treatment and "Record consent" not in treatment
    marketing = consent_block(page, "marketing")
    assert "Not recorded" in marketing
    assert f'action="/patients/{patient.pk}/consents/"' in marketing
    assert '<input type="hidden" name="kind" value="marketing">' in marketing
    assert '<button type="submit">Record consent</button>' in marketing


def test_it_keeps_the_history_of_a_withdrawn_consent(as_alice, as_bob, patient):
    consent = active(patient, ConsentKind.PHOTOGRAPHY)
    as_bob.post(withdraw_url(consent), {"confirm": "yes"})

    photography = consent_block(as_alice.get(f"/patients/{patient.pk}/").content.decode(), "photography")

    assert "Withdrawn" in photography and "(by Bob Brown)" in photography and "(by Alice Adams)" in photography
    assert '<input type="hidden" name="kind" value="photography">' in photography  # it can be given again


# --- recording a consent -----------------------------------------------------------------------------------


def test_it_records_a_consent_and_audits_it(as_alice, alice, patient):
    response = as_alice.post(grant_url(patient), {"kind": "marketing", "note": "signed form 12"})

    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/#consents"
    consent = active(patient, ConsentKind.MARKETING)
    assert (consent.granted_by, consent.note) == (alice, "signed form 12")
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="consent")
    assert (entry.user, entry.patient, entry.detail, entry.object_id) == (alice, patient, "marketing", str(consent.pk))
    page = as_alice.get(response["Location"]).content.decode()
    assert "Marketing use of photos consent recorded." in page


def test_it_lets_a_colleague_record_a_consent(as_bob, bob, patient):
    as_bob.post(grant_url(patient), {"kind": "marketing"})

    assert active(patient, ConsentKind.MARKETING).granted_by == bob


def test_it_refuses_to_record_a_consent_twice(as_alice, patient):
    response = as_alice.post(grant_url(patient), {"kind": "treatment"}, follow=True)

    assert "Treatment consent is already recorded." in response.content.decode()
    assert patient.consents.filter(kind=ConsentKind.TREATMENT).count() == 1


def test_it_refuses_a_kind_of_consent_that_does_not_exist(as_alice, patient):
    for data in ({"kind": "everything"}, {}, {"kind": "<script>x</script>"}, {"kind": ["marketing", "nonsense"]}):
        response = as_alice.post(grant_url(patient), data, follow=True)
        assert "Choose which consent to record" in response.content.decode()
    response = as_alice.post(grant_url(patient), {"kind": "marketing", "note": "n" * 301}, follow=True)
    assert "The note was not saved: Ensure this value has at most 300 characters" in response.content.decode()
    assert patient.consents.count() == 2
    assert not AuditEntry.objects.filter(action=AuditAction.CREATE).exists()


def test_it_shows_a_note_with_script_as_text(as_alice, patient):
    as_alice.post(grant_url(patient), {"kind": "marketing", "note": "<script>alert(1)</script>"})

    page = as_alice.get(f"/patients/{patient.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_answers_404_when_a_stranger_records_a_consent_and_writes_nothing(as_charlie, patient):
    response = as_charlie.post(grant_url(patient), {"kind": "marketing"})

    assert response.status_code == 404
    assert not patient.consents.filter(kind=ConsentKind.MARKETING).exists()
    assert not AuditEntry.objects.exclude(action=AuditAction.REFUSED).filter(patient__isnull=False).exists()


def test_it_keeps_patients_and_anonymous_visitors_from_recording_consent(as_pat, as_quinn, client, patient):
    assert as_pat.post(grant_url(patient), {"kind": "marketing"}).status_code == 403  # not even their own
    assert as_quinn.post(grant_url(patient), {"kind": "marketing"}).status_code == 403
    response = client.post(grant_url(patient), {"kind": "marketing"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert not patient.consents.filter(kind=ConsentKind.MARKETING).exists()


def test_it_records_consent_only_by_post(as_alice, patient):
    assert as_alice.get(grant_url(patient), {"kind": "marketing"}).status_code == 405
    assert not patient.consents.filter(kind=ConsentKind.MARKETING).exists()


# --- withdrawing -------------------------------------------------------------------------------------------


def test_it_asks_for_confirmation_before_withdrawing(as_alice, patient):
    consent = active(patient, ConsentKind.PHOTOGRAPHY)

    for response in (as_alice.get(withdraw_url(consent)), as_alice.post(withdraw_url(consent))):
        assert response.status_code == 200
        page = response.content.decode()
        assert "Withdraw it for Pat Doe now?" in page and "Yes, withdraw this consent" in page
        assert '<input type="hidden" name="confirm" value="yes">' in page
    assert active(patient, ConsentKind.PHOTOGRAPHY) == consent


def test_it_withdraws_a_consent_once_confirmed_and_audits_it(as_alice, alice, patient):
    consent = active(patient, ConsentKind.PHOTOGRAPHY)

    response = as_alice.post(withdraw_url(consent), {"confirm": "yes"})

    assert response.status_code == 302 and response["Location"] == f"/patients/{patient.pk}/#consents"
    consent.refresh_from_db()
    assert consent.withdrawn_at is not None and consent.withdrawn_by == alice
    assert not patient.has_consent(ConsentKind.PHOTOGRAPHY)
    entry = AuditEntry.objects.get(action=AuditAction.WITHDRAW)
    assert (entry.user, entry.patient, entry.detail) == (alice, patient, "photography")
    page = as_alice.get(response["Location"]).content.decode()
    assert "Clinical photography consent withdrawn." in page
    assert "No photography consent is recorded" in page


def test_it_says_when_a_consent_was_already_withdrawn(as_alice, patient):
    consent = active(patient, ConsentKind.TREATMENT)
    as_alice.post(withdraw_url(consent), {"confirm": "yes"})

    again = as_alice.post(withdraw_url(consent), {"confirm": "yes"}, follow=True)
    assert "This consent was already withdrawn." in again.content.decode()
    assert "already withdrawn on" in as_alice.get(withdraw_url(consent)).content.decode()
    assert AuditEntry.objects.filter(action=AuditAction.WITHDRAW).count() == 1


def test_it_lets_a_colleague_withdraw_a_consent(as_bob, bob, patient):
    consent = active(patient, ConsentKind.TREATMENT)

    as_bob.post(withdraw_url(consent), {"confirm": "yes"})

    consent.refresh_from_db()
    assert consent.withdrawn_by == bob


def test_it_answers_404_when_a_stranger_withdraws_and_writes_nothing(as_charlie, patient):
    consent = active(patient, ConsentKind.TREATMENT)

    for response in (
        as_charlie.post(withdraw_url(consent), {"confirm": "yes"}),
        as_charlie.post(withdraw_url(consent)),
        as_charlie.get(withdraw_url(consent)),
    ):
        assert response.status_code == 404
    consent.refresh_from_db()
    assert consent.withdrawn_at is None
    assert not AuditEntry.objects.exclude(action=AuditAction.REFUSED).filter(patient__isnull=False).exists()


def test_it_keeps_patients_and_anonymous_visitors_from_withdrawing(as_pat, client, patient):
    consent = active(patient, ConsentKind.TREATMENT)

    assert as_pat.post(withdraw_url(consent), {"confirm": "yes"}).status_code == 403
    response = client.post(withdraw_url(consent), {"confirm": "yes"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    consent.refresh_from_db()
    assert consent.withdrawn_at is None


def test_it_answers_404_for_a_consent_that_does_not_exist(as_alice, patient):
    assert as_alice.post("/consents/999999/withdraw/", {"confirm": "yes"}).status_code == 404


def test_it_audits_the_confirmation_page_as_a_read(as_alice, alice, patient: Any):
    consent = active(patient, ConsentKind.TREATMENT)

    as_alice.get(withdraw_url(consent))

    entry = AuditEntry.objects.get(action=AuditAction.VIEW)
    assert (entry.user, entry.patient, entry.object_type) == (alice, patient, "consent")
