"""Print a new `key-id=fernet-key` line for REGISTRY_SECRET_KEYS."""

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from endpoints import secrets


class Command(BaseCommand):
    help = (
        "Print a new 'key-id=fernet-key' line. Put it first in REGISTRY_SECRET_KEYS (keep the "
        "old keys after it), then run rotate_secret_keys."
    )
    # Must work before any key is configured, when the harborreg.E001 check fails.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--key-id",
            help="Key id (letters, digits, '.', '_', '-'; at most 32). Default: k<UTC timestamp>.",
        )

    def handle(self, *args, key_id: str | None = None, **options) -> None:
        key_id = key_id or f"k{timezone.now():%Y%m%d%H%M%S}"
        if not secrets.KEY_ID_RE.match(key_id):
            raise CommandError("--key-id must be 1 to 32 letters, digits, '.', '_' or '-'.")
        self.stdout.write(secrets.new_key_entry(key_id))
