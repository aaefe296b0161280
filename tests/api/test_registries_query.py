"""GET /registries: page/page_size (0 = all), X-Total-Count always, Harbor's exact Link,
the q grammar (exact, ~fuzzy, [ranges], {lists}), sort, and the deprecated fuzzy name=."""

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from endpoints.models import Registry
from tests.api.conftest import harbor_error

pytestmark = pytest.mark.django_db


def names(response) -> list[str]:
    assert response.status_code == 200, response.content[:400]
    return [item["name"] for item in response.json()]


@pytest.fixture
def many(make_registry):
    return [make_registry(name=f"reg{n:02d}") for n in range(25)]


@pytest.fixture
def trio(make_registry):
    alpha = make_registry(name="alpha", description="first of three")
    beta = make_registry(name="beta", provider="docker-hub", url="https://hub.docker.com",
                         verify_remote_cert=False)
    gamma = make_registry(name="gamma_1", url="https://gamma.example.com/prefix")
    Registry.objects.filter(pk=beta.pk).update(status="healthy")
    Registry.objects.filter(pk=gamma.pk).update(status="unhealthy")
    return alpha, beta, gamma


def test_pages_carry_harbors_link_and_the_total(api, many):
    first = api.get("/registries?page_size=10")
    second = api.get("/registries?page=2&page_size=10")
    last = api.get("/registries?page=3&page_size=10")

    assert [r["X-Total-Count"] for r in (first, second, last)] == ["25"] * 3
    assert first["Link"] == '</api/v2.0/registries?page=2&page_size=10>; rel="next"'
    assert second["Link"] == ('</api/v2.0/registries?page=1&page_size=10>; rel="prev" , '
                              '</api/v2.0/registries?page=3&page_size=10>; rel="next"')
    assert last["Link"] == '</api/v2.0/registries?page=2&page_size=10>; rel="prev"'
    assert len(names(first)) == 10 and len(names(last)) == 5
    assert names(first) + names(second) + names(last) == [f"reg{n:02d}" for n in range(25)]


def test_the_default_page_is_ten_rows_and_the_link_says_so(api, many):
    response = api.get("/registries")

    assert len(names(response)) == 10
    assert response["Link"] == '</api/v2.0/registries?page=2&page_size=10>; rel="next"'


def test_the_link_keeps_every_parameter_sorted_and_unescaped(api, trio, make_registry):
    for n in range(3):
        make_registry(name=f"alpha{n}")

    response = api.get("/registries?sort=-name&q=name%3D~alpha&page_size=2")

    assert response["Link"] == (
        '</api/v2.0/registries?page=2&page_size=2&q=name=~alpha&sort=-name>; rel="next"')
    assert response["X-Total-Count"] == "4"


def test_harborapi_follows_the_link_to_the_end(api, many):
    """harborapi's own parsing: the regex, /api/v2.0 stripped, the link re-requested as is."""
    seen, path = [], "/registries?page_size=7"
    while path:
        response = api.get(path)
        seen += names(response)
        match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
        path = re.sub(r"\/api\/v[0-9]\.[0-9]{1,2}", "", match.group(1)) if match else None

    assert seen == [f"reg{n:02d}" for n in range(25)]


@pytest.mark.parametrize("query", ["page_size=0", "page=0&page_size=0", "page=3&page_size=0"])
def test_page_size_zero_is_every_row_without_a_link(api, many, query):
    response = api.get(f"/registries?{query}")

    assert len(names(response)) == 25 and "Link" not in response and response["X-Total-Count"] == "25"


def test_goharbor_clis_name_lookup(api, trio):
    response = api.get("/registries?name=alph&page=0&page_size=0")

    assert names(response) == ["alpha"]


def test_page_size_over_100_is_a_binding_error(api):
    error = harbor_error(api.get("/registries?page_size=101"), 422, "UNPROCESSABLE_ENTITY")

    assert error["message"] == (
        "validation failure list:\npage_size in query should be less than or equal to 100")


@pytest.mark.parametrize("parameter", ["page", "page_size"])
def test_a_non_integer_page_is_a_binding_error(api, parameter):
    error = harbor_error(api.get(f"/registries?{parameter}=two"), 422, "UNPROCESSABLE_ENTITY")

    assert error["message"] == f'validation failure list:\n{parameter} in query must be of type int64: "two"'


