"""The caller's address behind the clinic's own proxies: read from X-Forwarded-For only when a trusted proxy sent it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, RequestFactory
from django.urls import reverse

from dermadelta.clinic.audit.log import client_ip
from dermadelta.clinic.env import env_addresses

PROXY, EDGE = "10.0.0.2", "10.0.0.3"


def _address(remote: str, forwarded: str | None = None) -> str | None:
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


@pytest.fixture
def proxies(settings):
    settings.TRUSTED_PROXIES = frozenset({PROXY, EDGE, "2001:db8::1"})


def test_without_trusted_proxies_the_header_is_never_read(settings):
    settings.TRUSTED_PROXIES = frozenset()
    assert _address("203.0.113.7", "198.51.100.1") == "203.0.113.7"


@pytest.mark.usefixtures("proxies")
@pytest.mark.parametrize(
    ("remote", "forwarded", "caller"),
    [
        ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a proxy of the clinic's: a forged header
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, f"198.51.100.1, {EDGE}", "198.51.100.1"),  # through two of the clinic's proxies
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client wrote 6.6.6.6 itself
        (PROXY, "not an address, 198.51.100.1", "198.51.100.1"),
        (PROXY, "198.51.100.1, not an address", PROXY),  # malformed where a proxy wrote: trust nothing left of it
        (PROXY, "", PROXY),
        (PROXY, None, PROXY),
        (PROXY, f"{EDGE}, {PROXY}", PROXY),  # only proxies: the nearest one
        ("2001:db8:0:0::1", "2001:DB8::7", "2001:db8::7"),  # IPv6 compared and written one way
    ],
)
def test_behind_a_trusted_proxy_the_right_most_other_address_is_the_caller(remote, forwarded, caller):
    assert _address(remote, forwarded) == caller


def test_a_malformed_proxy_list_stops_start_up_naming_the_variable(monkeypatch):
    monkeypatch.setenv("DERMADELTA_TRUSTED_PROXIES", "10.0.0.2, proxy.example")
    with pytest.raises(ImproperlyConfigured, match="DERMADELTA_TRUSTED_PROXIES: 'proxy.example'"):
        env_addresses("DERMADELTA_TRUSTED_PROXIES")
    monkeypatch.setenv("DERMADELTA_TRUSTED_PROXIES", " 10.0.0.2 ,::1")
    assert env_addresses("DERMADELTA_TRUSTED_PROXIES") == {"10.0.0.2", "::1"}


@pytest.mark.django_db
@pytest.mark.usefixtures("proxies")
def test_behind_a_proxy_one_callers_failures_do_not_hold_back_another(settings, alice):
    from tests.clinic.conftest import PASSWORD

    login = reverse("login")
    behind_proxy = Client(REMOTE_ADDR=PROXY)
    for number in range(settings.AXES_FAILURE_LIMIT):
        # Each failure from another caller's address for another (unknown) account: only the address could count.
        behind_proxy.post(login, {"username": f"nobody{number}", "password": "x"}, HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert (
        behind_proxy.post(
            login, {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="203.0.113.7"
        ).status_code
        == 429
    )
    answer = behind_proxy.post(login, {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert answer.status_code == 302  # signed in: the other caller was not held back
