"""S9: a redirect to `file://`, `gopher://` or a denied address is not followed and the
result says why; every hop is policed, at most 3 are followed, and credentials never
follow a redirect to another origin (OWASP: disable or re-check redirects)."""

from __future__ import annotations

import base64

import pytest

from tests.fixtures.local_servers import REGISTRY_HEADERS
from tests.fixtures.probing import check, failed_step
from tests.forms import registry_form


@pytest.mark.parametrize("location", ["file:///etc/passwd", "gopher://127.0.0.1:70/_x"])
def test_it_never_follows_a_redirect_to_another_scheme(location, serve_http, socket_connects):
    server = serve_http(lambda r: r.reply(302, "", {"Location": location}))

    verdict = check(server.url)

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == f"GET {server.url}/v2/"
    assert f"redirects to a {location.split(':')[0]}: URL, which is never followed" in verdict.summary
    assert "Endpoint URL" in step.hint
    assert ("127.0.0.1", 70) not in socket_connects


def test_it_polices_every_redirect_hop(serve_http, dialled, socket_connects):
    server = serve_http(lambda r: r.reply(307, "", {"Location": "http://169.254.169.254/latest/meta-data/"}))

    verdict = check(server.url, "ci", "pw-redirect")

    assert verdict.category == "blocked"
    step = failed_step(verdict)
    assert step.name == "Address policy"
    assert "169.254.169.254 is in ENDPOINT_DENY_NETWORKS" in verdict.summary
    assert "169.254.169.254" not in dialled
    assert not any(address == "169.254.169.254" for address, _ in socket_connects)


def test_a_redirect_to_a_denied_local_address_is_not_followed(serve_http, settings):
    """Denied by configuration rather than by default: the target server sees nothing."""
    target = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS), host="127.0.0.2")
    origin = serve_http(lambda r: r.reply(302, "", {"Location": f"{target.url}/v2/"}))
    settings.ENDPOINT_DENY_NETWORKS = [*settings.ENDPOINT_DENY_NETWORKS, "127.0.0.2/32"]

    verdict = check(origin.url)

    assert verdict.category == "blocked"
    assert "127.0.0.2 is in ENDPOINT_DENY_NETWORKS" in verdict.summary
    assert target.seen == []


def test_it_stops_after_three_redirects(serve_http):
    server = serve_http(lambda r: r.reply(302, "", {"Location": r.path + "x"}))

    verdict = check(server.url)

    assert verdict.category == "http"
    assert "More than 3 redirects" in verdict.summary
    assert len(server.seen) == 4


def test_it_does_not_forward_credentials_on_a_redirect_to_another_host(serve_http):
    final = serve_http(lambda r: r.reply(200, "{}", REGISTRY_HEADERS), host="127.0.0.2")

    def first(request):
        if "Authorization" not in request.headers:
            request.reply(401, "", {"WWW-Authenticate": 'Basic realm="r"'})
        else:
            request.reply(302, "", {"Location": f"{final.url}/v2/"})

    origin = serve_http(first)

    verdict = check(origin.url, "ci", "pw-redirect-test")

    assert verdict.ok, verdict.as_json()
    sent = base64.b64encode(b"ci:pw-redirect-test").decode()
    assert origin.seen[-1].headers["Authorization"] == f"Basic {sent}"
    assert [s.path for s in final.seen] == ["/v2/"]
    assert "Authorization" not in final.seen[0].headers
    assert "127.0.0.2 allowed" in " ".join(s.detail for s in verdict.steps)  # policed hop


@pytest.mark.django_db
def test_the_page_shows_a_clear_result(owner_client, serve_http):
    server = serve_http(lambda r: r.reply(301, "", {"Location": "file:///etc/shadow"}))

    response = owner_client.post("/registries/test/", registry_form(url=server.url, action="test"))

    html = response.content.decode()
    assert response.status_code == 200
    assert "Connection failed" in html
    assert "redirects to a file: URL, which is never followed" in html
