"""Benchmark 10: the API list (GET /api/v2.0/registries, page_size=100) against the HTML
Registries list at 100 rows a page (/registries/?per_page=100), in the same run.

For 100, 1 000 and 10 000 registries (rules and proxy-cache projects pointing at them, as
bench/list_page.py builds them) it requests page 1 and a middle page, each without and
with a search and a sort, through Django's test client, interleaving four callers: the
HTML page (session), the API with the same session, the API over Basic as a person (the
test settings' fast password hasher), and the API over Basic as a robot (its real hash:
PBKDF2, 4096 rounds). It prints median (min–max) times, the ratio to the HTML page, and
the SQL queries of one request (constant in N; tests/api/test_query_counts.py asserts it).

    .venv/bin/python bench/api_list.py            # 100, 1 000, 10 000 rows; 20 requests each
    .venv/bin/python bench/api_list.py --quick    # 100 and 1 000 rows only
"""

from __future__ import annotations

import argparse
import base64

import _common
import list_page


def cases(size: int) -> list[tuple[str, str, str]]:
    """(label, HTML list URL, API URL): the same rows on both sides. The search matches one
    description in ten ("EU mirror…"); the middle page is the middle of what matches."""
    middle_all = max(1, size // 200)
    middle_search = max(1, size // 2000)
    return [
        ("page 1", "/registries/?per_page=100&sort=name", "/api/v2.0/registries?page_size=100&sort=name"),
        (f"middle page ({middle_all})", f"/registries/?per_page=100&sort=name&page={middle_all}",
         f"/api/v2.0/registries?page_size=100&sort=name&page={middle_all}"),
        ("search + sort, page 1", "/registries/?per_page=100&q=mirror&sort=-created",
         "/api/v2.0/registries?page_size=100&q=description%3D~mirror&sort=-creation_time"),
        (f"search + sort, middle page ({middle_search})",
         f"/registries/?per_page=100&q=mirror&sort=-created&page={middle_search}",
         f"/api/v2.0/registries?page_size=100&q=description%3D~mirror&sort=-creation_time&page={middle_search}"),
    ]


def fetch(client, url: str, **headers):
    def run() -> None:
        response = client.get(url, **headers)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])

    return run


def count_queries(client, url: str, **headers) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fetch(client, url, **headers)()
    return len(captured)


def basic(username: str, password: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="100 and 1 000 rows only")
    parser.add_argument("--sizes", type=int, nargs="*", help="registry counts (default 100 1000 10000)")
    parser.add_argument("--repeat", type=int, default=20, help="requests per figure (default 20)")
    args = parser.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else [100, 1000, 10000])

    # The API's per-user request limit would otherwise refuse a benchmark's pace.
    _common.setup_django(API_THROTTLE_USER="1000000/minute")
    _common.header("The API list vs the HTML list, 100 rows a page",
                   "python bench/api_list.py" + (" --quick" if args.quick else ""))
    from django.test import Client

    from api.models import RobotAccount

    user = _common.staff_user()
    user.set_password("bench-pw")
    user.save()
    session = _common.logged_in_client(user)
    robot, secret = RobotAccount.objects.create_robot("bench", ["view_registry"], created_by=user)
    person_auth, robot_auth = basic(user.username, "bench-pw"), basic(robot.name, secret)
    plain = Client()

    rows, query_rows = [], []
    for size in sizes:
        list_page.clear_fleet()
        list_page.build_fleet(size)
        for label, html_url, api_url in cases(size):
            stats = _common.measure_interleaved({
                "html": fetch(session, html_url),
                "api": fetch(session, api_url),
                "basic": fetch(plain, api_url, **person_auth),
                "robot": fetch(plain, api_url, **robot_auth),
            }, repeat=args.repeat)
            html = stats["html"].median
            met = all(stats[name].median <= html for name in ("api", "basic", "robot"))
            size_label = f"{size:,}".replace(",", " ")
            rows.append([size_label, label, stats["html"].ms(), stats["api"].ms(),
                         _common.ratio(stats["api"], stats["html"]), stats["basic"].ms(), stats["robot"].ms(),
                         _common.ratio(stats["robot"], stats["html"]), "yes" if met else "**no**"])
            query_rows.append([size_label, label, count_queries(session, html_url),
                               count_queries(session, api_url), count_queries(plain, api_url, **person_auth),
                               count_queries(plain, api_url, **robot_auth)])
        print(f"  ... {size} rows done", flush=True)

    _common.print_table(
        ["rows", "request", "HTML list ms", "API (session) ms", "API/HTML", "API (Basic) ms",
         "API (robot) ms", "robot/HTML", "API ≤ HTML?"],
        rows, title=f"Time per request, 100 rows a page: median (min–max) of {args.repeat}, interleaved",
    )
    _common.print_table(
        ["rows", "request", "HTML list queries", "API (session) queries", "API (Basic) queries",
         "API (robot) queries"],
        query_rows, title="SQL queries per request (target: constant in N)",
    )


if __name__ == "__main__":
    main()
