"""Before it breaks: what the last check learnt (facts) and the "Credential expires on" date
an administrator sets become warnings on the pages, starting EXPIRY_WARNING_DAYS ahead."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from endpoints.models import HealthCheck, Registry
from endpoints.probe.result import Verdict

pytestmark = pytest.mark.django_db


def today() -> date:
    return datetime.now(UTC).date()


def verdict(ok: bool = True, **facts) -> Verdict:
    return Verdict(ok, "ok" if ok else "connect", "s", elapsed_ms=3, facts=facts)


def in_days(days: int, hours: int = 1) -> str:
    return (datetime.now(UTC) + timedelta(days=days, hours=hours)).replace(microsecond=0).isoformat()


CERT_IN_5_DAYS = {"host": "registry.example.com", "not_after": in_days(5)}
BUDGET = {"limit": 100, "remaining": 87, "window_s": 21600}


# --- stored with the check ---


def test_a_checks_facts_are_stored_with_it_and_on_the_endpoint(make_registry):
    registry = make_registry()

    registry.record_verdict(verdict(certificate=CERT_IN_5_DAYS))

    registry.refresh_from_db()
    assert registry.check_facts == {"certificate": CERT_IN_5_DAYS}
    assert HealthCheck.objects.get(registry=registry).facts == {"certificate": CERT_IN_5_DAYS}


def test_a_failed_check_keeps_what_it_could_not_read_and_a_healthy_one_replaces_it(make_registry):
    registry = make_registry()
    registry.record_verdict(verdict(certificate=CERT_IN_5_DAYS, pull_budget=BUDGET))

    registry.record_verdict(verdict(False))  # the host is down: its certificate did not change
    registry.refresh_from_db()
    assert registry.check_facts == {"certificate": CERT_IN_5_DAYS, "pull_budget": BUDGET}

    registry.record_verdict(verdict(True, pull_budget=BUDGET))  # e.g. Verify Remote Cert now off
    registry.refresh_from_db()
    assert registry.check_facts == {"pull_budget": BUDGET}


# --- "Credential expires on" ---


def test_the_credential_date_goes_with_the_secret(make_registry):
    registry = make_registry(secret="old-secret-1", credential_expires_on=today() + timedelta(days=3))
    registry.record_verdict(verdict(credential={"expires_on": "2030-01-01", "source": "GitLab personal "
                                                "access token"}))
    registry = Registry.objects.get(pk=registry.pk)

    registry.set_secret("new-secret-2")
    registry.save_edit()

    registry.refresh_from_db()
    assert registry.credential_expires_on is None
    assert "credential" not in registry.check_facts  # it was about the old token


def test_a_date_set_together_with_the_new_secret_is_kept(make_registry):
    registry = make_registry(secret="old-secret-1", credential_expires_on=today() + timedelta(days=3))
    registry = Registry.objects.get(pk=registry.pk)
    new_date = today() + timedelta(days=90)

    registry.credential_expires_on = new_date
    registry.set_secret("new-secret-2")
    registry.save_edit()

    registry.refresh_from_db()
    assert registry.credential_expires_on == new_date


def test_clearing_the_secret_clears_the_date(make_registry):
    registry = make_registry(secret="old-secret-1", credential_expires_on=today() + timedelta(days=3))
    registry = Registry.objects.get(pk=registry.pk)

    registry.clear_secret()
    registry.save_edit()

    registry.refresh_from_db()
    assert registry.credential_expires_on is None


def test_the_date_alone_is_an_edit_like_any_other(make_registry):
    registry = make_registry(secret="s3cret-value")
    registry = Registry.objects.get(pk=registry.pk)

    registry.credential_expires_on = today() + timedelta(days=40)
    registry.save_edit()

    registry.refresh_from_db()
    assert registry.credential_expires_on == today() + timedelta(days=40)
    assert registry.decrypt_secret() == "s3cret-value"


# --- what the pages say ---


def texts(registry: Registry, warnings_only: bool = False) -> list[str]:
    return [item.text for item in registry.lookahead() if item.warning or not warnings_only]


def test_a_certificate_within_the_warning_days_is_a_warning(make_registry):
    registry = make_registry()
    registry.record_verdict(verdict(certificate=CERT_IN_5_DAYS))

    (item,) = registry.lookahead()

    assert item.kind == "certificate" and item.warning and item.days_left == 5
    expiry = CERT_IN_5_DAYS["not_after"][:10]
    assert item.text == f"The certificate of registry.example.com expires on {expiry} (in 5 days)."
    assert item.short == "Certificate expires in 5 days"


def test_a_distant_expiry_is_shown_but_no_warning(make_registry, settings):
    settings.EXPIRY_WARNING_DAYS = 4
    registry = make_registry()
    registry.record_verdict(verdict(certificate=CERT_IN_5_DAYS))

    (item,) = registry.lookahead()

    assert not item.warning and item.text.startswith("The certificate of registry.example.com expires on")


def test_the_earlier_of_the_set_date_and_the_providers_date_is_the_credentials_expiry(make_registry):
    registry = make_registry(secret="token-1", credential_expires_on=today() + timedelta(days=20))
    registry.record_verdict(verdict(credential={"expires_on": (today() + timedelta(days=6)).isoformat(),
                                                "source": "GitLab personal access token"}))

    (item,) = registry.lookahead()
    assert item.kind == "credential" and item.days_left == 6
    assert item.text == (f"The credential expires on {today() + timedelta(days=6)} (in 6 days), as the "
                         "GitLab personal access token says.")

    registry.credential_expires_on = today() + timedelta(days=2)
    (item,) = registry.lookahead()
    assert item.days_left == 2 and "as set on this endpoint" in item.text


def test_an_expired_credential_says_so(make_registry):
    registry = make_registry(secret="token-1", credential_expires_on=today() - timedelta(days=1))

    (item,) = registry.lookahead()

    assert item.warning
    assert item.text == f"The credential expired on {today() - timedelta(days=1)}, as set on this endpoint."


def test_the_pull_budget_is_shown_and_warns_below_ten_percent(make_registry):
    registry = make_registry(provider="docker-hub", url="https://hub.docker.com")
    registry.record_verdict(verdict(pull_budget=BUDGET))
    (item,) = registry.lookahead()
    assert item.kind == "pull_budget" and not item.warning
    assert item.text == "Pulls left: 87 of 100 per 6 h." and item.short == "Pulls left: 87 of 100 per 6 h"

    registry.record_verdict(verdict(pull_budget={**BUDGET, "remaining": 9}))
    (item,) = registry.lookahead()
    assert item.warning and item.text == "Pulls left: 9 of 100 per 6 h (under 10 %)."


def test_nothing_known_says_nothing(make_registry):
    assert make_registry().lookahead() == []
