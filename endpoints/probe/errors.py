"""The probe's errors: OutboundError from the seam, StepFailed from a step."""

from __future__ import annotations


class OutboundError(Exception):
    """A request could not be completed: `category` says which layer failed.

    `detail` says what happened and `hint` what the admin should do about it. Neither ever
    carries a header, a token or a secret: they are written here, never copied from a
    library exception's text.
    """

    def __init__(self, category: str, detail: str, hint: str = "") -> None:
        super().__init__(detail)
        self.category = category
        self.detail = detail
        self.hint = hint


class CleartextRefused(OutboundError):
    """A request that carries credentials was about to leave over plain http for an https
    endpoint; nothing was sent."""


class StepFailed(Exception):
    """A step failed: the check stops with this category, detail and hint.

    `recorded` is set once a step has written it down, so the steps around a nested one
    (a pre-flight inside "GET …/v2/") let it pass instead of reporting it twice.
    """

    def __init__(self, category: str, detail: str, hint: str = "", status: int | None = None) -> None:
        super().__init__(detail)
        self.category = category
        self.detail = detail
        self.hint = hint
        self.status = status  # the HTTP status behind the failure, when there is one
        self.recorded = False
        # Set when no provider advice fits (an anonymous refusal: "enter the credentials"),
        # so Probe.advice leaves the hint as it is.
        self.hint_is_final = False


class LocalResourceError(Exception):
    """This server ran out of something (open files, threads) while checking: says nothing
    about the endpoint, so it never becomes a verdict (an Unhealthy status would be wrong)."""
