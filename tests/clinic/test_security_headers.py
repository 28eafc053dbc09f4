"""Every answer carries the security headers: a CSP without inline scripts, no-store, nosniff, referrer policy."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client
from django.urls import reverse

from dermadelta.clinic import front
from dermadelta.clinic.api import tokens
from tests.clinic import test_isolation
from tests.clinic.test_isolation import WITHOUT_RECORD, _record_urls

#: A row of every kind in a patient's record, as the isolation walk seeds it.
record_of_pat = test_isolation.record_of_pat

TEMPLATES = Path(front.__file__).parent / "templates"


def _directives(response: Any) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}


def assert_hardened(response: Any, where: str) -> None:
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"], where  # no inline script, no event handler, no eval
    assert directives["object-src"] == ["'none'"] and directives["frame-ancestors"] == ["'none'"], where
    assert "'unsafe-inline'" not in directives.get("default-src", []), where
    assert "no-store" in response["Cache-Control"], where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where


def test_every_page_of_a_clinic_carries_the_headers(record_of_pat, as_bob, as_pat, client):
    pages = [*_record_urls(record_of_pat), *(reverse(name) for name in sorted(WITHOUT_RECORD))]
    for url in pages:
        assert_hardened(as_bob.get(url), f"GET {url} (clinic admin)")
        assert_hardened(client.get(url), f"GET {url} (signed out)")
    for url in (reverse("portal"), reverse("login"), "/no-such-page/", reverse("calendar_feed", args=["nope"])):
        assert_hardened(as_pat.get(url), f"GET {url} (patient)")
    assert_hardened(client.post(reverse("login"), {"username": "x", "password": "y"}), "POST login")


def test_every_api_answer_carries_the_headers(record_of_pat, bob, client):
    api = Client(headers={"Authorization": f"Bearer {tokens.issue(bob, 'tests').secret}"})
    patient = record_of_pat["patient"]
    for url in (f"/api/v1/patients/{patient}", "/api/v1/patients", f"/api/v1/patients/{patient}/photos"):
        response = api.get(url)
        assert response.status_code == 200, url
        assert_hardened(response, url)
    for url in ("/api/v1/patients", "/api/v1/openapi.json", "/api/v1/nowhere"):
        assert_hardened(client.get(url), url)
    assert_hardened(client.get("/api/v1/docs"), "API docs page")


def test_hsts_is_sent_over_https_when_https_is_configured(settings, client):
    settings.SECURE_HSTS_SECONDS = 31_536_000

    assert client.get(reverse("login"), secure=True)["Strict-Transport-Security"] == "max-age=31536000"


def _setting(name: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("DERMADELTA_HTTPS")}
    code = f"from dermadelta.clinic import settings; print(settings.{name})"
    done = subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_hsts_follows_the_https_setting(tmp_path):
    data = {"DERMADELTA_DATA_DIR": str(tmp_path)}

    assert _setting("SECURE_HSTS_SECONDS", **data) == "0"
    assert _setting("SECURE_HSTS_SECONDS", DERMADELTA_HTTPS="1", **data) == str(365 * 24 * 3600)


def test_no_page_template_holds_an_inline_script_event_handler_or_style():
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text, flags=re.I):
            assert "src=" in tag, f"{template.name}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", text, flags=re.I), f"{template.name}: an inline event handler"
        assert "javascript:" not in text.lower(), f"{template.name}: a javascript: address"
        # style-src 'self' would drop these too: styles belong in the app's style sheets
        assert not re.search(r"<style\b|\sstyle\s*=", text, flags=re.I), f"{template.name}: an inline style"


def test_the_printable_handout_allows_its_own_styles_but_no_script(as_bob, record_of_pat):
    handout = as_bob.get(reverse("plan_handout", args=[record_of_pat["plan"]]), {"format": "html"})
    page = as_bob.get(reverse("plan", args=[record_of_pat["plan"]]))

    assert_hardened(handout, "the handout")
    assert "'unsafe-inline'" in _directives(handout)["style-src"]
    assert _directives(page)["style-src"] == ["'self'"]  # every other page: the app's own style sheets only
