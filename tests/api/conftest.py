"""What the API tests share: a client that speaks to /api/v2.0 with HTTP Basic, as every
real client does, and the checks of Harbor's error shape."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.test import Client

API = "/api/v2.0"
RFC3339_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Api:
    """Requests under /api/v2.0 as harborapi sends them: Basic auth, JSON bodies."""

    def __init__(self, client: Client, authorization: str | None = None) -> None:
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}

    def _url(self, path: str) -> str:
        return path if path.startswith("/api/") else API + path

    def get(self, path: str, **extra):
        return self.client.get(self._url(path), **{**self.headers, **extra})

    def send(self, method: str, path: str, body=None, *, raw: bytes | str | None = None,
             content_type: str = "application/json", **extra):
        data = raw if raw is not None else ("" if body is None else json.dumps(body))
        return self.client.generic(method, self._url(path), data, content_type, **{**self.headers, **extra})

    def post(self, path: str, body=None, **kwargs):
        return self.send("POST", path, body, **kwargs)

    def put(self, path: str, body=None, **kwargs):
        return self.send("PUT", path, body, **kwargs)

    def delete(self, path: str, **extra):
        return self.client.delete(self._url(path), content_type="application/json",
                                  **{**self.headers, **extra})


@pytest.fixture
def api_as(db):
    def make(user, password: str | None = None, client: Client | None = None) -> Api:
        return Api(client or Client(), basic(user.username, password or f"pw-{user.username}"))

    return make


@pytest.fixture
def api(api_as, owner) -> Api:
    """The owner persona (every registry permission) over Basic auth."""
    return api_as(owner)


@pytest.fixture
def anonymous_api(db) -> Api:
    return Api(Client())


def harbor_error(response, status: int, code: str) -> dict:
    """Assert Harbor's error shape ({"errors":[{"code","message"}]}, JSON) and return the
    first error."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = json.loads(response.content)
    assert list(body) == ["errors"] and body["errors"], body
    for error in body["errors"]:
        assert isinstance(error["code"], str) and isinstance(error["message"], str)
    assert body["errors"][0]["code"] == code, body
    return body["errors"][0]


def no_body(response) -> None:
    """What Harbor sends for 201/200 without a schema: no body and no Content-Type."""
    assert response.content == b""
    assert "Content-Type" not in response


@pytest.fixture(autouse=True)
def _fresh_request_counts():
    """DRF's per-user request throttle counts in the cache: each test starts from zero."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


# --- real clients over real sockets (live_server) ------------------------------------------


@pytest.fixture
def harbor_url(live_server, settings) -> str:
    """The API's base URL as every client wants it (…/api/v2.0). A client run creates and
    pings more endpoints in a minute than the per-user test limit allows a person."""
    settings.ENDPOINT_TESTS_PER_MINUTE = 1000
    return live_server.url + API


@pytest.fixture
def make_bulk(make_registry):
    """`count` more endpoints named PREFIX-NN, so a list spans several pages."""

    def make(prefix: str, count: int, url: str = "https://bulk.example.com") -> None:
        for n in range(count):
            make_registry(name=f"{prefix}-{n:02d}", url=url)

    return make


@pytest.fixture
def robots(owner):
    """robot$reader (view only) and robot$writer (view, add, change, delete), with secrets."""
    from api.models import RobotAccount

    reader, reader_secret = RobotAccount.objects.create_robot("reader", ["view_registry"], created_by=owner)
    writer, writer_secret = RobotAccount.objects.create_robot(
        "writer", ["view_registry", "add_registry", "change_registry", "delete_registry"], created_by=owner)
    return {"reader": (reader.name, reader_secret), "writer": (writer.name, writer_secret)}


def sent_secret(recording, username: str = "ci") -> list[str]:
    """The passwords the recording registry received over Basic."""
    found = []
    for request in recording.requests:
        if request.authorization.startswith("Basic "):
            user, _, password = base64.b64decode(request.authorization[6:]).decode().partition(":")
            if user == username:
                found.append(password)
    return found
