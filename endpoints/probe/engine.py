"""The Test Connection engine: named steps, stop at the first failure, one verdict.

The same engine serves the form's Test Connection, Check now, the admin action, the CLI,
`check_registries`, the API and the monitor. It knows nothing of the providers: the caller
hands it the provider (endpoints.providers.run_check resolves one by its key), and each
provider module uses the engine's Probe and steps. The arrows point one way.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ValidationError

from endpoints.probe.errors import LocalResourceError, OutboundError, StepFailed
from endpoints.probe.http import REDACTED, OutboundClient, encoded_forms
from endpoints.probe.preflight import run_preflight
from endpoints.probe.result import Category, StepResult, Verdict, as_sentence
from endpoints.probe.target import Target
from endpoints.validation import (
    check_access_secret_length,
    read_endpoint_url,
    validate_ca_certificate,
)

__all__ = ["Probe", "ProviderRules", "StepFailed", "check_input", "run_check"]

logger = logging.getLogger(__name__)


class ProviderRules(Protocol):
    """What the engine needs of a provider (endpoints.providers.base.Provider is one)."""

    def clean(self, url: str, access_id: str, access_secret: str,
              secret_given: bool) -> dict[str, list[str]]: ...

    def check(self, probe: Probe, target: Target) -> None: ...


class StepRecorder:
    def __init__(self) -> None:
        self.detail = ""


class Probe:
    """State of one check: the steps so far, the deadline, warnings and the HTTP client."""

    def __init__(self, target: Target, deadline_s: float | None = None) -> None:
        self.target = target
        self.started = time.monotonic()
        self.deadline_s = float(deadline_s or settings.ENDPOINT_TEST_DEADLINE)
        self.deadline = self.started + self.deadline_s
        self.steps: list[StepResult] = []
        self.warnings: list[str] = []
        self.facts: dict = {}  # Verdict.facts
        self.summary = ""
        self._sensitive: set[str] = set()
        self._nested_s: list[float] = []  # time spent in inner steps, per open step
        self.add_sensitive(target.access_secret)
        if target.access_secret:
            self.add_sensitive(f"{target.access_id}:{target.access_secret}")
        self.http = OutboundClient(
            verify=target.verify_remote_cert,
            ca_certificate=target.ca_certificate if target.verify_remote_cert else "",
            deadline=self.deadline,
            deadline_s=self.deadline_s,
            before_new_origin=self._preflight,
            sensitive=self._sensitive,  # the same set: tokens added later count too
            # Without a scheme the URL means https (normalize_endpoint_url).
            credentials_need_https=not target.url.strip().lower().startswith("http://"),
        )

    def _preflight(self, url: str) -> None:
        run_preflight(self, url)

    def close(self) -> None:
        """Close every connection the check opened."""
        self.http.close()

    def add_sensitive(self, value: str) -> None:
        """Remember a secret or token so no step detail, hint, summary or excerpt of a
        remote's answer can carry it."""
        if value and len(value) >= 4:
            self._sensitive.update(encoded_forms(value))

    def scrub(self, text: str) -> str:
        for value in sorted(self._sensitive, key=len, reverse=True):
            text = text.replace(value, REDACTED)
        return text

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    @contextmanager
    def step(self, name: str) -> Iterator[StepRecorder]:
        """Time and record one named step; an OutboundError or StepFailed inside fails it."""
        started = time.monotonic()
        if self.remaining() <= 0:
            failure = StepFailed(
                Category.TIMEOUT,
                f"The whole test took longer than its {self.deadline_s:g} s",
                "The remote is too slow to answer: check its load and the network path, or ask "
                "the operator of this server to raise ENDPOINT_TEST_DEADLINE (a server setting).",
            )
            self._add(name, False, started, 0.0, "", failure.hint)
            failure.recorded = True
            raise failure
        recorder = StepRecorder()
        self._nested_s.append(0.0)
        try:
            yield recorder
        # A failed step shows what was seen there (recorder.detail, e.g. "HTTP 401") and
        # what to do; what went wrong is the verdict's summary, said once.
        except OutboundError as exc:
            failure = StepFailed(exc.category, exc.detail, exc.hint)
            self._add(name, False, started, self._nested_s[-1], recorder.detail, exc.hint)
            failure.recorded = True
            raise failure from None
        except StepFailed as exc:
            if not exc.recorded:
                self._add(name, False, started, self._nested_s[-1], recorder.detail, exc.hint)
                exc.recorded = True
            raise
        else:
            self._add(name, True, started, self._nested_s[-1], recorder.detail)
        finally:
            self._nested_s.pop()
            if self._nested_s:
                self._nested_s[-1] += time.monotonic() - started

    def _add(self, name: str, ok: bool, started: float, nested_s: float, detail: str,
             hint: str = "") -> None:
        ms = int((time.monotonic() - started - nested_s) * 1000)
        self.steps.append(StepResult(name, ok, max(ms, 0), as_sentence(self.scrub(detail)),
                                     as_sentence(self.scrub(hint))))

    def revise(self, failure: StepFailed, *, category: str | None = None, hint: str | None = None) -> None:
        """A provider re-words a failure the shared flow reported: the failure and the step
        already recorded for it change together."""
        if category is not None:
            failure.category = category
        if hint is not None:
            failure.hint = hint
            failed = next((step for step in reversed(self.steps) if not step.ok), None)
            if failed is not None:
                failed.hint = as_sentence(self.scrub(hint))

    @contextmanager
    def advice(self, **hints: str) -> Iterator[None]:
        """Inside the block, a failure of a category named here gets the provider's hint,
        e.g. `with probe.advice(auth="Use the RAM AccessKey, not the docker login"):`."""
        try:
            yield
        except StepFailed as failure:
            hint = hints.get(str(failure.category))
            if hint and not failure.hint_is_final:
                self.revise(failure, hint=hint)
            raise

    def warn(self, message: str) -> None:
        self.warnings.append(as_sentence(self.scrub(message)))

    def note_fact(self, name: str, value: dict) -> None:
        """Record what the check learnt (Verdict.facts): plain JSON values, never a secret."""
        self.facts[name] = value

    def succeed(self, summary: str) -> None:
        self.summary = summary

    def verdict(self, failure: StepFailed | None = None) -> Verdict:
        elapsed = int((time.monotonic() - self.started) * 1000)
        if failure is None:
            summary = as_sentence(self.scrub(self.summary or "Connection tested successfully."))
            return Verdict(True, Category.OK, summary, self.steps, elapsed, self.warnings,
                           facts=self.facts)
        summary = as_sentence(self.scrub(failure.detail))
        reason = f"{summary} {as_sentence(self.scrub(failure.hint))}".strip()
        return Verdict(False, str(failure.category), summary, self.steps, elapsed, self.warnings,
                       reason, self.facts)


