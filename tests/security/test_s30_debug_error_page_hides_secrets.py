"""S30: with DEBUG on (the quick start), an unexpected exception while handling a request
that carries a typed secret shows Django's technical 500 page: it must show neither the
secret in the POST data nor in any frame's local variables, in any encoding, and the
error log record (and any report built from it) must not carry it either."""

import html
import logging
from urllib.parse import quote, quote_plus

import pytest
from django.contrib.messages.middleware import MessageMiddleware
from django.test import Client
from django.views.debug import ExceptionReporter

from endpoints import services
from endpoints.admin import RegistryAdmin
from tests.forms import registry_form
from tests.security.canary import find_canaries

pytestmark = pytest.mark.django_db

# Characters that URL, HTML and JSON escaping change; its letters survive every escaping.
CANARY = "cAnary-Dbg/5&k=1+<x> 91"
JSON_KEY_CANARY = "cAnary-DbgKEY-7730-pp"
JSON_KEY = (
    '{"type": "service_account", "project_id": "canary-project", '
    '"client_email": "ci@canary-project.iam.gserviceaccount.com", '
    f'"private_key": "-----BEGIN PRIVATE KEY-----\\n{JSON_KEY_CANARY}\\n-----END PRIVATE KEY-----\\n"}}'
)


def leaks(text: str, *secrets: str) -> list[str]:
    """Every form of a secret found: plain, URL-, JSON-, HTML-escaped, base64, or any text
    that keeps its letters (a repr, an escaped repr)."""
    found = find_canaries(text, *secrets)
    for secret in secrets:
        core = secret.split("/")[0]
        for form in (html.escape(secret), html.escape(secret, quote=False), quote(secret),
                     quote_plus(secret), html.escape(quote_plus(secret)), core):
            if form in text:
                found.append(form)
    return found


def boom(*args, **kwargs):
    raise RuntimeError("boom: an unexpected failure")


@pytest.fixture
def debug_client(settings, admin_user) -> Client:
    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def error_record(caplog) -> logging.LogRecord:
    return next(r for r in caplog.records if r.name == "django.request" and r.exc_info)


def assert_nothing_logged_leaks(caplog, *secrets: str) -> None:
    record = error_record(caplog)
    formatted = logging.Formatter("%(levelname)s %(name)s %(message)s").format(record)
    assert "boom" in formatted
    assert leaks(formatted, *secrets) == []
    # What a handler that renders the record's request (AdminEmailHandler) would send.
    reporter = ExceptionReporter(record.request, *record.exc_info)
    assert leaks(reporter.get_traceback_text(), *secrets) == []
    assert leaks(reporter.get_traceback_html(), *secrets) == []


def assert_technical_page_without(response, *secrets: str) -> str:
    page = response.content.decode()
    assert response.status_code == 500
    assert "RuntimeError" in page and "Local vars" in page  # Django's technical 500 page
    assert "access_secret" in page and "********************" in page  # listed, but starred
    assert leaks(page, *secrets) == []
    return page


@pytest.mark.parametrize(("url", "data", "secret"), [
    ("/registries/test/", registry_form(access_id="ci", access_secret=CANARY, action="test"), CANARY),
    ("/registries/new/", registry_form(provider="google-gcr", url="https://gcr.io",
                                       access_id="_json_key", access_secret=JSON_KEY), JSON_KEY_CANARY),
])
def test_a_crash_inside_a_page_view_shows_no_typed_secret(debug_client, monkeypatch, caplog,
                                                         url, data, secret):
    monkeypatch.setattr(services, "test_endpoint", boom)

    response = debug_client.post(url, data)

    assert_technical_page_without(response, secret)
    assert_nothing_logged_leaks(caplog, secret)


def test_a_crash_inside_the_admin_shows_no_typed_secret(debug_client, monkeypatch, caplog):
    monkeypatch.setattr(RegistryAdmin, "save_model", boom)

    response = debug_client.post("/admin/endpoints/registry/add/", {
        "provider": "docker-registry", "name": "crashy", "url": "https://crash.example.com",
        "access_id": "ci", "access_secret": CANARY, "verify_remote_cert": "on",
    })

    assert_technical_page_without(response, CANARY)
    assert_nothing_logged_leaks(caplog, CANARY)


def test_a_crash_in_a_middleware_before_the_view_shows_no_typed_secret(debug_client, monkeypatch,
                                                                       caplog):
    """No view has said which parameters are secret yet: the names still give them away."""
    monkeypatch.setattr(MessageMiddleware, "process_request", boom)

    response = debug_client.post("/registries/new/", registry_form(access_id="ci", access_secret=CANARY))

    assert_technical_page_without(response, CANARY)
    assert_nothing_logged_leaks(caplog, CANARY)


def test_a_crash_without_a_secret_still_shows_local_variables(debug_client, monkeypatch):
    """The filter hides what could hold a secret, not everything: DEBUG stays useful."""
    from endpoints.views import registry_pages as views

    monkeypatch.setattr(views, "Paginator", boom)

    page = debug_client.get("/registries/?q=findme-7781").content.decode()

    assert "RuntimeError" in page
    assert "findme-7781" in page  # the view's `query` local
    assert "&#x27;-created&#x27;" in page  # its `sort` local
