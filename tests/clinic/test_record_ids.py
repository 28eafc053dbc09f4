"""An id in an address that no database key can hold names no record: 404, on SQLite and PostgreSQL alike.

Neither database can store such a number (SQLite cannot even be asked, PostgreSQL
refuses to compare it with a bigint); Django answers such a look-up with no rows
before it reaches the database. The URL map is read from the front end itself,
so a page added later is checked too.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import URLPattern, reverse

from dermadelta.clinic.front import urls as front_urls

LARGEST_KEY = 2**63 - 1  # a signed 64-bit integer, the largest id either database holds
BEYOND_ANY_KEY = [2**63, 99999999999999999999, 10**40]
EXTRA_ARGUMENTS = {"comparison_visual": ["before"]}


def _pages_of_one_record() -> list[str]:
    return [
        p.name for p in front_urls.urlpatterns if isinstance(p, URLPattern) and p.name and "pk" in p.pattern.converters
    ]


def test_the_url_map_has_pages_of_one_record():
    assert {"patient", "photo_image", "comparison_pdf", "consent_withdraw"} <= set(_pages_of_one_record())


@pytest.mark.parametrize("name", _pages_of_one_record())
@pytest.mark.parametrize("pk", BEYOND_ANY_KEY)
def test_an_id_beyond_any_database_key_is_not_found(as_bob: Any, name: str, pk: int):
    url = reverse(name, args=[pk, *EXTRA_ARGUMENTS.get(name, [])])

    assert as_bob.get(url).status_code == 404
    assert as_bob.post(url).status_code == 404


@pytest.mark.parametrize("name", ["patient", "photo", "comparison_pdf"])
def test_the_largest_key_is_an_ordinary_missing_record(as_bob: Any, name: str):
    assert as_bob.get(reverse(name, args=[LARGEST_KEY])).status_code == 404
