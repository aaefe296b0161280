"""S3: rotate_secret_keys moves every stored secret to the new primary key with exact
counts, a second run has nothing to do, and once the old key is removed `--verify` passes
and every connection check still authenticates. Also generate_secret_key (SPEC §6)."""

import io
import time

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError

from endpoints import secrets
from endpoints.management.commands.generate_secret_key import Command as GenerateCommand
from endpoints.management.commands.rotate_secret_keys import Command as RotateCommand
from endpoints.models import Registry

pytestmark = pytest.mark.django_db

K1 = f"k1={Fernet.generate_key().decode()}"
K2 = f"k2={Fernet.generate_key().decode()}"
LOST = f"lost={Fernet.generate_key().decode()}"


def use_keys(settings, *entries: str) -> None:
    settings.REGISTRY_SECRET_KEYS = list(entries)
    settings.REGISTRY_SECRET_KEYS_FILE = ""
    secrets.reset_key_cache()


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("rotate_secret_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def run_failing(*args: str) -> tuple[str, str, CommandError]:
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError) as excinfo:
        call_command("rotate_secret_keys", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue(), excinfo.value


def last_line(text: str) -> str:
    return text.strip().splitlines()[-1]


def stored() -> dict[int, str]:
    return dict(Registry.objects.values_list("pk", "access_secret_encrypted"))


def plaintext(n: int) -> str:
    return f"canary-rotate-{n:05d}-s3cret"


@pytest.fixture
def registries_under_k1(settings, make_registry):
    use_keys(settings, K1)
    registries = [make_registry(name=f"reg-{n}", secret=plaintext(n)) for n in range(12)]
    assert all(value.startswith("v1:k1:") for value in stored().values())
    return registries


def assert_no_plaintext(*outputs: str) -> None:
    for output in outputs:
        assert "canary-rotate" not in output


def test_it_rotates_every_row_to_the_new_primary_key(settings, registries_under_k1):
    use_keys(settings, K2, K1)

    out, err = run("--batch-size", "5")

    assert last_line(out) == "rotated=12 skipped=0 failed=0"
    assert all(value.startswith("v1:k2:") for value in stored().values())
    assert_no_plaintext(out, err)

    out, err = run()
    assert last_line(out) == "rotated=0 skipped=12 failed=0"

    use_keys(settings, K2)  # k1 retired
    out, err = run("--verify")
    assert last_line(out) == "verified=12 failed=0"
    assert_no_plaintext(out, err)
    for registry in Registry.objects.all():
        assert registry.decrypt_secret() == plaintext(int(registry.name.split("-")[1]))


def test_every_check_still_authenticates_after_the_old_key_is_removed(
    settings, client, owner, make_registry, recording_registry
):
    """The end of a rotation as an operator does it: k2 first, rotate, drop k1, restart.
    Check now then decrypts under k2 and the remote really accepts what was sent."""
    use_keys(settings, K1)
    registries = [
        make_registry(name=f"replica-{n}", url=recording_registry.url, access_id="ci",
                      secret=recording_registry.password)
        for n in range(3)
    ]
    use_keys(settings, K2, K1)
    assert last_line(run()[0]) == "rotated=3 skipped=0 failed=0"
    use_keys(settings, K2)
    assert last_line(run("--verify")[0]) == "verified=3 failed=0"

    client.force_login(owner)
    for registry in registries:
        answer = client.post(f"/registries/{registry.pk}/check/", HTTP_ACCEPT="application/json").json()
        assert (answer["ok"], answer["category"]) == (True, "ok"), answer
    assert len(recording_registry.credentialed) == 3
    assert set(Registry.objects.values_list("status", flat=True)) == {"healthy"}


def test_it_counts_rows_without_a_secret_as_skipped(settings, registries_under_k1, make_registry):
    make_registry(name="anonymous")
    use_keys(settings, K2, K1)

    out, _ = run()

    assert last_line(out) == "rotated=12 skipped=1 failed=0"
    assert Registry.objects.get(name="anonymous").access_secret_encrypted == ""


def test_it_keeps_the_secret_timestamps(settings, registries_under_k1):
    before = dict(Registry.objects.values_list("pk", "secret_updated_at"))
    use_keys(settings, K2, K1)

    run()

    assert dict(Registry.objects.values_list("pk", "secret_updated_at")) == before


def test_it_reports_an_undecryptable_row_and_fails(settings, registries_under_k1, make_registry):
    use_keys(settings, LOST)
    orphan = make_registry(name="orphan-of-a-lost-key", secret="canary-rotate-lost")
    orphan_value = Registry.objects.get(pk=orphan.pk).access_secret_encrypted
    use_keys(settings, K2, K1)

    out, err, error = run_failing()

    assert last_line(out) == "rotated=12 skipped=0 failed=1"
    assert f"id={orphan.pk}" in err and "orphan-of-a-lost-key" in err
    assert "cannot be decrypted" in str(error)
    assert Registry.objects.get(pk=orphan.pk).access_secret_encrypted == orphan_value
    assert_no_plaintext(out, err, str(error))


def test_it_exits_with_status_1_when_a_row_fails(settings, make_registry, capsys):
    use_keys(settings, K1)
    make_registry(name="plain", secret="x")
    Registry.objects.filter(name="plain").update(access_secret_encrypted="canary-rotate-plaintext")

    with pytest.raises(SystemExit) as excinfo:
        RotateCommand().run_from_argv(["manage.py", "rotate_secret_keys", "--skip-checks"])

    assert excinfo.value.code == 1
    captured = capsys.readouterr()
    assert "rotated=0 skipped=0 failed=1" in captured.out
    assert_no_plaintext(captured.out, captured.err)


def test_it_refuses_a_tampered_row_on_verify(settings, registries_under_k1):
    victim = registries_under_k1[3]
    value = Registry.objects.get(pk=victim.pk).access_secret_encrypted
    Registry.objects.filter(pk=victim.pk).update(access_secret_encrypted=value[:-6] + "AAAAAA")

    out, err, _ = run_failing("--verify")

    assert last_line(out) == "verified=11 failed=1"
    assert f"id={victim.pk}" in err
    assert_no_plaintext(out, err)


def test_it_fails_verify_when_the_old_key_was_removed_too_early(settings, registries_under_k1):
    use_keys(settings, K2)  # k2 added and k1 dropped without a rotation

    out, err, _ = run_failing("--verify")

    assert last_line(out) == "verified=0 failed=12"
    assert "the key 'k1' is not configured" in err
    out, err, _ = run_failing()
    assert last_line(out) == "rotated=0 skipped=0 failed=12"
    assert all(value.startswith("v1:k1:") for value in stored().values())


def test_it_writes_nothing_on_a_dry_run(settings, registries_under_k1):
    before = stored()
    use_keys(settings, K2, K1)

    out, err = run("--dry-run")

    assert "Dry run" in out and "nothing is written" in out
    assert last_line(out) == "rotated=12 skipped=0 failed=0"
    assert stored() == before
    assert_no_plaintext(out, err)


def test_it_writes_nothing_on_verify(settings, registries_under_k1):
    before = stored()
    use_keys(settings, K2, K1)

    run("--verify")

    assert stored() == before


def test_it_refuses_to_run_without_keys(settings):
    use_keys(settings)

    with pytest.raises(CommandError, match="No secret keys configured"):
        run()


def test_it_rejects_a_zero_batch_size():
    with pytest.raises(CommandError, match="--batch-size"):
        run("--batch-size", "0")


def test_it_rotates_10000_rows_quickly_in_batches(settings, django_assert_max_num_queries):
    use_keys(settings, K1)
    envelope_k1 = secrets.encrypt("canary-rotate-bulk")
    Registry.objects.bulk_create(
        Registry(
            name=f"bulk-{n}",
            provider="harbor",
            url=f"https://h{n}.example.com",
            access_secret_encrypted=envelope_k1,
        )
        for n in range(10_000)
    )
    use_keys(settings, K2, K1)

    started = time.monotonic()
    with django_assert_max_num_queries(200):
        out, err = run()
    elapsed = time.monotonic() - started

    assert last_line(out) == "rotated=10000 skipped=0 failed=0"
    assert elapsed < 30
    assert not Registry.objects.exclude(access_secret_encrypted__startswith="v1:k2:").exists()
    assert_no_plaintext(out, err)


# --- generate_secret_key ---


def test_it_generates_a_usable_key_line(settings):
    out = io.StringIO()

    call_command("generate_secret_key", "--key-id", "2025-q3", stdout=out)

    line = out.getvalue().strip()
    assert line.startswith("2025-q3=")
    use_keys(settings, line, K1)
    assert secrets.encrypt("x").startswith("v1:2025-q3:")


def test_it_generates_a_fresh_key_and_a_valid_default_id(settings):
    first, second = io.StringIO(), io.StringIO()

    call_command("generate_secret_key", stdout=first)
    call_command("generate_secret_key", stdout=second)

    assert first.getvalue().split("=", 1)[1] != second.getvalue().split("=", 1)[1]
    [key] = secrets.parse_key_list([first.getvalue()])
    assert secrets.KEY_ID_RE.match(key.key_id)


def test_it_works_before_any_key_is_configured(settings, capsys):
    use_keys(settings)  # the harborreg.E001 check fails: it must not block this command

    GenerateCommand().run_from_argv(["manage.py", "generate_secret_key", "--key-id", "first"])

    assert capsys.readouterr().out.startswith("first=")


def test_it_rejects_a_bad_key_id():
    with pytest.raises(CommandError, match="--key-id"):
        call_command("generate_secret_key", "--key-id", "has space", stdout=io.StringIO())
