"""S32: a form POST declaring a charset other than UTF-8 (`charset=utf-16` and friends)
with any well-formed `csrftoken` cookie is answered 400 with a short page saying what to
fix, for anonymous and logged-in users alike, and no traceback is logged.

Without the guard, Django refuses the body (`BadRequest`), then its 400 and 500 handlers
re-run the CSRF check, which re-reads the body and raises again: the exception escapes the
application, so gunicorn answers 500 and logs the traceback at ERROR."""

import logging

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

FORM = "username=someone&password=pw&csrfmiddlewaretoken=" + "a" * 32
PATHS = ("/accounts/login/", "/registries/new/")
CHARSETS = ("utf-16", "utf-32", "iso-8859-1", "utf8")  # "utf8": Django wants it spelled utf-8


def post_form(client: Client, path: str, charset: str, **headers):
    """POST the form encoded in `charset`; an exception that escapes the app is what the
    WSGI server turns into a 500 with a logged traceback."""
    try:
        body = FORM.encode(charset)
    except LookupError:  # a charset no one knows: the bytes are plain ASCII
        body = FORM.encode()
    try:
        return client.generic("POST", path, body,
                              content_type=f"application/x-www-form-urlencoded; charset={charset}",
                              **headers)
    except Exception as exc:
        pytest.fail(f"{type(exc).__name__} escaped the application (the server answers 500): {exc}")


@pytest.fixture(params=["anonymous", "logged-in"])
def browser(request, owner) -> Client:
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    client.cookies["csrftoken"] = "a" * 32
    if request.param == "logged-in":
        client.force_login(owner)
    return client


def assert_no_traceback_logged(caplog) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r.getMessage() for r in caplog.records if r.exc_info] == []


@pytest.mark.parametrize("charset", CHARSETS)
@pytest.mark.parametrize("path", PATHS)
def test_it_answers_400_with_a_short_plain_page(browser, path, charset, caplog):
    caplog.set_level(logging.INFO)

    response = post_form(browser, path, charset)

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "UTF-8" in text and len(text) < 400
    assert "Traceback" not in text
    assert_no_traceback_logged(caplog)


@pytest.mark.parametrize("path", PATHS)
def test_it_answers_json_to_a_client_that_asks_for_json(browser, path, caplog):
    response = post_form(browser, path, "utf-16", HTTP_ACCEPT="application/json")

    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]
    assert_no_traceback_logged(caplog)


def test_an_unknown_charset_is_refused_too(browser):
    response = post_form(browser, "/accounts/login/", "x-no-such-charset")

    assert response.status_code == 400
    assert "x-no-such-charset" in response.content.decode()


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded;charset=UTF-8",  # what fetch() sends with URLSearchParams
])
def test_a_utf8_form_still_logs_in(owner, content_type):
    client = Client()
    body = "username=owner&password=pw-owner&next=/registries/"

    response = client.generic("POST", "/accounts/login/", body, content_type=content_type)

    assert response.status_code == 302 and response["Location"] == "/registries/"


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded; charset*=bogus''utf-16",
    "application/json; a*=nope''x",
])
def test_a_content_type_django_cannot_parse_is_a_400_before_django(content_type, caplog):
    """Django reads Content-Type while it builds the request, before any middleware: a
    header it cannot parse must be answered by the WSGI application itself."""
    import io

    from harborreg.wsgi import application

    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/accounts/login/", "SERVER_NAME": "testserver",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(b"a=b"),
        "CONTENT_TYPE": content_type, "CONTENT_LENGTH": "3", "wsgi.errors": io.StringIO(),
    }
    started: list = []

    with caplog.at_level(logging.INFO):
        try:
            body = b"".join(application(environ, lambda status, headers: started.append(status)))
        except Exception as exc:
            pytest.fail(f"{type(exc).__name__} escaped the application (the server answers 500): {exc}")

    assert started == ["400 Bad Request"]
    assert b"Content-Type" in body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
