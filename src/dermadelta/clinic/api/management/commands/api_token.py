"""``manage.py api_token``: create (the secret is printed once), list and revoke a staff member's API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from dermadelta.clinic.accounts.access import actor_of
from dermadelta.clinic.api import tokens
from dermadelta.clinic.api.models import ApiToken


class Command(BaseCommand):
    help = "Manage API tokens: create USERNAME --name NAME, list USERNAME, revoke PREFIX."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="create a token; its secret is printed once, never again")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="what the token is for")
        listing = commands.add_parser("list", help="list a user's tokens (prefixes only)")
        listing.add_argument("username")
        revoke = commands.add_parser("revoke", help="revoke a token at once")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "create":
            self._create(options["username"], options["name"])
        elif options["command"] == "list":
            self._list(options["username"])
        else:
            self._revoke(options["prefix"])

    def _user(self, username: str) -> Any:
        try:
            return get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user {username!r}") from None

    def _create(self, username: str, name: str) -> None:
        user = self._user(username)
        if not user.is_active or not actor_of(user).is_staff_member:
            raise CommandError(f"{username} is not active clinic staff (admin or practitioner): the API is for staff")
        try:
            issued = tokens.issue(user, name)
        except ValueError as error:
            raise CommandError(str(error)) from None
        self.stderr.write(f"Token {issued.token.prefix} for {username}. The secret is shown once; keep it safe:")
        self.stdout.write(issued.secret)

    def _list(self, username: str) -> None:
        user = self._user(username)
        rows = ApiToken.objects.filter(user=user)
        if not rows:
            self.stdout.write(f"{username} has no API tokens.")
        for token in rows:
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            created = f"{token.created_at:%Y-%m-%d}"
            self.stdout.write(f"{token.prefix}  {token.name}  created {created}  used {used}  {state}")

    def _revoke(self, prefix: str) -> None:
        try:
            token = tokens.revoke(prefix)
        except ApiToken.DoesNotExist:
            raise CommandError(f"no token with prefix {prefix!r}") from None
        self.stdout.write(f"Token {token.prefix} ({token.name}) of {token.user} is revoked.")
