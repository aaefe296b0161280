"""S17: `pip-audit` on the pinned requirements (and on the installed environment, which
adds the transitive dependencies) and `bandit -ll` on the code find nothing, or only what
docs/security-waivers.md waives with a reason.

pip-audit reports a package it could not look up as a "skip" and still exits 0 with "No
known vulnerabilities found". Here that counts as not audited: the test fails, naming the
packages, unless the waiver file records that the advisory service is unreachable; then
it is reported as SKIPPED with the evidence, never as a pass.

`scripts/test.sh` runs this module once as its own step (it does not depend on the
database), so `make test` and CI show it in the summary.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WAIVERS = REPO / "docs" / "security-waivers.md"
# Every app of the project (a new one is audited as soon as it exists).
CODE = tuple(app for app in ("endpoints", "harborreg", "api", "monitor") if (REPO / app).is_dir())
UNREACHABLE = "advisory-service-unreachable"


@dataclass(frozen=True)
class Waiver:
    tool: str
    id: str
    where: str
    reason: str


def waivers(tool: str) -> list[Waiver]:
    """Rows of the waiver table: | Tool | ID | Where | Reason | Since |"""
    found = []
    for line in WAIVERS.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and cells[0] == tool:
            assert len(cells[3]) >= 20, f"waiver {cells[1]} needs a reason"
            found.append(Waiver(cells[0], cells[1], cells[2], cells[3]))
    return found


# --- bandit ---------------------------------------------------------------------------------


def bandit_findings() -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-ll", "-r", *CODE, "-f", "json", "-q"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    assert report["errors"] == [], report["errors"]
    assert report["metrics"]["_totals"]["loc"] > 1000  # it really scanned the code
    return report["results"]


def waived(finding: dict, waiver: Waiver) -> bool:
    """A bandit waiver names the test id, the file and the flagged code, so a second finding
    of the same kind elsewhere is not covered by it."""
    path, _, code = waiver.where.partition(":")
    code = code.strip().strip("`")
    return (finding["test_id"] == waiver.id and finding["filename"] == path.strip().strip("`")
            and bool(code) and code in finding["code"])


def test_bandit_finds_nothing_at_medium_severity_or_above():
    findings = bandit_findings()
    rules = waivers("bandit")

    open_findings = [
        f"{f['filename']}:{f['line_number']} {f['test_id']} {f['issue_text']}"
        for f in findings if not any(waived(f, rule) for rule in rules)
    ]
    stale = [rule.id + " " + rule.where for rule in rules if not any(waived(f, rule) for f in findings)]
    assert open_findings == [], "fix these or waive them in docs/security-waivers.md"
    assert stale == [], "these waivers no longer match a finding: remove them"


# --- pip-audit ------------------------------------------------------------------------------


def pip_audit(*args: str) -> dict:
    """Run pip-audit; its JSON report, or a failure that says the service was unreachable."""
    result = subprocess.run(
        [sys.executable, "-m", "pip_audit", "-f", "json", "--progress-spinner", "off", *args],
        cwd=REPO, capture_output=True, text=True, timeout=600,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        tail = " ".join(result.stderr.strip().splitlines()[-3:])
        return {"unreachable": f"pip-audit {' '.join(args)} stopped (exit {result.returncode}): {tail}"}
    report["returncode"] = result.returncode
    return report


def audit_outcome(report: dict, ignored: set[str]) -> tuple[list[str], list[str], int]:
    """(vulnerabilities, packages that could not be audited, packages audited)."""
    found, unaudited, audited = [], [], 0
    for dependency in report.get("dependencies", []):
        if dependency.get("skip_reason"):
            unaudited.append(f"{dependency['name']}: {dependency['skip_reason']}")
            continue
        audited += 1
        for vuln in dependency.get("vulns", []):
            ids = {vuln["id"], *vuln.get("aliases", [])}
            if not ids & ignored:
                found.append(f"{dependency['name']} {dependency['version']}: {vuln['id']} "
                             f"(fixed in {', '.join(vuln.get('fix_versions') or ['no release'])})")
    return found, unaudited, audited


@pytest.mark.parametrize("target", ["pinned requirements", "installed environment"])
def test_pip_audit_finds_no_known_vulnerability(target):
    rules = waivers("pip-audit")
    ignored = {rule.id for rule in rules if rule.id != UNREACHABLE}
    args = (["-r", "requirements.txt", "-r", "requirements-dev.txt", "--no-deps", "--disable-pip"]
            if target == "pinned requirements" else [])

    report = pip_audit(*args)
    found, unaudited, audited = audit_outcome(report, ignored)

    assert found == [], f"known vulnerabilities in the {target}: upgrade, or waive with a reason"
    unreachable = report.get("unreachable") or (
        f"PyPI's vulnerability data could not be read for any of the {len(unaudited)} packages of the "
        f"{target}, e.g. {unaudited[0]}" if unaudited and audited == 0 else ""
    )
    if unreachable:
        if any(rule.id == UNREACHABLE for rule in rules):
            pytest.skip(f"NOT AUDITED ({UNREACHABLE} waiver in docs/security-waivers.md): {unreachable}")
        pytest.fail(f"NOT AUDITED: {unreachable}. Fix the network path to PyPI, or record an "
                    f"'{UNREACHABLE}' waiver with the reason.")
    assert unaudited == [], f"these packages of the {target} could not be audited"
    assert report["returncode"] == 0


def test_an_unreachable_advisory_service_is_not_a_pass():
    """What pip-audit says when nothing could be looked up: exit 0, no vulnerabilities, and
    every package skipped. The outcome above turns that into "not audited"."""
    report = {"dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited"},
        {"name": "requests", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    ], "returncode": 0}

    found, unaudited, audited = audit_outcome(report, set())

    assert (found, len(unaudited), audited) == ([], 2, 0)


def test_a_reported_vulnerability_fails_unless_waived():
    report = {"dependencies": [{"name": "django", "version": "5.2.0", "vulns": [
        {"id": "PYSEC-2025-1", "aliases": ["GHSA-xxxx-yyyy-zzzz"], "fix_versions": ["5.2.1"]},
    ]}]}

    assert audit_outcome(report, set())[0] == ["django 5.2.0: PYSEC-2025-1 (fixed in 5.2.1)"]
    assert audit_outcome(report, {"GHSA-xxxx-yyyy-zzzz"})[0] == []


def test_the_waiver_file_is_readable():
    text = WAIVERS.read_text()

    assert re.search(r"^\| Tool \| ID \| Where \| Reason \| Since \|$", text, re.MULTILINE)
    for rule in waivers("bandit") + waivers("pip-audit"):
        assert rule.id and rule.where
