"""Error pages in the application's look, a favicon, and the Sources page."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse


def test_a_missing_page_is_styled_and_says_what_to_do(as_alice):
    response = as_alice.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in page and "front/app.css" in page and 'href="/"' in page


def test_a_strangers_patient_answers_the_styled_404(as_charlie, patient):
    response = as_charlie.get(reverse("patient", args=[patient.pk]))
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_refused_page_is_styled(as_pat):
    # A patient may not open the staff dashboard.
    response = as_pat.get(reverse("audit_log"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "front/app.css" in page and "You cannot open this page" in page


def test_a_server_error_page_is_styled_without_a_request(db):
    from django.template.loader import render_to_string

    page = render_to_string("500.html")  # as Django's handler renders it: no request, no context
    assert "Something went wrong on our side" in page and "front/app.css" in page


def test_an_expired_form_is_styled_and_says_nothing_was_saved(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("patient_new"), {"first_name": "x"})
    page = response.content.decode()
    assert response.status_code == 403 and "This form has expired" in page and "Nothing was saved" in page


def test_every_page_names_its_favicon_and_the_old_address_finds_it(as_alice, client):
    assert 'rel="icon" href="/static/front/favicon.svg"' in as_alice.get(reverse("dashboard")).content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"] == "/static/front/favicon.svg"


def test_the_sources_page_lists_every_source_in_full(as_alice, as_pat, client):
    for who in (as_alice, as_pat):
        page = who.get(reverse("sources")).content.decode()
        assert "Alster TS, Graham PM. Microneedling: a review and practical guide." in page
        assert "Understanding Micro Needling Results: How Long Until You See Changes?" in page
        assert ".txt" not in page and "DESIGN" not in page
    assert 'href="/sources/"' in as_alice.get(reverse("dashboard")).content.decode()
    assert client.get(reverse("sources")).status_code == 302  # signed-in users only
