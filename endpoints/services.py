"""What the pages and the admin do with registries: check, save, delete."""

from __future__ import annotations

import os
import queue
import resource
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from endpoints import audit, secrets, throttle
from endpoints.models import ConnectionAttempt, ProxyCacheProject, Registry, ReplicationRule
from endpoints.probe.errors import LocalResourceError
from endpoints.probe.result import Category, StepResult, Verdict
from endpoints.probe.target import Target
from endpoints.providers import get_provider, run_check
from endpoints.validation import SecretReentry

VERDICT_SALT = "endpoints.save-anyway-verdict"


def invalid_verdict(message: str,
                    hint: str = "Correct the endpoint's settings and test again.") -> Verdict:
    """The verdict for input that cannot be tested (nothing was sent anywhere): the message
    is the summary, the step says what to do (as the engine's own Check input does)."""
    return Verdict(
        ok=False,
        category=Category.INVALID,
        summary=message,
        steps=[StepResult("Check input", False, 0, "", hint)],
        reason=f"{message} {hint}",
    )


def undecryptable_verdict() -> Verdict:
    return invalid_verdict(secrets.UNDECRYPTABLE_MESSAGE,
                           "Enter the Access Secret again on the endpoint's Edit page, or clear it.")


def withheld_identity_verdict(withheld: SecretReentry) -> Verdict:
    return invalid_verdict(withheld.message, "Enter the Access Secret again to test.")


def test_endpoint(target: Target, withheld: SecretReentry | None = None) -> Verdict:
    """Test `target` as given: its secret is the one the caller chose (typed, stored, or
    none). `withheld` says why a stored secret was left out (validation.secret_reentry_reason):
    the stored secret is used only for the saved host and the TLS trust it was saved with,
    so the test then goes anonymously, and says so."""
    if withheld is not None:
        provider = get_provider(target.provider)
        if provider.empty_credentials_use_server_identity and not target.access_secret:
            # Without the stored keys this provider would test with the server's own identity.
            return withheld_identity_verdict(withheld)
        if not target.access_secret and provider.fixed_access_id is None:
            target = replace(target, access_id="")  # an Access ID alone is half a credential
    verdict = run_check(target)
    if withheld is not None:
        verdict.warnings.insert(
            0,
            f"Tested anonymously: the stored Access Secret was not sent because {withheld.cause}. "
            "Enter it again to test with credentials.",
        )
    return verdict


test_endpoint.__test__ = False  # not a pytest test, whoever imports it by name

SERVER_SHORT_MESSAGE = ("This server is short of open files or threads right now, so nothing was "
                        "tested (this says nothing about the endpoint): try again in a moment.")


def run_connection_test(user, target: Target, withheld: SecretReentry | None = None,
                        registry: Registry | None = None) -> Verdict:
    """Test Connection from the pages or the API: `test_endpoint` counted against the user's
    limits and recorded (S25). Raises throttle.Throttled past the limits (429), or with 503
    when this server ran short of files or threads (not a verdict about the endpoint)."""
    with throttle.connection_slot(user, ConnectionAttempt.Kind.TEST, url=target.url,
                                  provider=target.provider, registry=registry) as attempt:
        try:
            verdict = test_endpoint(target, withheld)
        except LocalResourceError:
            attempt.outcome = "server busy"
            raise throttle.Throttled(SERVER_SHORT_MESSAGE, 10, status=503) from None
        attempt.outcome = verdict.category
    return verdict


def check_now(registries: list[Registry], user, kind: str = ConnectionAttempt.Kind.CHECK,
              on_result: Callable[[Registry, Verdict], None] | None = None,
              ) -> list[tuple[Registry, Verdict | None]]:
    """Check now (one endpoint or a bulk action, from the pages or the admin): counted
    against the user's limits (S25: raises throttle.Throttled past them), run on the shared
    pool and stored; a None verdict was not checked (the pool stayed busy)."""
    if len(registries) == 1:
        (registry,) = registries
        slot = {"url": registry.url, "provider": registry.provider, "registry": registry}
    else:
        slot = {"endpoints": len(registries)}
    with throttle.connection_slot(user, kind, **slot) as attempt:
        checked = check_registries(registries, user, on_result=on_result, shared=True)
        verdict = checked[0][1] if len(checked) == 1 else None
        attempt.outcome = "bulk" if len(checked) != 1 else verdict.category if verdict else "not checked"
    return checked


POOL_BUSY_MESSAGE = ("Not checked: this server's checks were all busy for too long (CHECK_NOW_POOL, "
                     "a server setting). Nothing was stored; check it again in a moment.")
_shared_pool: ThreadPoolExecutor | None = None
_shared_pool_lock = threading.Lock()


