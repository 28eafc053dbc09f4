"""Errors that are the user's to fix: the CLI prints them on one line and exits 2."""

from __future__ import annotations


class DermadeltaError(Exception):
    """Base class for every error dermadelta reports to a person, never as a traceback."""


class InputError(DermadeltaError, ValueError):
    """Bad input: an unreadable photo, an unknown zone, an impossible date, a malformed rules file."""