def check_input(target: Target, provider: ProviderRules | None) -> list[str]:
    """`provider`'s input rules for `target` (no network); None is an unknown provider.
    Returns the messages, empty when fine."""
    if provider is None:
        return [f"Unknown provider “{target.provider}”."]
    try:
        url = read_endpoint_url(target.url).url
        check_access_secret_length(target.access_secret)  # before any provider parses it
    except ValidationError as exc:
        return list(exc.messages)
    errors = provider.clean(url, target.access_id, target.access_secret, bool(target.access_secret))
    problems = [message for messages in errors.values() for message in messages]
    if target.verify_remote_cert and target.ca_certificate.strip():
        try:
            validate_ca_certificate(target.ca_certificate)
        except ValidationError as exc:
            problems.extend(exc.messages)
    return problems


def run_check(target: Target, provider: ProviderRules | None,
              deadline_s: float | None = None) -> Verdict:
    """Run every step of `provider`'s check for `target` and return the verdict (the caller
    resolves the provider: endpoints.providers.run_check). Never raises for remote faults."""
    probe = Probe(target, deadline_s)
    try:
        return _run(probe, target, provider)
    finally:
        probe.close()


def _run(probe: Probe, target: Target, provider: ProviderRules | None) -> Verdict:
    try:
        with probe.step("Check input") as step:
            problems = check_input(target, provider)
            if problems:
                raise StepFailed(
                    Category.INVALID, " ".join(problems), "Correct the endpoint's settings and test again."
                )
            endpoint_url = read_endpoint_url(target.url)
            step.detail = " ".join(["Provider rules passed.", *endpoint_url.notes])
        normalized = Target(
            provider=target.provider,
            url=endpoint_url.url,
            access_id=target.access_id,
            access_secret=target.access_secret,
            verify_remote_cert=target.verify_remote_cert,
            ca_certificate=target.ca_certificate,
        )
        probe.target = normalized  # hosts are compared as connected (an IDN name in punycode)
        provider.check(probe, normalized)
    except StepFailed as failure:
        return probe.verdict(failure)
    except OutboundError as exc:  # a request made outside any step
        return probe.verdict(StepFailed(exc.category, exc.detail, exc.hint))
    except LocalResourceError:
        raise  # not a verdict about the endpoint: the caller decides (retry, or "not checked")
    except Exception as exc:  # a bug must not become a 500 or leak a secret
        logger.error("connection check crashed: %s", type(exc).__name__)
        return probe.verdict(
            StepFailed(
                Category.PROVIDER,
                f"The check stopped on an internal error ({type(exc).__name__})",
                "This is a harborreg bug; the server log has the error type.",
            )
        )
    return probe.verdict()
