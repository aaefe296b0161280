"""The quick start's admin account: `admin_password` sets a new random password and prints it
once (`make password`); `--create-only` creates the account on the first run (`make run`)
and otherwise only says how to get a new password.

The password is stored only as Django's hash; the output is the one place it appears.
"""

from __future__ import annotations

import secrets

from axes.utils import reset as reset_lockouts
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

LOGIN_URL = "http://127.0.0.1:8000/accounts/login/"
LOST = "Lost it? `make password` sets a new one and prints it."


class Command(BaseCommand):
    help = "Set a new random password for the quick start's admin account and print it once."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="admin")
        parser.add_argument("--create-only", action="store_true",
                            help="create the account if it is missing; leave an existing one alone")

    def handle(self, *args, username: str, create_only: bool, **options) -> None:
        users = get_user_model()
        user = users.objects.filter(username=username).first()
        password = secrets.token_urlsafe(16)
        if user is None:
            users.objects.create_superuser(username, email="", password=password)
            self.stdout.write(f"\nLog in at {LOGIN_URL} as {username} / {password}\n"
                              f"(shown once. {LOST})\n")
            return
        if create_only:
            self.stdout.write(f"{username} account exists. Forgot its password? `make password` "
                              "sets a new one and prints it.")
            return
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        reset_lockouts(username=username)  # failed logins before the reset no longer lock it
        self.stdout.write(f"New password for {username}: {password}\n"
                          f"(shown once; log in at {LOGIN_URL})")