def shared_check_pool() -> ThreadPoolExecutor:
    """The one pool that runs Check now for every request of this process (CHECK_NOW_POOL
    threads), so a bulk check of a whole page cannot add a thread per endpoint."""
    global _shared_pool
    with _shared_pool_lock:
        if _shared_pool is None or _shared_pool._max_workers != settings.CHECK_NOW_POOL:
            if _shared_pool is not None:  # the setting changed: the old threads finish, then go
                _shared_pool.shutdown(wait=False)
            _shared_pool = ThreadPoolExecutor(settings.CHECK_NOW_POOL, thread_name_prefix="check-now")
        return _shared_pool


def check_registries(
    registries: Iterable[Registry],
    user=None,
    pool: int | None = None,
    on_result: Callable[[Registry, Verdict], None] | None = None,
    *,
    shared: bool = False,
) -> list[tuple[Registry, Verdict | None]]:
    """Check many endpoints concurrently, at most `pool` at a time, and store every result
    (also failures).

    With `shared` (pages and admin), the checks run in the process's shared pool and each
    must start within half of ENDPOINT_TEST_DEADLINE, so the request ends within 1.5
    deadlines however busy the pool is; one that could not start gets None (not checked,
    nothing stored: a busy server is not an unhealthy endpoint). Otherwise (the commands)
    a pool of `pool` threads (default CHECK_REGISTRIES_POOL) works through the list.

    Only the network part runs in the worker threads; decrypting and storing results stay
    in the calling thread (one database connection). Checks are fed as results come back,
    so the work per result does not grow with the number of endpoints.
    """
    registries = list(registries)
    verdicts: dict[int, Verdict | None] = {}
    targets = []
    for registry in registries:
        try:
            targets.append((registry.pk, registry.connection_target()))
        except secrets.SecretDecryptionError:
            verdicts[registry.pk] = undecryptable_verdict()
    by_pk = {registry.pk: registry for registry in registries}

    def store(done: dict[int, Verdict]) -> None:
        # Whatever finished together is stored in one transaction: one commit per batch,
        # not several per endpoint, keeps a slow database from throttling the pool.
        with transaction.atomic():
            Registry.record_verdicts([(by_pk[pk], verdict) for pk, verdict in done.items()], user)
        if on_result is not None:
            for pk, verdict in done.items():
                on_result(by_pk[pk], verdict)

    store({pk: verdict for pk, verdict in verdicts.items() if verdict is not None})
    if shared:
        workers = settings.CHECK_NOW_POOL
        start_by = time.monotonic() + settings.ENDPOINT_TEST_DEADLINE / 2
        verdicts.update(_FeedingPool(shared_check_pool(), workers, start_by).run(targets, store))
    else:
        workers, _note = pool_within_open_files(
            max(1, min(pool or settings.CHECK_REGISTRIES_POOL, len(targets) or 1))
        )
        with ThreadPoolExecutor(max_workers=workers) as executor:
            verdicts.update(_FeedingPool(executor, workers, None).run(targets, store))
    return [(registry, verdicts.get(registry.pk)) for registry in registries]


# What one check may hold open at once: the endpoint's connection, a token service's, a
# connection kept from the pre-flight, a resolver's socket.
FILES_PER_CHECK = 4
# Left for everything else: the database, log files, a web server's own sockets.
FILES_RESERVED = 64


