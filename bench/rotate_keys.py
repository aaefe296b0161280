"""Benchmark 6: `rotate_secret_keys` on 10 000 stored secrets, and the decrypt cost.

10 000 registries get a secret encrypted under key `k1`; the keys then become
`k2,k1` and `python manage.py rotate_secret_keys` (call_command, same process) re-encrypts
every row under `k2`. The next run swaps the keys back, so each run does the same work.
Reported: wall time, rows/s, `--verify` over the same rows, and what decrypting one
stored secret costs a Test Connection (secrets.decrypt and Registry.connection_target).

    .venv/bin/python bench/rotate_keys.py           # 10 000 rows, 3 rotations
    .venv/bin/python bench/rotate_keys.py --quick   # 2 000 rows, 2 rotations
"""

from __future__ import annotations

import argparse
import io

import _common
from cryptography.fernet import Fernet

TARGET_S = 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 000 rows, 2 rotations")
    parser.add_argument("--rows", type=int, default=None, help="stored secrets (default 10 000)")
    parser.add_argument("--repeat", type=int, default=None, help="rotations (default 3)")
    args = parser.parse_args()
    rows_n = args.rows or (2000 if args.quick else 10_000)
    repeat = args.repeat or (2 if args.quick else 3)

    key1, key2 = f"k1={Fernet.generate_key().decode()}", f"k2={Fernet.generate_key().decode()}"
    _common.setup_django(REGISTRY_SECRET_KEYS=key1)
    _common.header(f"rotate_secret_keys on {rows_n:,} rows".replace(",", " "),
                   "python bench/rotate_keys.py" + (" --quick" if args.quick else ""))
    from django.core.management import call_command
    from django.test import override_settings

    from endpoints import secrets
    from endpoints.models import Registry

    secrets.reset_key_cache()
    Registry.objects.bulk_create(
        (Registry(name=f"reg-{i:05d}", provider="harbor", url=f"https://h{i}.example.com",
                  access_id=f"robot$r{i}", access_secret_encrypted=secrets.encrypt(f"secret-{i}-value"))
         for i in range(rows_n)),
        batch_size=1000,
    )

    orders = [[key2, key1], [key1, key2]]  # rotate to k2, then back to k1, …
    runs: list[float] = []
    outputs: list[str] = []

    def rotate(order: list[str]) -> None:
        out = io.StringIO()
        with override_settings(REGISTRY_SECRET_KEYS=order):
            secrets.reset_key_cache()
            call_command("rotate_secret_keys", stdout=out, stderr=out)
        outputs.append(out.getvalue().strip())

    for i in range(repeat):
        runs.append(_common.timed(lambda i=i: rotate(orders[i % 2])))
        primary = orders[i % 2][0].split("=")[0]
        assert outputs[-1] == f"rotated={rows_n} skipped=0 failed=0", outputs[-1]
        assert not Registry.objects.exclude(access_secret_encrypted__startswith=f"v1:{primary}:").exists()
    rotation = _common.Stats(runs)

    final = orders[(repeat - 1) % 2]
    with override_settings(REGISTRY_SECRET_KEYS=final):
        secrets.reset_key_cache()
        verify = _common.measure(lambda: call_command("rotate_secret_keys", "--verify", stdout=io.StringIO()),
                                 repeat=3, warmup=0)
        registry = Registry.objects.first()
        envelope = registry.access_secret_encrypted
        # Timed 1 000 calls at a time, so Stats.ms() reads as µs per call.
        decrypt = _common.measure(lambda: [secrets.decrypt(envelope) for _ in range(1000)], repeat=7)
        target = _common.measure(lambda: [registry.connection_target() for _ in range(1000)], repeat=7)
        encrypt = _common.measure(lambda: [secrets.encrypt("secret-value") for _ in range(1000)], repeat=7)
    secrets.reset_key_cache()

    rate = rows_n / rotation.median
    _common.print_table(
        ["figure", "median (min–max)", "rows/s (median)", "target", "met?"],
        [
            [f"rotate_secret_keys, {rows_n} rows", f"{rotation.s()} s", f"{rate:,.0f}".replace(",", " "),
             f"≤ {TARGET_S:g} s" if rows_n == 10_000 else f"≤ {TARGET_S:g} s at 10 000 rows",
             ("yes" if rotation.max <= TARGET_S else "**no**") if rows_n == 10_000 else
             f"projected {rotation.median * 10_000 / rows_n:.1f} s at 10 000"],
            [f"rotate_secret_keys --verify, {rows_n} rows", f"{verify.s()} s",
             f"{rows_n / verify.median:,.0f}".replace(",", " "), "—", ""],
            ["secrets.decrypt, one stored secret", f"{decrypt.ms()} µs", "", "report", ""],
            ["Registry.connection_target (decrypt + Target)", f"{target.ms()} µs", "", "report", ""],
            ["secrets.encrypt, one secret", f"{encrypt.ms()} µs", "", "—", ""],
        ],
        title=f"{repeat} rotations (alternating k1 → k2 → k1), 3 verify runs, decrypt timed 7 × 1 000 calls",
    )
    print(f"\n- command output: {outputs[-1]}")


if __name__ == "__main__":
    main()
