"""Re-encrypt stored access secrets under the primary key, or verify they all decrypt.

Output is one summary line, `rotated=N skipped=M failed=K` (or `verified=N failed=K` with
--verify); rows that cannot be decrypted are listed by id and name, never by value.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q

from endpoints import secrets
from endpoints.models import Registry


def batched(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored access secret that is not on the primary key (the first of "
        "REGISTRY_SECRET_KEYS). Prints 'rotated=N skipped=M failed=K'; exits 1 when a secret "
        "cannot be decrypted. --verify only proves that every secret decrypts."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Decrypt and count, write nothing.")
        parser.add_argument(
            "--verify",
            action="store_true",
            help="Decrypt every stored secret with the configured keys; write nothing.",
        )
        parser.add_argument("--batch-size", type=int, default=500, help="Rows per transaction (default 500).")

    def handle(self, *args, dry_run: bool, verify: bool, batch_size: int, **options) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        secrets.reset_key_cache()
        try:
            primary = secrets.primary_key_id()
        except secrets.SecretKeyConfigError as exc:
            raise CommandError(str(exc)) from None
        if verify:
            self.verify(batch_size)
        else:
            self.rotate(primary, batch_size, dry_run)

    def report_failure(self, pk: int, name: str, exc: secrets.SecretDecryptionError) -> None:
        self.stderr.write(f"cannot decrypt registry id={pk} name={name!r}: {exc}")

    def rotate(self, primary: str, batch_size: int, dry_run: bool) -> None:
        on_primary = Q(access_secret_encrypted="") | Q(
            access_secret_encrypted__startswith=f"{secrets.ENVELOPE_VERSION}:{primary}:"
        )
        skipped = Registry.objects.filter(on_primary).count()
        pending = list(Registry.objects.exclude(on_primary).order_by("pk").values_list("pk", flat=True))
        if dry_run:
            self.stdout.write(
                f"Dry run: {len(pending)} stored secrets are not on the primary key "
                f"'{primary}'; nothing is written."
            )
        rotated = failed = 0
        for chunk in batched(pending, batch_size):
            with transaction.atomic():
                rows = Registry.objects.filter(pk__in=chunk)
                if not dry_run:
                    rows = rows.select_for_update()
                changed = []
                for pk, name, envelope in rows.values_list("pk", "name", "access_secret_encrypted"):
                    if not envelope or not secrets.needs_rotation(envelope):
                        skipped += 1  # edited (or cleared) since the ids were read
                        continue
                    try:
                        changed.append(Registry(pk=pk, access_secret_encrypted=secrets.rotate(envelope)))
                    except secrets.SecretDecryptionError as exc:
                        failed += 1
                        self.report_failure(pk, name, exc)
                if not dry_run:
                    Registry.objects.bulk_update(changed, ["access_secret_encrypted"])
                rotated += len(changed)
        self.stdout.write(f"rotated={rotated} skipped={skipped} failed={failed}")
        if failed:
            raise CommandError(
                f"{failed} stored secrets cannot be decrypted with the configured keys: restore "
                "the key they were written with, or enter those secrets again."
            )

    def verify(self, batch_size: int) -> None:
        verified = failed = 0
        rows = (
            Registry.objects.exclude(access_secret_encrypted="")
            .order_by("pk")
            .values_list("pk", "name", "access_secret_encrypted")
        )
        for pk, name, envelope in rows.iterator(chunk_size=batch_size):
            try:
                secrets.decrypt(envelope)
            except secrets.SecretDecryptionError as exc:
                failed += 1
                self.report_failure(pk, name, exc)
                continue
            verified += 1
        self.stdout.write(f"verified={verified} failed={failed}")
        if failed:
            raise CommandError(f"{failed} stored secrets cannot be decrypted with the configured keys.")
