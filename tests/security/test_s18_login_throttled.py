"""S18: login brute force. After AXES_FAILURE_LIMIT bad passwords for one username from
one IP address, that pair is locked out (even the right password is refused) through the
real login forms; the lockout ends after the configured cool-off; other users and other
addresses are not affected, and a forged X-Forwarded-For does not reset it."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-S18"
ATTACKER = "203.0.113.7"
LOGIN_PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture
def users(db):
    return [User.objects.create_user(name, password=PASSWORD, is_staff=True) for name in ("alice", "bob")]


def login(path: str, username: str, password: str, ip: str = ATTACKER, **headers):
    client = Client()
    response = client.post(path, {"username": username, "password": password, "next": "/registries/"},
                           REMOTE_ADDR=ip, **headers)
    return response, client


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(path: str, settings) -> list[int]:
    return [login(path, "alice", f"wrong-{n}")[0].status_code for n in range(settings.AXES_FAILURE_LIMIT)]


def test_the_configuration_is_a_real_finite_lockout(settings):
    assert 3 <= settings.AXES_FAILURE_LIMIT <= 10
    assert 0 < float(settings.AXES_COOLOFF_TIME) <= 24  # hours: finite, and not forever
    assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert "axes.backends.AxesStandaloneBackend" == settings.AUTHENTICATION_BACKENDS[0]
    assert "axes.middleware.AxesMiddleware" in settings.MIDDLEWARE


@pytest.mark.parametrize("path", LOGIN_PAGES)
def test_the_limit_locks_the_username_and_address_out(path, users, settings):
    statuses = fail_until_locked(path, settings)
    right, client = login(path, "alice", PASSWORD)

    assert statuses[:-1] == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # the form, with its error
    assert statuses[-1] == 429  # the attempt that reaches the limit is already refused
    assert right.status_code == 429 and not logged_in(client)
    assert "locked" in right.content.decode().lower()


def test_one_failure_fewer_than_the_limit_still_logs_in_and_resets(users, settings):
    for n in range(settings.AXES_FAILURE_LIMIT - 1):
        login("/accounts/login/", "alice", f"wrong-{n}")
    right, client = login("/accounts/login/", "alice", PASSWORD)
    again = [login("/accounts/login/", "alice", f"wrong-{n}")[0].status_code
             for n in range(settings.AXES_FAILURE_LIMIT - 1)]

    assert right.status_code == 302 and logged_in(client)
    assert again == [200] * (settings.AXES_FAILURE_LIMIT - 1)  # AXES_RESET_ON_SUCCESS: counting anew


def test_other_users_and_other_addresses_are_not_affected(users, settings):
    fail_until_locked("/accounts/login/", settings)

    bob, bob_client = login("/accounts/login/", "bob", PASSWORD)  # same address, other user
    alice_home, alice_client = login("/accounts/login/", "alice", PASSWORD, ip="198.51.100.20")
    still, _ = login("/accounts/login/", "alice", PASSWORD)

    assert bob.status_code == 302 and logged_in(bob_client)
    assert alice_home.status_code == 302 and logged_in(alice_client)
    assert still.status_code == 429


def test_a_forged_forwarded_for_header_does_not_escape(users, settings):
    fail_until_locked("/accounts/login/", settings)

    forged, client = login("/accounts/login/", "alice", PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.99")

    assert forged.status_code == 429 and not logged_in(client)


def age_attempts(by: timedelta) -> None:
    """Move the recorded attempts back in time (what waiting would do)."""
    for attempt in AccessAttempt.objects.all():
        AccessAttempt.objects.filter(pk=attempt.pk).update(attempt_time=attempt.attempt_time - by)


def test_the_lockout_ends_after_the_cool_off(users, settings):
    fail_until_locked("/accounts/login/", settings)
    age_attempts(timedelta(hours=float(settings.AXES_COOLOFF_TIME), seconds=5))

    after, client = login("/accounts/login/", "alice", PASSWORD)

    assert after.status_code == 302 and logged_in(client)


def test_trying_during_the_lockout_starts_the_cool_off_again(users, settings):
    """A minute before the end it is still locked; that attempt counts, so the lockout
    then lasts a full cool-off from it (a password-guessing script never gets out)."""
    fail_until_locked("/accounts/login/", settings)
    cool_off = timedelta(hours=float(settings.AXES_COOLOFF_TIME))

    age_attempts(cool_off - timedelta(minutes=1))
    almost, _ = login("/accounts/login/", "alice", PASSWORD)
    age_attempts(timedelta(minutes=2))
    still, _ = login("/accounts/login/", "alice", PASSWORD)

    assert (almost.status_code, still.status_code) == (429, 429)


def test_a_lockout_is_shown_without_the_password(users, settings):
    fail_until_locked("/accounts/login/", settings)

    locked, _ = login("/accounts/login/", "alice", PASSWORD)

    assert PASSWORD not in locked.content.decode()
