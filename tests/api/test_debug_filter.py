"""The DEBUG error filter (harborreg/debug.py) knows that a JSON body can carry a secret:
an API request with `access_secret` (or Basic credentials) has every frame's variables
hidden in an error report."""

import json
import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from harborreg.debug import SecretSafeExceptionReporterFilter

CANARY = "-".join(["cAnary", "api", "Pw", "2291"])  # never whole in the source a report quotes


def report_for(request) -> str:
    secret_in_a_frame = CANARY  # noqa: F841 (what the report must not show)
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        return reporter.get_traceback_html()


@pytest.mark.parametrize("body", [
    {"name": "x", "credential": {"access_key": "u", "access_secret": CANARY}},
    {"access_secret": CANARY},
    [{"deep": [{"access_secret": CANARY}]}],
])
def test_a_json_body_with_a_secret_hides_every_frame(settings, body):
    settings.DEBUG = True
    request = RequestFactory().post("/api/v2.0/registries", json.dumps(body), content_type="application/json")

    assert SecretSafeExceptionReporterFilter().carries_secret(request)
    assert CANARY not in report_for(request)


def test_a_json_body_without_one_keeps_the_frames(settings):
    settings.DEBUG = True
    request = RequestFactory().post("/api/v2.0/registries/ping", json.dumps({"id": 7}),
                                    content_type="application/json")

    assert not SecretSafeExceptionReporterFilter().carries_secret(request)
    assert CANARY in report_for(request)  # the filter is not blind: frames show otherwise


def test_basic_credentials_count_as_a_secret(settings):
    request = RequestFactory().get("/api/v2.0/registries", HTTP_AUTHORIZATION="Basic b3duZXI6cHc=")

    assert SecretSafeExceptionReporterFilter().carries_secret(request)


@pytest.mark.parametrize("raw", ["{not json", "[" * 50_000])
def test_an_unreadable_json_body_counts_as_a_secret(raw):
    request = RequestFactory().post("/api/v2.0/registries", raw, content_type="application/json")

    assert SecretSafeExceptionReporterFilter().carries_secret(request)


def test_a_body_already_read_as_a_stream_counts_as_a_secret():
    request = RequestFactory().post("/api/v2.0/registries", "{}", content_type="application/json")
    request.read()  # what a parser reading the stream leaves behind

    assert SecretSafeExceptionReporterFilter().carries_secret(request)