@pytest.mark.parametrize("q, expected", [
    ("name=alpha", ["alpha"]),
    ("Name=alpha", ["alpha"]),
    ("name=~ALP", ["alpha"]),
    ("name=~_", ["gamma_1"]),  # LIKE wildcards are literal
    ("name={alpha gamma_1}", ["alpha", "gamma_1"]),
    ("type=docker-hub", ["beta"]),
    ("Type=docker-registry", ["alpha", "gamma_1"]),
    ("insecure=true", ["beta"]),
    ("insecure=false", ["alpha", "gamma_1"]),
    ("status=healthy", ["beta"]),
    ("health=unhealthy", ["gamma_1"]),
    ("status=unknown", ["alpha"]),
    ("description=~three", ["alpha"]),
    ("url=~prefix", ["gamma_1"]),
    ("url=https://hub.docker.com", ["beta"]),
    ("name=~a,type=docker-registry", ["alpha", "gamma_1"]),
    ("credential_type=basic,no_such_key=x", ["alpha", "beta", "gamma_1"]),  # unknown keys ignored
    ("name=\\~x", []),  # a leading backslash escapes the first character
    ("name=(alpha beta)", ["alpha", "beta", "gamma_1"]),  # an AND list means nothing for registries
    ("name={}", ["alpha", "beta", "gamma_1"]),  # an empty OR list filters nothing
    ("name__icontains=ET", ["beta"]),
])
def test_q_filters(api, trio, q, expected):
    assert names(api.get("/registries", data={"q": q, "sort": "name"})) == expected


def test_q_ranges_and_lists_of_ids_and_times(api, trio):
    alpha, beta, gamma = trio
    Registry.objects.filter(pk=alpha.pk).update(created_at=datetime(2024, 5, 1, 8, tzinfo=UTC))
    Registry.objects.filter(pk=beta.pk).update(created_at=datetime(2024, 6, 1, 8, tzinfo=UTC))

    def query(q):
        return names(api.get("/registries", data={"q": q, "sort": "name"}))

    assert query(f"id=[{beta.pk}~{gamma.pk}]") == ["beta", "gamma_1"]
    assert query(f"id=[~{alpha.pk}]") == ["alpha"]
    assert query(f"id={{{alpha.pk} {gamma.pk}}}") == ["alpha", "gamma_1"]
    assert query(f"id={beta.pk}") == ["beta"]
    assert query("creation_time=[2024-04-01T00:00:00~2024-05-15T00:00:00]") == ["alpha"]
    assert query("CreationTime=[2024-05-15T00:00:00~]") == ["beta", "gamma_1"]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S")
    assert query(f"update_time=[~{future}]") == ["alpha", "beta", "gamma_1"]


def test_q_is_unescaped_once_more_as_the_harbor_ui_double_encodes_it(api, trio):
    assert names(api.get("/registries?q=name%253D~alp")) == ["alpha"]


@pytest.mark.parametrize("q, message", [
    ("name", 'the query string must contain "=" and the key/value cannot be empty'),
    ("name=", 'the query string must contain "=" and the key/value cannot be empty'),
    ("=alpha", 'the query string must contain "=" and the key/value cannot be empty'),
    ("name=alpha,", 'the query string must contain "=" and the key/value cannot be empty'),
    ("name=~", "invalid query string value: ~"),
    ("id=[1~2~3]", "invalid query string value: [1~2~3]"),
    ("id=[~]", "invalid query string value: [~]"),
    ("id=[1", "invalid query string value: [1"),
    ("id={1 2", "invalid query string value: {1 2"),
    ("name=(a b", "invalid query string value: (a b"),
])
def test_malformed_q_is_harbors_400(api, q, message):
    error = harbor_error(api.get("/registries", data={"q": q}), 400, "BAD_REQUEST")

    assert error["message"] == message


@pytest.mark.parametrize("q", ["id=abc", "insecure=maybe", "creation_time=yesterday", "id=~1",
                               "creation_time=[a~b]"])
def test_a_value_of_the_wrong_type_is_a_400_not_a_500(api, trio, q):
    error = harbor_error(api.get("/registries", data={"q": q}), 400, "BAD_REQUEST")

    assert error["message"].startswith("invalid query string value: ")


def test_q_is_bounded_and_parsed_in_linear_time(api):
    hostile = "name=" + "[" * 5000 + "~" * 50_000 + "{" * 50_000

    started = time.monotonic()
    error = harbor_error(api.get("/registries", data={"q": hostile}), 400, "BAD_REQUEST")

    assert time.monotonic() - started < 1.0
    assert "too long" in error["message"]


@pytest.mark.parametrize("sort, expected", [
    ("name", ["alpha", "beta", "gamma_1"]),
    ("-name", ["gamma_1", "beta", "alpha"]),
    ("-Name", ["gamma_1", "beta", "alpha"]),
    ("type,-name", ["beta", "gamma_1", "alpha"]),
    ("no_such_key,name", ["alpha", "beta", "gamma_1"]),  # unknown keys ignored
    ("-creation_time", ["gamma_1", "beta", "alpha"]),
    ("", ["alpha", "beta", "gamma_1"]),  # no sort: in the order they were created, as Harbor's database
])
def test_sort(api, trio, sort, expected):
    assert names(api.get("/registries", data={"sort": sort})) == expected


def test_the_deprecated_name_parameter_is_fuzzy_and_combines_with_q(api, trio):
    assert names(api.get("/registries?name=A&sort=name")) == ["alpha", "beta", "gamma_1"]
    assert names(api.get("/registries?name=et")) == ["beta"]
    assert names(api.get("/registries", data={"name": "a", "q": "type=docker-hub"})) == ["beta"]
