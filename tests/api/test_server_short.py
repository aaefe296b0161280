"""The API's Test Connection when this server runs short of open files or threads: Harbor's
error shape with 503 and Retry-After, nothing stored (tests/test_server_short.py: the pages)."""

import pytest

from endpoints.models import ConnectionAttempt, Registry
from tests.api.conftest import harbor_error

pytestmark = pytest.mark.django_db

SHORT = "This server is short of open files or threads right now, so nothing was tested"


def test_the_apis_create_answers_503_and_stores_nothing(api, server_short):
    response = api.post("/registries", {"name": "mirror", "url": "http://127.0.0.1:9",
                                        "type": "docker-registry"})

    error = harbor_error(response, 503, "UNKNOWN")
    assert SHORT in error["message"] and response["Retry-After"] == "10"
    assert Registry.objects.count() == 0
    assert list(ConnectionAttempt.objects.values_list("outcome", flat=True)) == ["server busy"]
