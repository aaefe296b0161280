"""A provider's own advice for an `auth` failure of the shared registry v2 flow."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from endpoints.probe.engine import StepFailed
from endpoints.probe.result import Category

if TYPE_CHECKING:
    from endpoints.probe.engine import Probe


@contextmanager
def auth_hint(probe: Probe, hint: str) -> Iterator[None]:
    """Replace the generic "check Access ID and Access Secret" hint when the registry or its
    token service refuses the credentials: the provider knows what those credentials are."""
    try:
        yield
    except StepFailed as failure:
        if failure.category != Category.AUTH:
            raise
        failure.hint = hint
        # The step has already been written down; the engine stops at the first failure,
        # so the failed step is the only one that is not ok.
        failed = next((step for step in probe.steps if not step.ok), None)
        if failed is not None:
            failed.hint = probe.scrub(hint)
        raise
