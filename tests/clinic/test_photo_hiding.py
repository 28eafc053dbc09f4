"""Hiding a wrong upload: by its uploader or a clinic admin, audited, out of every list; an admin shows it again."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from dermadelta.clinic.accounts.access import actor_of
from dermadelta.clinic.accounts.models import Membership, Role
from dermadelta.clinic.audit.models import AuditAction, AuditEntry
from dermadelta.clinic.records import actions
from dermadelta.clinic.records.models import Comparison, Photo
from dermadelta.clinic.records.photo_visibility import hide_photo, show_photo
from tests.clinic.conftest import signed_in
from tests.clinic.photo_records import LONDON, MEASURED, comparison, photo

DAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)


@pytest.fixture
def dana(riverside) -> User:
    """Another Riverside practitioner, who did not upload the photos."""
    user = User.objects.create_user("dana", "dana@example.org", "x", first_name="Dana", last_name="Diaz")
    Membership.objects.create(user=user, clinic=riverside, role=Role.PRACTITIONER)
    return user


@pytest.fixture
def pair(patient, alice):
    baseline = photo(patient, taken=DAY, by=alice)
    dog = photo(patient, taken=DAY + dt.timedelta(days=30), by=alice)
    return baseline, dog, comparison(baseline, dog, result=MEASURED)


def _hide(client, shot):
    return client.post(reverse("photo_hide", args=[shot.pk]))


def test_its_uploader_hides_it_from_lists_comparisons_and_choices(as_alice, patient, pair, alice):
    baseline, dog, measured = pair

    response = _hide(as_alice, dog)

    assert response.status_code == 302
    dog = Photo.with_hidden.get(pk=dog.pk)
    assert dog.hidden and dog.hidden_by == alice
    assert list(patient.photos.all()) == [baseline]
    assert not patient.comparisons.exists() and Comparison.with_hidden.filter(pk=measured.pk).exists()
    page = as_alice.get(reverse("patient", args=[patient.pk])).content.decode()
    assert reverse("photo", args=[dog.pk]) not in page and reverse("comparison", args=[measured.pk]) not in page
    assert "Hidden photos" in page and dog.label in page
    assert as_alice.get(reverse("photo", args=[dog.pk])).status_code == 404
    assert as_alice.get(reverse("comparison", args=[measured.pk])).status_code == 404
    baseline_page = as_alice.get(reverse("photo", args=[baseline.pk])).content.decode()
    assert f'<option value="{dog.pk}"' not in baseline_page
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_id=str(dog.pk), detail="hidden")
    assert entry.user == alice


def test_a_hidden_photo_is_out_of_the_portal(as_pat, as_alice, pair):
    _, dog, _ = pair
    _hide(as_alice, dog)

    page = as_pat.get(reverse("portal")).content.decode()

    assert reverse("photo", args=[dog.pk]) not in page
    assert as_pat.get(reverse("photo_image", args=[dog.pk])).status_code == 404


def test_a_clinic_admin_hides_anyones_photo_and_shows_it_again(as_bob, pair, patient):
    _, dog, measured = pair

    assert _hide(as_bob, dog).status_code == 302
    assert as_bob.post(reverse("photo_show", args=[dog.pk])).status_code == 302

    assert not Photo.objects.get(pk=dog.pk).hidden
    assert patient.comparisons.filter(pk=measured.pk).exists()
    assert AuditEntry.objects.filter(object_id=str(dog.pk), detail="shown again").count() == 1


def test_a_colleague_who_did_not_upload_it_cannot_hide_it(dana, pair):
    _, dog, _ = pair

    response = _hide(signed_in(dana), dog)

    assert response.status_code == 302 and response["Location"] == reverse("photo", args=[dog.pk])
    assert not Photo.objects.get(pk=dog.pk).hidden
    assert not AuditEntry.objects.filter(detail="hidden").exists()


def test_only_an_admin_shows_a_hidden_photo_again(as_alice, pair):
    _, dog, _ = pair
    _hide(as_alice, dog)

    as_alice.post(reverse("photo_show", args=[dog.pk]))

    assert Photo.with_hidden.get(pk=dog.pk).hidden
    assert "Show again" not in as_alice.get(reverse("patient", args=[dog.patient_id])).content.decode()


def test_a_stranger_cannot_hide_or_show_another_clinics_photo(as_charlie, as_alice, pair, harbour):
    _, dog, _ = pair

    assert _hide(as_charlie, dog).status_code == 404
    assert not Photo.objects.get(pk=dog.pk).hidden
    _hide(as_alice, dog)
    assert as_charlie.post(reverse("photo_show", args=[dog.pk])).status_code == 404
    assert Photo.with_hidden.get(pk=dog.pk).hidden
    assert AuditEntry.objects.filter(action=AuditAction.REFUSED, object_id=str(dog.pk)).count() == 2


def test_a_patient_cannot_hide_their_own_photo(as_pat, pair):
    _, dog, _ = pair

    assert _hide(as_pat, dog).status_code == 403
    assert not Photo.objects.get(pk=dog.pk).hidden


def test_hiding_twice_is_refused_and_audited_once(alice, pair):
    _, dog, _ = pair
    hide_photo(dog, actor=actor_of(alice))

    with pytest.raises(actions.ActionError, match="already hidden"):
        hide_photo(dog, actor=actor_of(alice))
    assert AuditEntry.objects.filter(object_id=str(dog.pk), detail="hidden").count() == 1


def test_showing_a_photo_that_is_not_hidden_is_refused(bob, pair):
    with pytest.raises(actions.ActionError, match="not hidden"):
        show_photo(pair[1], actor=actor_of(bob))


def test_hiding_needs_a_post(as_alice, pair):
    assert as_alice.get(reverse("photo_hide", args=[pair[1].pk])).status_code == 405
    assert not Photo.objects.get(pk=pair[1].pk).hidden


def test_a_hidden_photo_cannot_be_compared(alice, patient, pair):
    baseline, dog, _ = pair
    third = photo(patient, taken=DAY + dt.timedelta(days=60), by=alice)
    hide_photo(dog, actor=actor_of(alice))
    dog = Photo.with_hidden.get(pk=dog.pk)

    with pytest.raises(actions.ActionError, match="hidden"):
        actions.request_comparison(dog, third, by=alice)
    assert actions.baseline_photo(third) == baseline


def test_the_compare_form_refuses_a_hidden_photo(as_alice, alice, patient, pair):
    baseline, dog, _ = pair
    hide_photo(dog, actor=actor_of(alice))

    response = as_alice.post(reverse("comparison_new", args=[patient.pk]), {"before": baseline.pk, "after": dog.pk})

    assert response.status_code == 400
    assert Comparison.with_hidden.count() == 1
