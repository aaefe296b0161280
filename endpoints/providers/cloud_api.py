"""What a provider says when its cloud's signed API (the one that turns an access key into
registry credentials) cannot be reached: the seam's detail, with a hint about that API
rather than Endpoint URL."""

from __future__ import annotations

from endpoints.probe.engine import Probe
from endpoints.probe.errors import OutboundError, StepFailed
from endpoints.probe.result import Category


def unreachable(probe: Probe, exc: OutboundError | StepFailed, *, api: str, host: str, purpose: str,
                cloud: str) -> StepFailed:
    """`api` at `host` gave no answer. The hint also replaces the one of the DNS / policy /
    TCP / TLS step that failed first, if one did. `purpose` finishes "This server must reach
    HOST over HTTPS to …"."""
    hint = (f"This server must reach {host} over HTTPS to {purpose}: ask the operator of this server "
            "to check routes, firewalls, and HTTPS_PROXY, NO_PROXY and ENDPOINT_CONNECT_TO (server "
            "settings).")
    if exc.category == Category.BLOCKED:
        hint = ("ENDPOINT_DENY_NETWORKS / ENDPOINT_ALLOW_NETWORKS (server settings) refuse the address of "
                f"{host}: ask the operator of this server to allow it, or to check where "
                "ENDPOINT_CONNECT_TO and DNS send it.")
    elif exc.category == Category.TLS:
        hint = (f"A TLS-intercepting proxy between this server and {host} needs its CA in this "
                "endpoint's CA Certificate.")
    elif exc.category == Category.TIMEOUT:
        hint += f" If {cloud} is only slow from here, ask the operator to raise ENDPOINT_READ_TIMEOUT."
    if isinstance(exc, StepFailed):
        probe.revise(exc, hint=hint)
    return StepFailed(exc.category, f"{api} at {host} is not reachable from here: "
                      f"{exc.detail[:1].lower() + exc.detail[1:]}", hint)
