"""The API leaves hidden photos out and refuses to compare one."""

from __future__ import annotations

import datetime as dt

from dermadelta.clinic.accounts.access import actor_of
from dermadelta.clinic.records.models import Comparison
from dermadelta.clinic.records.photo_visibility import hide_photo
from tests.api.conftest import BASE, error_of
from tests.clinic.photo_records import LONDON, photo

DAY = dt.datetime(2026, 11, 30, 9, 0, tzinfo=LONDON)


def test_comparing_with_a_hidden_photo_is_refused(api_alice, alice, patient):
    baseline, dog = photo(patient, taken=DAY, by=alice), photo(patient, taken=DAY + dt.timedelta(days=30), by=alice)
    hide_photo(dog, actor=actor_of(alice))

    response = api_alice.post(
        f"{BASE}/patients/{patient.pk}/comparisons",
        {"before_id": baseline.pk, "after_id": dog.pk},
        content_type="application/json",
    )

    error_of(response, 404, "not_found")
    assert not Comparison.with_hidden.exists()


def test_a_hidden_photo_is_not_listed_and_not_found(api_alice, alice, patient):
    baseline, dog = photo(patient, taken=DAY, by=alice), photo(patient, taken=DAY + dt.timedelta(days=30), by=alice)
    hide_photo(dog, actor=actor_of(alice))

    listed = api_alice.get(f"{BASE}/patients/{patient.pk}/photos").json()

    assert [item["id"] for item in listed["items"]] == [baseline.pk]
    assert listed["items"][0]["label"].startswith("Consultation of 30 Nov 2026 · front")
    error_of(api_alice.get(f"{BASE}/photos/{dog.pk}"), 404, "not_found")
