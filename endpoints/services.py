"""What the pages and the admin do with registries: check, save, delete."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from endpoints import audit, secrets
from endpoints.forms import RegistryForm
from endpoints.models import ProxyCacheProject, Registry, ReplicationRule
from endpoints.probe.engine import run_check
from endpoints.probe.result import Category, StepResult, Verdict
from endpoints.validation import URL_CHANGED_MESSAGE

VERDICT_SALT = "endpoints.save-anyway-verdict"


def invalid_verdict(message: str, hint: str = "Correct the form and test again.") -> Verdict:
    """The verdict for input that cannot be tested (nothing was sent anywhere)."""
    return Verdict(
        ok=False,
        category=Category.INVALID,
        summary=message,
        steps=[StepResult("Check input", False, 0, message, hint)],
    )


def undecryptable_verdict() -> Verdict:
    return invalid_verdict(secrets.UNDECRYPTABLE_MESSAGE, secrets.UNDECRYPTABLE_MESSAGE)


def test_form_connection(form: RegistryForm) -> Verdict:
    """Test what the form says now. The stored secret is used only for the saved host."""
    if form.secret_withheld and form.chosen_provider.empty_credentials_use_server_identity:
        # Without the stored keys this provider would test with the server's own identity.
        return invalid_verdict(URL_CHANGED_MESSAGE, "Enter the Access Secret again to test.")
    try:
        target = form.connection_target()
    except secrets.SecretDecryptionError:
        return undecryptable_verdict()
    verdict = run_check(target)
    if form.secret_withheld:
        verdict.warnings.insert(
            0,
            "The stored Access Secret was not sent because the Endpoint URL changed: enter it "
            "again to test with credentials.",
        )
    return verdict


def check_registry(registry: Registry, user=None) -> Verdict:
    """Check a saved endpoint and store the outcome (also on failure)."""
    return check_registries([registry], user)[0][1]


def check_registries(
    registries: Iterable[Registry],
    user=None,
    pool: int | None = None,
    on_result: Callable[[Registry, Verdict], None] | None = None,
) -> list[tuple[Registry, Verdict]]:
    """Check many endpoints concurrently with a bounded pool.

    Only the network part runs in the worker threads; decrypting and storing results stay
    in the calling thread (one database connection). Every result is stored, also failures.
    """
    registries = list(registries)
    verdicts: dict[int, Verdict] = {}
    targets = {}
    for registry in registries:
        try:
            targets[registry.pk] = registry.connection_target()
        except secrets.SecretDecryptionError:
            verdicts[registry.pk] = undecryptable_verdict()
    by_pk = {registry.pk: registry for registry in registries}

    def store(done: dict[int, Verdict]) -> None:
        # Whatever finished together is stored in one transaction: one commit per batch,
        # not several per endpoint, keeps a slow database from throttling the pool.
        with transaction.atomic():
            for pk, verdict in done.items():
                registry = by_pk[pk]
                registry.record_verdict(verdict)
                if user is not None:
                    audit.log_event(
                        user, registry, f"Checked connection: {verdict.status} ({verdict.category})."
                    )
        if on_result is not None:
            for pk, verdict in done.items():
                on_result(by_pk[pk], verdict)

    store(dict(verdicts))
    workers = max(1, min(pool or settings.CHECK_REGISTRIES_POOL, len(targets) or 1))
    with ThreadPoolExecutor(max_workers=workers) as executor:
        pending = {executor.submit(run_check, target): pk for pk, target in targets.items()}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            done = {pending.pop(future): future.result() for future in finished}
            verdicts.update(done)
            store(done)
    return [(registry, verdicts[registry.pk]) for registry in registries]


def sign_verdict(verdict: Verdict, form: RegistryForm) -> str:
    """The failed test's result, signed together with what was tested."""
    return signing.dumps(
        {"category": verdict.category, "summary": verdict.summary, "ms": verdict.elapsed_ms,
         "tested": form.connection_fingerprint()},
        salt=VERDICT_SALT,
    )


def unsign_verdict(token: str, form: RegistryForm) -> Verdict | None:
    """The signed result, only if it is recent and about what the form says now."""
    try:
        data = signing.loads(token, salt=VERDICT_SALT, max_age=3600)
    except signing.BadSignature:
        return None
    if data.get("tested") != form.connection_fingerprint():
        return None
    return Verdict(ok=False, category=data["category"], summary=data["summary"],
                   elapsed_ms=data["ms"])


def save_registry(form: RegistryForm, user, verdict: Verdict | None) -> Registry:
    """Save the form, log the change (field names only) and store the test's outcome."""
    changed = form.changed_field_labels()
    with transaction.atomic():
        registry = form.save()
        if form.is_new:
            audit.log_addition(user, registry)
        else:
            audit.log_change(user, registry, changed)
    if verdict is not None:
        registry.record_verdict(verdict)
    return registry


@dataclass
class DeleteOutcome:
    deleted: bool
    rules: list[ReplicationRule] = field(default_factory=list)
    projects: list[ProxyCacheProject] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.deleted:
            return ""
        names = [f"replication rule “{r.name}”" for r in self.rules]
        names += [f"proxy-cache project “{p.name}”" for p in self.projects]
        if not names:
            return "Something started using it while it was being deleted; reload and try again."
        return "It is used by " + ", ".join(names) + "."


def delete_registry(registry: Registry, user) -> DeleteOutcome:
    """Delete inside a transaction; the database's foreign keys are the real guard, so a
    rule inserted after the confirmation page still blocks the delete (no 500)."""
    pk = registry.pk
    try:
        with transaction.atomic():
            registry.delete()
            registry.pk = pk  # delete() clears it; the log entry names the deleted row
            audit.log_deletion(user, registry)
    except (ProtectedError, IntegrityError):
        registry.pk = pk
        rules, projects = registry.used_by()
        return DeleteOutcome(False, rules, projects)
    return DeleteOutcome(True)
