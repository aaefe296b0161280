# harborreg: the two commands of the README's quick start, and a few shortcuts.
# The work is done by scripts/*.sh, which also run without make.

.DEFAULT_GOAL := help
.PHONY: help run password test test-sqlite test-postgres lint audit venv clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

run:  ## set up .venv and .env, migrate, create the admin on first run, start the health monitor, serve http://127.0.0.1:8000/
	@scripts/run.sh

password:  ## set a new random password for the admin account and print it once
	@.venv/bin/python manage.py admin_password

test:  ## install test prerequisites, ruff, bandit + pip-audit, the whole suite on SQLite then PostgreSQL
	@scripts/test.sh

test-sqlite:  ## like test, SQLite only
	@TEST_DATABASES=sqlite scripts/test.sh

test-postgres:  ## like test, PostgreSQL only
	@TEST_DATABASES=postgres scripts/test.sh

lint: venv  ## ruff check
	.venv/bin/ruff check .

audit: venv  ## bandit and pip-audit only (SECURITY S17; waivers in docs/security-waivers.md)
	.venv/bin/python -m pytest -p no:cacheprovider -rs tests/security/test_s17_dependency_and_code_audit.py

venv:  ## create or update .venv with the development requirements
	@scripts/ensure-venv.sh requirements-dev.txt

clean:  ## remove scratch files (tmp/, staticfiles/); keeps .venv and data/
	rm -rf tmp staticfiles
