"""Robot accounts (issue 11, item 4): `robot$<name>` with a permission set and an expiry,
a secret shown once and stored only as a hash, Basic auth on the API only; refused (401
in Harbor's shape) when the secret is wrong, the robot disabled or expired; failures
counted by django-axes like any login; the change log names the robot."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import ADDITION, DELETION, LogEntry
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import RobotAccount
from endpoints.models import ConnectionAttempt, Registry
from tests.api.conftest import Api, basic, harbor_error

pytestmark = pytest.mark.django_db

ALL = ["view_registry", "add_registry", "change_registry", "delete_registry"]


@pytest.fixture
def make_robot(owner):
    def make(name="ci", permissions=("view_registry",), **extra) -> tuple[RobotAccount, str]:
        return RobotAccount.objects.create_robot(name, list(permissions), created_by=owner, **extra)

    return make


def robot_api(robot: RobotAccount, secret: str, **client_kwargs) -> Api:
    return Api(Client(**client_kwargs), basic(robot.name, secret))


# --- the account --------------------------------------------------------------------------


def test_it_is_named_with_harbors_prefix_and_keeps_only_a_hash_of_the_secret(make_robot):
    robot, secret = make_robot("ci-bot")

    assert robot.name == "robot$ci-bot" and str(robot) == "robot$ci-bot"
    assert len(secret) >= 40 and secret not in robot.secret_hash
    assert robot.secret_hash.startswith("pbkdf2_sha256$")
    assert robot.check_secret(secret) and not robot.check_secret(secret[:-1] + "x")
    assert robot.secret_updated_at is not None and robot.last_used_at is None


def test_the_prefix_may_be_typed_and_is_not_doubled(make_robot):
    robot, _ = make_robot("robot$deployer")

    assert robot.name == "robot$deployer"


@pytest.mark.parametrize("name", ["CI", "a b", "-ci", "ci-", "c..i", "ci$x", "", "x" * 65, "ü"])
def test_names_follow_harbors_rule(make_robot, name):
    with pytest.raises(ValidationError) as refused:
        make_robot(name)

    assert "name" in refused.value.message_dict
    assert not RobotAccount.objects.exists()
    assert not User.objects.filter(username__startswith="robot$").exists()


def test_permissions_are_a_non_empty_subset_of_the_registry_permissions(make_robot):
    with pytest.raises(ValidationError):
        make_robot(permissions=[])
    with pytest.raises(ValidationError):
        make_robot(permissions=["view_registry", "add_user"])


def test_a_duplicate_name_is_refused(make_robot):
    make_robot("ci")
    with pytest.raises(ValidationError) as refused:
        make_robot("ci")

    assert "already exists" in str(refused.value)


def test_the_backing_user_cannot_log_in_to_the_pages(make_robot):
    robot, secret = make_robot(permissions=ALL)

    assert not robot.user.is_active and not robot.user.is_staff and not robot.user.has_usable_password()
    page = Client().post("/accounts/login/", {"username": robot.name, "password": secret})
    assert page.status_code == 200 and "_auth_user_id" not in page.client.session
    assert Client().get("/registries/", HTTP_AUTHORIZATION=basic(robot.name, secret)).status_code == 302


def test_expiry_in_days_like_harbors_duration(make_robot):
    robot, _ = make_robot(duration_days=30)
    never, _ = make_robot("forever", duration_days=-1)

    assert abs(robot.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert never.expires_at is None


# --- authentication -------------------------------------------------------------------


def test_a_robot_with_view_may_read_and_gets_403_on_writes(make_robot, make_registry):
    registry = make_registry(name="seen")
    robot, secret = make_robot(permissions=["view_registry"])
    api = robot_api(robot, secret)

    assert api.get("/registries").json()[0]["name"] == "seen"
    assert api.get(f"/registries/{registry.pk}").status_code == 200
    for response in (api.post("/registries", {"name": "x", "type": "docker-registry", "url": "https://r.example"}),
                     api.put(f"/registries/{registry.pk}", {"description": "x"}),
                     api.delete(f"/registries/{registry.pk}")):
        error = harbor_error(response, 403, "FORBIDDEN")
        assert error["message"].startswith("robot$ci: ")
    assert list(Registry.objects.values_list("name", "description")) == [("seen", "")]


def test_a_robot_with_add_creates_and_the_change_log_names_it(make_robot, recording_registry):
    robot, secret = make_robot(permissions=["view_registry", "add_registry", "delete_registry"])
    api = robot_api(robot, secret)

    created = api.post("/registries", {"name": "by-robot", "type": "docker-registry",
                                       "url": recording_registry.url,
                                       "credential": {"access_key": "ci", "access_secret": "ci-pass"}})
    assert created.status_code == 201, created.content
    registry = Registry.objects.get(name="by-robot")
    added = LogEntry.objects.get(object_id=str(registry.pk), action_flag=ADDITION)
    assert added.user.username == "robot$ci"
    assert ConnectionAttempt.objects.get(url=recording_registry.url).user.username == "robot$ci"
    assert registry.checks.get().checked_by.username == "robot$ci"

    assert api.delete(created["Location"]).status_code == 200
    assert LogEntry.objects.get(object_id=str(registry.pk), action_flag=DELETION).user.username == "robot$ci"


@pytest.mark.parametrize("case", ["wrong secret", "unknown robot", "empty secret"])
def test_wrong_credentials_are_401(make_robot, case):
    robot, secret = make_robot()
    name, given = {"wrong secret": (robot.name, secret + "x"), "unknown robot": ("robot$nobody", secret),
                   "empty secret": (robot.name, "")}[case]

    response = Api(Client(), basic(name, given)).get("/registries")

    error = harbor_error(response, 401, "UNAUTHORIZED")
    assert error["message"] == "unauthorized: invalid robot name or secret"
    assert response["WWW-Authenticate"] == 'Basic realm="harborreg"'


def test_a_disabled_robot_is_401_saying_so(make_robot):
    robot, secret = make_robot()
    robot.disabled = True
    robot.save()

    error = harbor_error(robot_api(robot, secret).get("/registries"), 401, "UNAUTHORIZED")

    assert "robot$ci is disabled" in error["message"]


def test_an_expired_robot_is_401_saying_since_when(make_robot):
    robot, secret = make_robot()
    robot.expires_at = timezone.now() - timedelta(seconds=1)
    robot.save()

    error = harbor_error(robot_api(robot, secret).get("/registries"), 401, "UNAUTHORIZED")

    assert "robot$ci expired on " in error["message"]


def test_a_regenerated_secret_replaces_the_old_one(make_robot):
    robot, old = make_robot()
    new = robot.regenerate_secret()

    assert new != old
    harbor_error(robot_api(robot, old).get("/registries"), 401, "UNAUTHORIZED")
    assert robot_api(robot, new).get("/registries").status_code == 200


def test_last_use_is_recorded_at_most_once_a_minute(make_robot):
    robot, secret = make_robot()
    api = robot_api(robot, secret)

    api.get("/registries", REMOTE_ADDR="192.0.2.7")
    robot.refresh_from_db()
    first = robot.last_used_at
    assert first is not None and robot.last_used_from == "192.0.2.7"

    with CaptureQueriesContext(connection) as captured:
        api.get("/registries", REMOTE_ADDR="192.0.2.8")
    robot.refresh_from_db()
    assert robot.last_used_at == first and robot.last_used_from == "192.0.2.7"
    assert not [q for q in captured if q["sql"].startswith("UPDATE")]

    RobotAccount.objects.filter(pk=robot.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/registries", REMOTE_ADDR="192.0.2.8")
    robot.refresh_from_db()
    assert robot.last_used_at > first and robot.last_used_from == "192.0.2.8"


def test_failed_robot_logins_are_counted_by_axes_and_lock_out(make_robot, settings):
    robot, secret = make_robot()
    attacker = {"REMOTE_ADDR": "203.0.113.9"}
    wrong = robot_api(robot, "guess")
    statuses = [wrong.get("/registries", **attacker).status_code for _ in range(settings.AXES_FAILURE_LIMIT)]

    right = robot_api(robot, secret).get("/registries", **attacker)

    assert statuses[:-1] == [401] * (settings.AXES_FAILURE_LIMIT - 1)
    assert AccessAttempt.objects.get(username="robot$ci").failures_since_start >= settings.AXES_FAILURE_LIMIT
    error = harbor_error(right, 429, "TOO_MANY_REQUEST")
    assert "robot$ci" in error["message"] and int(right["Retry-After"]) > 0
    assert robot_api(robot, secret).get("/registries").status_code == 200  # another address


def test_a_human_basic_login_is_not_affected(api, make_robot):
    make_robot()

    assert api.get("/registries").status_code == 200


def test_users_current_and_systeminfo_know_the_robot(make_robot):
    robot, secret = make_robot()
    api = robot_api(robot, secret)

    current = api.get("/users/current").json()
    assert current["username"] == "robot$ci" and current["sysadmin_flag"] is False
    assert "harbor_version" in api.get("/systeminfo").json()


def test_a_robot_needs_no_csrf_and_gets_no_session(make_robot, recording_registry):
    robot, secret = make_robot(permissions=["view_registry"])
    api = robot_api(robot, secret, enforce_csrf_checks=True)

    response = api.post("/registries/ping", {"type": "docker-registry", "url": recording_registry.url})

    assert response.status_code in (200, 400)
    assert "sessionid" not in response.cookies
