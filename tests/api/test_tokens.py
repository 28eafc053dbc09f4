"""API tokens: created once with its secret shown, stored only as a hash, refused once revoked; staff only."""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client

from dermadelta.clinic.api.models import ApiToken
from tests.api.conftest import BASE, error_of

PATIENTS = f"{BASE}/patients"


def create_token(username: str, name: str = "lab integration") -> tuple[str, str]:
    """``api_token create``: (the secret printed on stdout, what was said on stderr)."""
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", "create", username, "--name", name, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def bearer(secret: str) -> Client:
    return Client(headers={"Authorization": f"Bearer {secret}"})


def test_a_created_token_works_and_only_its_hash_is_stored(alice, patient):
    secret, said = create_token("alice")

    token = ApiToken.objects.get(user=alice)
    assert secret.startswith(token.prefix + "_") and token.prefix in said and secret not in said
    assert token.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    stored = [str(getattr(token, f.attname)) for f in ApiToken._meta.concrete_fields]
    assert not any(secret in value for value in stored)
    assert token.name == "lab integration" and token.last_used_at is None

    response = bearer(secret).get(PATIENTS)

    assert response.status_code == 200 and response.json()["count"] == 1
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused_at_once(alice):
    secret, _ = create_token("alice")
    client = bearer(secret)
    assert client.get(PATIENTS).status_code == 200
    prefix = ApiToken.objects.get(user=alice).prefix

    out = io.StringIO()
    call_command("api_token", "revoke", prefix, stdout=out)

    assert "revoked" in out.getvalue()
    error = error_of(client.get(PATIENTS), 401, "unauthorized")
    assert "revoked" in error["message"]


def test_it_lists_a_users_tokens_by_prefix_never_the_secret(alice):
    secret, _ = create_token("alice", "first")
    create_token("alice", "second")
    call_command("api_token", "revoke", ApiToken.objects.get(name="first").prefix, stdout=io.StringIO())

    out = io.StringIO()
    call_command("api_token", "list", "alice", stdout=out)

    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and secret not in out.getvalue()
    assert any("first" in line and "revoked" in line for line in lines)
    assert any("second" in line and "active" in line for line in lines)


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        (["create", "nobody", "--name", "x"], "no user"),
        (["create", "pat", "--name", "x"], "not active clinic staff"),
        (["create", "alice", "--name", "   "], "name"),
        (["revoke", "dd_00000000"], "no token"),
        (["list", "nobody"], "no user"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(alice, patient, arguments, says):
    with pytest.raises(CommandError, match=says):
        call_command("api_token", *arguments, stdout=io.StringIO(), stderr=io.StringIO())
    assert not ApiToken.objects.exists()


def test_a_patients_token_is_forbidden(api_pat):
    error = error_of(api_pat.get(PATIENTS), 403, "forbidden")
    assert "staff" in error["message"]


def test_a_deactivated_accounts_token_is_refused(api_alice, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)
    error = error_of(api_alice.get(PATIENTS), 401, "unauthorized")
    assert "deactivated" in error["message"]


def test_a_staff_member_who_left_the_clinic_is_forbidden(api_alice, alice):
    alice.membership.delete()
    error_of(api_alice.get(PATIENTS), 403, "forbidden")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token abc",
        "Basic YWxpY2U6cGFzc3dvcmQ=",
        "Bearer dd_00000000_not-a-real-secret",
        "Bearer " + "x" * 10_000,
        "Bearer dd_\u00e9\u00e8\u2603",
    ],
)
def test_it_answers_401_without_a_valid_bearer_token(alice, header):
    client = Client(headers={"Authorization": header} if header is not None else {})
    response = client.get(PATIENTS)
    error = error_of(response, 401, "unauthorized")
    assert "Bearer" in error["message"] and response["WWW-Authenticate"].startswith("Bearer")


def test_a_signed_in_browser_session_is_not_enough(as_alice):
    """The API reads the token only: a session cookie (which a browser would send by itself) is ignored."""
    error_of(as_alice.get(PATIENTS), 401, "unauthorized")
    error_of(as_alice.post(PATIENTS, {}, content_type="application/json"), 401, "unauthorized")


def test_the_token_decides_who_is_asking_not_the_session(api_charlie, patient, alice):
    api_charlie.force_login(alice)  # alice's session cookie, charlie's token
    error_of(api_charlie.get(f"{PATIENTS}/{patient.pk}"), 404, "not_found")


def test_the_admin_shows_tokens_read_only(admin_client: Any, alice):
    create_token("alice")
    token = ApiToken.objects.get()

    listing = admin_client.get("/admin/api/apitoken/")
    page = admin_client.get(f"/admin/api/apitoken/{token.pk}/change/")

    assert listing.status_code == 200 and token.prefix in listing.content.decode()
    assert page.status_code == 200 and token.secret_hash not in page.content.decode()
    assert admin_client.get("/admin/api/apitoken/add/").status_code == 403
    assert admin_client.post(f"/admin/api/apitoken/{token.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ApiToken.objects.filter(pk=token.pk).exists()
