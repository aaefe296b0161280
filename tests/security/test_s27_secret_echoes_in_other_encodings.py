"""S27: a remote that echoes the secret back HTML-escaped, `quote_plus`-encoded,
URL-encoded with `/` kept, as lowercase or uppercase hex, or URL-encoded twice gets none of
it into what is shown or stored (the verdict, `Registry.status_detail`,
`HealthCheck.summary`). Two layers: the body of an answer to a request that carried
credentials is never quoted at all, and every excerpt blanks the check's secrets in each of
these forms."""

from __future__ import annotations

import html
import json
from urllib.parse import quote, quote_plus

import pytest

from endpoints import services
from endpoints.models import HealthCheck
from endpoints.probe.http import Response, encoded_forms
from tests.security.canary import find_canaries

SECRET = "cAnary<&>\"' +/=é-S27-pw"

ENCODINGS = {
    "html-escaped": html.escape(SECRET),
    "html-escaped with &#39;": html.escape(SECRET).replace("&#x27;", "&#39;"),
    "html-escaped, quotes kept": html.escape(SECRET, quote=False),
    "quote_plus": quote_plus(SECRET),
    "quote, / kept": quote(SECRET, safe="/"),
    "lowercase hex": SECRET.encode().hex(),
    "uppercase hex": SECRET.encode().hex().upper(),
    "double URL-encoded": quote(quote(SECRET, safe=""), safe=""),
}


def leaks(text: str) -> list[str]:
    return find_canaries(text, SECRET) + [name for name, form in ENCODINGS.items() if form in text]


@pytest.mark.parametrize("name", ENCODINGS)
def test_an_echo_to_a_credentialed_request_is_neither_shown_nor_stored(name, serve_http, make_registry):
    def echo(request):
        if "Authorization" not in request.headers:
            request.reply(401, "", {"WWW-Authenticate": 'Basic realm="r"'})
        else:
            request.reply(500, f"bad login {ENCODINGS[name]} refused")

    server = serve_http(echo)
    registry = make_registry(url=server.url, access_id="ci", secret=SECRET)

    ((_, verdict),) = services.check_registries([registry], shared=True)

    assert verdict.category == "http"
    assert server.seen[-1].headers["Authorization"].startswith("Basic ")  # the secret went out
    shown = json.dumps(verdict.as_json(), ensure_ascii=False)
    registry.refresh_from_db()
    stored = registry.status_detail + " ".join(HealthCheck.objects.values_list("summary", flat=True))
    assert "HTTP 500" in verdict.summary
    assert "bad login" not in shown  # the body of that answer is not quoted
    assert leaks(shown) == [] and leaks(stored) == []


@pytest.mark.parametrize("name", ENCODINGS)
def test_an_excerpt_blanks_every_encoding_of_a_known_secret(name):
    body = f"the server said: {ENCODINGS[name]} (end)".encode()

    excerpt = Response(500, {}, body, "https://r.test/", sensitive=tuple(encoded_forms(SECRET))).excerpt()

    assert excerpt.startswith("the server said:")
    assert leaks(excerpt) == [], excerpt
    assert SECRET[:4] not in excerpt


def test_an_anonymous_request_still_gets_its_excerpt(serve_http):
    """Only answers to credentialed requests lose their body: an anonymous error stays
    explained."""
    from tests.fixtures.probing import check

    server = serve_http(lambda r: r.reply(500, "registry storage driver failed"))

    verdict = check(server.url)

    assert "registry storage driver failed" in verdict.summary
