"""SQL queries per API list request: constant in the number of registries (rules and
projects included), for a person over Basic and for a robot, on page 1 and a middle page,
with q and sort. bench/api_list.py measures the time; counts are asserted here."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from api.models import RobotAccount
from tests.api.conftest import Api, basic
from tests.test_query_counts import add_registries

pytestmark = pytest.mark.django_db

MAX_QUERIES = 5  # axes lockout check, the caller, (a person: its permissions), COUNT, the page
REQUESTS = {
    "page 1": "/registries?page_size=100",
    "page 1, q and sort": "/registries?page_size=100&q=description=~mirror&sort=-creation_time,name",
    "middle page, q and sort": "/registries?page=2&page_size=10&q=name=~reg-&sort=name",
    "every row (page_size=0)": "/registries?page=0&page_size=0&name=reg-00",
}


def queries_for(api: Api, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = api.get(url)
    assert response.status_code == 200, response.content
    return len(captured)


@pytest.fixture(params=["person", "robot"])
def caller(request, owner) -> Api:
    if request.param == "person":
        return Api(Client(), basic("owner", "pw-owner"))
    robot, secret = RobotAccount.objects.create_robot("bench", ["view_registry"], created_by=owner)
    api = Api(Client(), basic(robot.name, secret))
    api.get("/registries")  # its first use is recorded (one UPDATE a minute at most)
    return api


@pytest.mark.parametrize("url", REQUESTS.values(), ids=REQUESTS.keys())
def test_the_api_list_runs_the_same_few_queries_for_25_or_250_registries(caller, url):
    add_registries(25)
    few = queries_for(caller, url)
    add_registries(225)
    many = queries_for(caller, url)

    assert many == few
    assert many <= MAX_QUERIES
