"""Fixtures of the API tests: the clinic fixtures (alice, bob, charlie, Pat...) and a token-carrying client each."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from dermadelta.clinic.api import tokens
from tests.clinic.conftest import *  # noqa: F403

BASE = "/api/v1"


def with_token(user: Any) -> Client:
    """A client that sends a fresh API token of ``user`` on every request (and no session cookie)."""
    secret = tokens.issue(user, "tests").secret
    return Client(headers={"Authorization": f"Bearer {secret}"})


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    """The error body, after checking the status and that it has the API's one error shape."""
    assert response.status_code == status, (response.status_code, response.content[:2000])
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code and isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    for detail in error["details"]:
        assert set(detail) == {"field", "message"} and isinstance(detail["message"], str)
    return error


@pytest.fixture
def api_alice(alice: Any) -> Client:
    return with_token(alice)


@pytest.fixture
def api_bob(bob: Any) -> Client:
    return with_token(bob)


@pytest.fixture
def api_charlie(charlie: Any) -> Client:
    return with_token(charlie)


@pytest.fixture
def api_pat(patient: Any) -> Client:
    return with_token(patient.user)
