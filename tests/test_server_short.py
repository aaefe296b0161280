"""When this server runs short of open files or threads during a Test Connection, the
answer is a 503 that says so and when to retry: never a verdict about the endpoint, nothing
stored, the attempt recorded as "server busy" (pages and API alike)."""

import json

import pytest

from endpoints.models import ConnectionAttempt, Registry
from tests.forms import registry_form

pytestmark = pytest.mark.django_db

SHORT = "This server is short of open files or threads right now, so nothing was tested"



def test_the_pages_test_connection_answers_503_and_stores_nothing(owner_client, server_short):
    response = owner_client.post("/registries/test/", registry_form(action="test"),
                                 HTTP_ACCEPT="application/json")

    assert response.status_code == 503 and response["Retry-After"] == "10"
    assert SHORT in json.loads(response.content)["summary"]
    assert Registry.objects.count() == 0
    assert list(ConnectionAttempt.objects.values_list("outcome", flat=True)) == ["server busy"]

