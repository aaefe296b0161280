"""Re-encrypt stored access secrets under the primary key, or verify they all decrypt.

Output is one summary line, `rotated=N skipped=M failed=K` (or `verified=N failed=K` with
--verify); rows that cannot be decrypted are listed by id and name, never by value.

Every column encrypted with endpoints.secrets is covered: a model lists its own in
`ENCRYPTED_FIELDS` (Registry's access secret; another app's, such as the monitor's
webhook signing secrets), so this command needs to import none of them.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Model, Q

from endpoints import secrets


def batched(items: list[int], size: int) -> Iterator[list[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def encrypted_columns() -> list[tuple[type[Model], str]]:
    """(model, field) for every column holding secrets' envelopes, in a stable order."""
    return [(model, field) for model in sorted(apps.get_models(), key=lambda m: m._meta.label)
            for field in getattr(model, "ENCRYPTED_FIELDS", ())]


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

    def report_failure(self, model: type[Model], pk: int, name: str,
                       exc: secrets.SecretDecryptionError) -> None:
        what = "registry" if model._meta.label == "endpoints.Registry" else model._meta.verbose_name
        self.stderr.write(f"cannot decrypt {what} id={pk} name={name!r}: {exc}")

    def rotate(self, primary: str, batch_size: int, dry_run: bool) -> None:
        rotated = skipped = failed = pending_total = 0
        for model, column in encrypted_columns():
            on_primary = Q(**{column: ""}) | Q(
                **{f"{column}__startswith": f"{secrets.ENVELOPE_VERSION}:{primary}:"})
            skipped += model.objects.filter(on_primary).count()
            pending = list(model.objects.exclude(on_primary).order_by("pk").values_list("pk", flat=True))
            pending_total += len(pending)
            for chunk in batched(pending, batch_size):
                with transaction.atomic():
                    rows = model.objects.filter(pk__in=chunk)
                    if not dry_run:
                        rows = rows.select_for_update()
                    changed = []
                    for pk, name, envelope in rows.values_list("pk", "name", column):
                        if not envelope or not secrets.needs_rotation(envelope):
                            skipped += 1  # edited (or cleared) since the ids were read
                            continue
                        try:
                            changed.append(model(pk=pk, **{column: secrets.rotate(envelope)}))
                        except secrets.SecretDecryptionError as exc:
                            failed += 1
                            self.report_failure(model, pk, name, exc)
                    if not dry_run:
                        model.objects.bulk_update(changed, [column])
                    rotated += len(changed)
        if dry_run:
            self.stdout.write(
                f"Dry run: {pending_total} stored secrets are not on the primary key "
                f"'{primary}'; nothing is written."
            )
        self.stdout.write(f"rotated={rotated} skipped={skipped} failed={failed}")
        if failed:
            raise CommandError(
                f"{failed} stored secrets cannot be decrypted with the configured keys: restore "
                "the key they were written with, or enter those secrets again."
            )

    def verify(self, batch_size: int) -> None:
        verified = failed = 0
        for model, column in encrypted_columns():
            rows = (
                model.objects.exclude(**{column: ""})
                .order_by("pk")
                .values_list("pk", "name", column)
            )
            for pk, name, envelope in rows.iterator(chunk_size=batch_size):
                try:
                    secrets.decrypt(envelope)
                except secrets.SecretDecryptionError as exc:
                    failed += 1
                    self.report_failure(model, pk, name, exc)
                    continue
                verified += 1
        self.stdout.write(f"verified={verified} failed={failed}")
        if failed:
            raise CommandError(f"{failed} stored secrets cannot be decrypted with the configured keys.")
