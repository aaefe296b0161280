"""Benchmark 4: how long a check of a black-hole endpoint takes to give its verdict.

A black hole (tests/fixtures/local_servers.RawServer + black_hole) accepts the TCP
connection and never answers; a slow drip answers one header byte every 0.5 s forever, so
no single read times out. The baseline is the configured deadline
(ENDPOINT_TEST_DEADLINE); the target is a verdict within deadline + 0.5 s, whatever the
read timeout says. Measured for the check engine, the page's Test Connection (JSON, test
client) and check_registries with a full pool of black holes.

    .venv/bin/python bench/black_hole.py           # includes the defaults (20 s deadline, 10 s read timeout)
    .venv/bin/python bench/black_hole.py --quick   # short deadlines only
"""

from __future__ import annotations

import argparse
import io
import time

import _common

SHORT = {"ENDPOINT_TEST_DEADLINE": 3.0, "ENDPOINT_READ_TIMEOUT": 10.0, "ENDPOINT_CONNECT_TIMEOUT": 5.0}
DEFAULTS = {"ENDPOINT_TEST_DEADLINE": 20.0, "ENDPOINT_READ_TIMEOUT": 10.0, "ENDPOINT_CONNECT_TIMEOUT": 5.0}
POOL = 16


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="skip the 10 s default-settings case")
    parser.add_argument("--repeat", type=int, default=3, help="runs per case (default 3)")
    args = parser.parse_args()

    _common.setup_django()
    _common.header("Black-hole endpoint: verdict time vs the configured deadline",
                   "python bench/black_hole.py" + (" --quick" if args.quick else ""))
    from django.core.management import call_command
    from django.test import override_settings

    from endpoints.models import Registry
    try:  # the engine takes its provider from the caller
        from endpoints.providers import run_check
    except ImportError:  # a side from before that change
        from endpoints.probe.engine import run_check
    from endpoints.probe.target import Target
    from tests.fixtures.local_servers import RawServer, black_hole, slow_drip

    hole = RawServer(black_hole).start()
    drip = RawServer(slow_drip(0.5)).start()
    client = _common.logged_in_client(_common.staff_user())
    rows = []

    def case(label: str, config: dict, run, limit_s: float, expect: str) -> None:
        verdicts: list[str] = []

        def once() -> None:
            verdicts.append(run())

        with override_settings(**config):
            stats = _common.measure(once, repeat=args.repeat, warmup=0)
        met = stats.max <= limit_s + 0.5
        rows.append([label, f"{limit_s:g}", stats.s(), f"{stats.max - limit_s:+.2f}",
                     "yes" if met else "**no**", verdicts[-1] if verdicts else ""])
        assert all(expect in v for v in verdicts), verdicts

    def engine(url: str) -> str:
        verdict = run_check(Target("docker-registry", url))
        return f"{verdict.category}: {verdict.summary[:70]}"

    def page(url: str) -> str:
        body = client.post("/registries/test/", {
            "provider": "docker-registry", "name": "hole", "url": url, "verify_remote_cert": "on",
            "action": "test"}, HTTP_ACCEPT="application/json").json()
        return f"{body['category']}: {body['summary'][:70]}"

    Registry.objects.bulk_create(
        Registry(name=f"hole-{i:02d}", provider="docker-registry", url=f"{hole.url}/h{i}")
        for i in range(POOL)
    )

    def command() -> str:
        out = io.StringIO()
        try:
            call_command("check_registries", f"--pool={POOL}", stdout=out, stderr=out)
        except SystemExit:
            pass
        return out.getvalue().strip().splitlines()[-1]

    try:
        deadline = SHORT["ENDPOINT_TEST_DEADLINE"]
        case("black hole, engine (deadline 3 s, read timeout 10 s)", SHORT, lambda: engine(hole.url),
             deadline, "timeout")
        case("black hole, Test Connection page (JSON)", SHORT, lambda: page(hole.url), deadline, "timeout")
        case("slow drip 1 B / 0.5 s, engine (deadline 3 s)", SHORT, lambda: engine(drip.url), deadline,
             "timeout")
        case(f"check_registries, {POOL} black holes, pool {POOL} (deadline 3 s)", SHORT, command, deadline,
             f"unhealthy={POOL}")
        if not args.quick:
            started = time.monotonic()
            case("black hole, engine, default settings (deadline 20 s, read timeout 10 s)", DEFAULTS,
                 lambda: engine(hole.url), DEFAULTS["ENDPOINT_TEST_DEADLINE"], "timeout")
            print(f"  ... default-settings case took {time.monotonic() - started:.0f} s", flush=True)
    finally:
        hole.stop()
        drip.stop()

    _common.print_table(
        ["case", "deadline s", "verdict after s: median (min–max)", "worst − deadline", "≤ deadline + 0.5 s?",
         "verdict (last run)"],
        rows, title=f"{args.repeat} runs per case",
    )


if __name__ == "__main__":
    main()