def pool_within_open_files(wanted: int) -> tuple[int, str]:
    """`wanted`, or fewer when this process may not open enough files for that many checks
    at once (RLIMIT_NOFILE, `ulimit -n`): running out mid-check would say nothing about the
    endpoints, so it must not happen. Returns the pool and, when capped, why."""
    soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return wanted, ""
    try:
        in_use = len(os.listdir("/proc/self/fd"))
    except OSError:
        in_use = 0
    fits = max(1, (soft - in_use - FILES_RESERVED) // FILES_PER_CHECK)
    if wanted <= fits:
        return wanted, ""
    return fits, (
        f"Checking {fits} endpoints at a time instead of {wanted}: this process may open only {soft} "
        f"files (ulimit -n) and a check needs up to {FILES_PER_CHECK}. Raise the limit for a "
        "bigger pool."
    )


@dataclass
class _Retry:
    target: object


class _FeedingPool:
    """Keeps at most `workers` checks in flight on `executor` and hands back results as
    they finish; with `start_by`, a check not started by then is skipped (None)."""

    def __init__(self, executor: ThreadPoolExecutor, workers: int, start_by: float | None) -> None:
        self.executor = executor
        self.workers = workers
        self.start_by = start_by
        self.finished: queue.SimpleQueue = queue.SimpleQueue()

    def _check(self, pk: int, target, last_try: bool) -> tuple[int, Verdict | None | _Retry]:
        if self.start_by is not None and time.monotonic() > self.start_by:
            return pk, None
        try:
            return pk, run_check(target)
        except LocalResourceError:
            # This server, not the endpoint, ran short (open files): try once more when
            # the pool has drained, else report it as not checked.
            return pk, None if last_try else _Retry(target)

    def run(self, targets: list, store: Callable[[dict[int, Verdict]], None]) -> dict[int, Verdict | None]:
        outcome: dict[int, Verdict | None] = {}
        waiting = iter(targets)
        retries: list[tuple[int, object]] = []
        in_flight = 0

        def feed() -> None:
            nonlocal in_flight
            item = next(waiting, None)
            last_try = item is None
            if last_try and retries:
                item = retries.pop()
            if item is not None:
                future = self.executor.submit(self._check, *item, last_try)
                future.add_done_callback(self.finished.put)
                in_flight += 1

        for _ in range(self.workers):
            feed()
        while in_flight:
            batch = [self.finished.get()]
            while not self.finished.empty():  # whatever else finished meanwhile
                batch.append(self.finished.get())
            in_flight -= len(batch)
            done = dict(future.result() for future in batch)
            for pk, result in list(done.items()):
                if isinstance(result, _Retry):
                    retries.append((pk, result.target))
                    del done[pk]
            outcome.update(done)
            checked = {pk: verdict for pk, verdict in done.items() if verdict is not None}
            if checked:
                store(checked)
            for _ in batch:
                feed()
        return outcome


class CheckStream:
    """A long-lived pool for checks fed one at a time as they fall due (the monitor), at
    most `workers` in flight: the counterpart of check_registries for a list that never
    ends. `collect` hands back whatever finished, so a black hole holding one worker for
    the whole deadline delays no other result.

    As in check_registries, only the network part runs in the worker threads; decrypting
    happens in `submit` and storing (store_scheduled) in the caller's thread."""

    def __init__(self, workers: int) -> None:
        self.workers, self.capped_because = pool_within_open_files(max(1, workers))
        self._executor = ThreadPoolExecutor(self.workers, thread_name_prefix="monitor-check")
        self._finished: queue.SimpleQueue = queue.SimpleQueue()
        self._registries: dict[int, Registry] = {}

    @property
    def in_flight(self) -> set[int]:
        return set(self._registries)

    @property
    def free(self) -> int:
        return self.workers - len(self._registries)

    def submit(self, registry: Registry) -> None:
        self._registries[registry.pk] = registry
        try:
            target = registry.connection_target()
        except secrets.SecretDecryptionError:
            self._finished.put((registry.pk, undecryptable_verdict()))
            return
        future = self._executor.submit(self._check, registry.pk, target)
        future.add_done_callback(lambda done: self._finished.put(done.result()))

    @staticmethod
    def _check(pk: int, target: Target) -> tuple[int, Verdict | None]:
        try:
            return pk, run_check(target)
        except LocalResourceError:
            return pk, None  # this server ran short, not the endpoint: not checked

    def collect(self, timeout: float) -> list[tuple[Registry, Verdict | None]]:
        """What finished, waiting up to `timeout` seconds for the first result."""
        try:
            finished = [self._finished.get(timeout=max(timeout, 0.0))]
        except queue.Empty:
            return []
        while not self._finished.empty():
            finished.append(self._finished.get())
        return [(self._registries.pop(pk), verdict) for pk, verdict in finished]

    def close(self) -> None:
        """Wait for the checks in flight (each ends within its deadline), then stop."""
        self._executor.shutdown(wait=True)


def store_scheduled(results: list[tuple[Registry, Verdict]]) -> None:
    """Store results of scheduled checks (no user asked: checked_by is empty), in one go."""
    Registry.record_verdicts(results, checked_by=None)


def sign_verdict(verdict: Verdict, tested: str) -> str:
    """The failed test's result, signed together with a digest of what was tested (the
    form's connection_fingerprint), for a "Save anyway" that must not test again."""
    return signing.dumps(
        {"category": verdict.category, "summary": verdict.summary, "reason": verdict.reason,
         "ms": verdict.elapsed_ms, "tested": tested},
        salt=VERDICT_SALT,
    )


def unsign_verdict(token: str, tested: str) -> Verdict | None:
    """The signed result, only if it is recent and about what is to be saved now."""
    try:
        data = signing.loads(token, salt=VERDICT_SALT, max_age=3600)
    except signing.BadSignature:
        return None
    if data.get("tested") != tested:
        return None
    return Verdict(ok=False, category=data["category"], summary=data["summary"],
                   elapsed_ms=data["ms"], reason=data.get("reason", ""))


def save_endpoint(registry: Registry, user, changed_labels: list[str], verdict: Verdict | None, *,
                  new_secret: str | None = None, clear_secret: bool = False) -> Registry:
    """Save a new or edited endpoint (validated by the caller), log the change (field
    labels only, a secret as "Access Secret") and store the test's outcome, if one ran.

    `new_secret` replaces the stored secret, `clear_secret` removes it; neither keeps it.
    An edit writes only what an edit may change (Registry.save_edit). May raise
    IntegrityError when the name was taken meanwhile (nothing is then saved)."""
    is_new = registry.pk is None
    with transaction.atomic():
        if new_secret:
            registry.set_secret(new_secret)
        elif clear_secret:
            registry.clear_secret()
        registry.save_edit()
        if is_new:
            audit.log_addition(user, registry)
        else:
            audit.log_change(user, registry, changed_labels)
    if verdict is not None:
        registry.record_verdict(verdict, checked_by=user)
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
