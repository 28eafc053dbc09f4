"""Settings come from environment variables through typed helpers that fail loudly."""

from __future__ import annotations

import stat

import pytest
from django.core.exceptions import ImproperlyConfigured

from dermadelta.clinic.env import env_bool, env_int, env_list, env_path, secret_key


@pytest.mark.parametrize(("raw", "expected"), [("1", True), ("yes", True), ("ON", True), ("0", False), ("off", False)])
def test_it_reads_yes_no_values(monkeypatch, raw, expected):
    monkeypatch.setenv("DD_FLAG", raw)
    assert env_bool("DD_FLAG", not expected) is expected


def test_it_uses_the_default_when_a_variable_is_unset(monkeypatch):
    monkeypatch.delenv("DD_FLAG", raising=False)
    assert env_bool("DD_FLAG", True) is True
    assert env_int("DD_FLAG", 7) == 7
    assert env_list("DD_FLAG", ["a"]) == ["a"]


@pytest.mark.parametrize("raw", ["maybe", "2", "tru"])
def test_it_refuses_a_flag_that_is_not_yes_or_no(monkeypatch, raw):
    monkeypatch.setenv("DD_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="DD_FLAG"):
        env_bool("DD_FLAG", False)


@pytest.mark.parametrize("raw", ["ten", "1.5", ""])
def test_it_refuses_a_number_that_is_not_whole(monkeypatch, raw):
    monkeypatch.setenv("DD_NUMBER", raw)
    with pytest.raises(ImproperlyConfigured, match="DD_NUMBER"):
        env_int("DD_NUMBER", 1)


def test_it_refuses_a_number_below_its_minimum(monkeypatch):
    monkeypatch.setenv("DD_NUMBER", "0")
    with pytest.raises(ImproperlyConfigured, match="minimum"):
        env_int("DD_NUMBER", 5, minimum=1)


def test_it_splits_lists_and_drops_blanks(monkeypatch):
    monkeypatch.setenv("DD_HOSTS", " clinic.example, ,127.0.0.1 ")
    assert env_list("DD_HOSTS", []) == ["clinic.example", "127.0.0.1"]


def test_it_resolves_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("DD_DIR", str(tmp_path / "x" / ".." / "data"))
    assert env_path("DD_DIR", tmp_path) == tmp_path / "data"


def test_it_keeps_one_private_secret_key_in_the_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DERMADELTA_SECRET_KEY", raising=False)
    first = secret_key(tmp_path)
    assert len(first) >= 50
    assert secret_key(tmp_path) == first  # survives restarts, so sessions do
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def test_it_prefers_the_secret_key_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_SECRET_KEY", "k" * 40)
    assert secret_key(tmp_path) == "k" * 40
    assert not (tmp_path / "secret_key").exists()


def test_it_refuses_a_short_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("DERMADELTA_SECRET_KEY", "short")
    with pytest.raises(ImproperlyConfigured, match="32"):
        secret_key(tmp_path)
