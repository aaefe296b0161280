"""Robot accounts in the Django admin: adding one shows its secret once (never again, on no
page and in no log); "Regenerate secret" shows the new one once; "Disable"/"Enable"; the
list shows the state, the expiry and the last use."""

import logging
import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.test import Client
from django.utils import timezone

from api.models import RobotAccount
from tests.api.conftest import Api, basic
from tests.security.canary import find_canaries

pytestmark = pytest.mark.django_db

ADD = "/admin/api/robotaccount/add/"
LIST = "/admin/api/robotaccount/"
SECRET_ON_PAGE = re.compile(r'<code class="robot-secret"[^>]*>([^<]+)</code>')


def add_robot(client, name="ci", permissions=("view_registry",), duration="30") -> tuple[object, str]:
    response = client.post(ADD, {"name": name, "description": "CI pipeline", "permissions": list(permissions),
                                 "duration": duration})
    assert response.status_code == 200, response.content[:2000]
    match = SECRET_ON_PAGE.search(response.content.decode())
    assert match, response.content.decode()[:3000]
    return response, match.group(1)


def works(name: str, secret: str) -> bool:
    return Api(Client(), basic(name, secret)).get("/registries").status_code == 200


def test_adding_a_robot_shows_its_secret_once(superuser_client, caplog):
    caplog.set_level(logging.DEBUG)
    page, secret = add_robot(superuser_client)

    html = page.content.decode()
    assert "robot$ci" in html and "will not be shown again" in html
    assert "no-store" in page["Cache-Control"]
    assert works("robot$ci", secret)
    robot = RobotAccount.objects.get()
    assert robot.created_by.username == "root" and robot.permissions == ["view_registry"]
    assert abs(robot.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    entry = LogEntry.objects.get(object_id=str(robot.pk))
    assert entry.action_flag == ADDITION and entry.user.username == "root"
    pages = (LIST, f"{LIST}{robot.pk}/change/", f"{LIST}{robot.pk}/history/", f"{LIST}{robot.pk}/delete/")
    later = [superuser_client.get(url) for url in pages]
    assert [p.status_code for p in later] == [200] * 4
    for later_page in later:
        assert find_canaries(later_page.content, secret) == []
    logged = "\n".join(f"{r.getMessage()} {r.args!r}" for r in caplog.records)
    assert find_canaries(logged, secret) == []
    assert find_canaries(str(list(LogEntry.objects.values())), secret) == []
    # Searching for the secret finds nothing (the page echoes only the query typed).
    assert "0 robot accounts" in superuser_client.get(f"{LIST}?q={secret}").content.decode()


def test_a_name_already_taken_or_invalid_is_a_form_error(superuser_client):
    add_robot(superuser_client)

    for name in ("ci", "Not Valid"):
        response = superuser_client.post(ADD, {"name": name, "permissions": ["view_registry"],
                                               "duration": "-1"})
        assert response.status_code == 200 and not SECRET_ON_PAGE.search(response.content.decode())
        assert "errorlist" in response.content.decode()
    assert RobotAccount.objects.count() == 1


def test_never_expires_with_minus_one(superuser_client):
    add_robot(superuser_client, duration="-1")

    assert RobotAccount.objects.get().expires_at is None


def test_regenerate_shows_the_new_secret_once_and_the_old_stops_working(superuser_client):
    _, old = add_robot(superuser_client)
    robot = RobotAccount.objects.get()

    page = superuser_client.post(LIST, {"action": "regenerate_secret", "_selected_action": [robot.pk]})

    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    new = SECRET_ON_PAGE.search(page.content.decode()).group(1)
    assert new != old and works("robot$ci", new) and not works("robot$ci", old)
    entry = LogEntry.objects.filter(object_id=str(robot.pk), action_flag=CHANGE).get()
    assert "Secret" in entry.get_change_message()
    assert find_canaries(superuser_client.get(LIST).content, new) == []


def test_disable_and_enable(superuser_client):
    _, secret = add_robot(superuser_client)
    robot = RobotAccount.objects.get()

    superuser_client.post(LIST, {"action": "disable_robots", "_selected_action": [robot.pk]})
    assert not works("robot$ci", secret)
    assert "Disabled" in superuser_client.get(LIST).content.decode()
    superuser_client.post(LIST, {"action": "enable_robots", "_selected_action": [robot.pk]})
    assert works("robot$ci", secret)


def test_the_list_shows_state_expiry_and_last_use(superuser_client):
    _, secret = add_robot(superuser_client)
    works("robot$ci", secret)

    html = superuser_client.get(LIST).content.decode()

    for label in ("Last used", "Expires", "Permissions", "Active", "127.0.0.1"):
        assert label in html, label
    RobotAccount.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert "Expired" in superuser_client.get(LIST).content.decode()


def test_the_change_page_does_not_offer_the_secret_or_the_hash(superuser_client):
    add_robot(superuser_client)
    robot = RobotAccount.objects.get()

    html = superuser_client.get(f"{LIST}{robot.pk}/change/").content.decode()

    assert robot.secret_hash not in html and 'name="secret_hash"' not in html
    assert "Regenerate secret" in html or "regenerate" in html.lower()


def test_deleting_a_robot_keeps_its_change_log_and_its_name_free(superuser_client, recording_registry):
    _, secret = add_robot(superuser_client, permissions=["view_registry", "add_registry"])
    robot = RobotAccount.objects.get()
    created = Api(Client(), basic("robot$ci", secret)).post("/registries", {
        "name": "by-robot", "type": "docker-registry", "url": recording_registry.url,
        "credential": {"access_key": "ci", "access_secret": "ci-pass"}})
    assert created.status_code == 201

    response = superuser_client.post(f"{LIST}{robot.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302 and not RobotAccount.objects.exists()
    assert not works("robot$ci", secret)
    entry = LogEntry.objects.get(content_type__model="registry", action_flag=ADDITION,
                                 object_id=created["Location"].rsplit("/", 1)[1])
    assert entry.user.username == "robot$ci"
    _, again = add_robot(superuser_client)
    assert works("robot$ci", again) and RobotAccount.objects.get().user_id == entry.user_id
