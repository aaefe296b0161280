#!/usr/bin/env bash
# The whole check, as CI runs it: Debian test prerequisites, .venv from
# requirements-dev.txt, ruff, bandit and pip-audit (SECURITY S17), then the full pytest
# suite on SQLite and again on a throwaway PostgreSQL cluster (scripts/with-postgres.sh).
#
# TEST_DATABASES: which runs to do (default "sqlite postgres").
# PYTEST_ARGS: extra pytest arguments for both runs, e.g. "-x" or "-k delete".
# KEEP_TMP=1: keep the scratch directory (pytest's tmp_path, Chromium's temp dirs).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

TEST_DATABASES=${TEST_DATABASES:-sqlite postgres}
read -r -a EXTRA <<<"${PYTEST_ARGS:-}"
APT_PACKAGES=(docker-registry apache2-utils chromium nginx)

now_ms() { echo $(( ${EPOCHREALTIME/[.,]/} / 1000 )); }
fmt_ms() { printf '%d.%d s' $(($1 / 1000)) $(($1 % 1000 / 100)); }
section() { printf '\n======== %s ========\n' "$*"; }
T0=$(now_ms)

SUMMARY=()
FIRST_FAILURE=0
# Run a step, record its result and time, and carry on so the summary shows every step.
step() {
    local name=$1 start rc=0
    shift
    section "$name"
    start=$(now_ms)
    "$@" || rc=$?
    SUMMARY+=("$(printf '%-28s %-6s %10s' "$name" "$([ $rc = 0 ] && echo ok || echo "FAIL($rc)")" \
        "$(fmt_ms $(($(now_ms) - start)))")")
    if [ "$rc" != 0 ] && [ "$FIRST_FAILURE" = 0 ]; then FIRST_FAILURE=$rc; fi
    return 0
}

# --- Setup: failures here stop the run. ---

section "System packages"
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
done
# The PostgreSQL run needs a server's binaries (initdb, pg_ctl); any version from 15 works.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then missing+=(postgresql-15); fi
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        echo "error: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt_log=$(mktemp)
    # RUNLEVEL=1: the packages' services (nginx) must not start; the tests run their own.
    { apt-get update -qq && RUNLEVEL=1 apt-get install -y -qq "${missing[@]}"; } >"$apt_log" 2>&1 \
        || { tail -30 "$apt_log" >&2; rm -f "$apt_log"; exit 1; }
    rm -f "$apt_log"
fi
echo "docker-registry $(docker-registry --version | awk '{print $3}'), $(chromium --version 2>/dev/null),\
 htpasswd $(dpkg-query -W -f '${Version}' apache2-utils),\
 PostgreSQL $("$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -1)/postgres" -V | awk '{print $3}')"

section "Python environment"
scripts/ensure-venv.sh requirements-dev.txt
echo "$(.venv/bin/python -V), Django $(.venv/bin/python -c 'import django; print(django.get_version())')"

# Scratch space for this run: pytest's tmp_path and Chromium's org.chromium.* dirs land
# here instead of piling up in /tmp. Parallel runs get their own.
mkdir -p tmp
SCRATCH=$(mktemp -d "$REPO/tmp/test.XXXXXX")
cleanup() { if [ "${KEEP_TMP:-}" = 1 ]; then echo "scratch kept: $SCRATCH"; else rm -rf "$SCRATCH"; fi; }
trap cleanup EXIT

# The same environment on every machine: nothing from the caller's harborreg settings.
unset SECRET_KEY DEBUG ALLOWED_HOSTS CSRF_TRUSTED_ORIGINS DATABASE_URL HARBORREG_DATA_DIR \
    TIME_ZONE LOG_LEVEL REGISTRY_SECRET_KEYS REGISTRY_SECRET_KEYS_FILE PROXY_CACHE_PROVIDERS \
    ENABLED_PROVIDERS ENDPOINT_CONNECT_TIMEOUT ENDPOINT_READ_TIMEOUT ENDPOINT_TEST_DEADLINE \
    ENDPOINT_DENY_NETWORKS ENDPOINT_ALLOW_NETWORKS ENDPOINT_CONNECT_TO CHECK_REGISTRIES_POOL \
    SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_SSL_REDIRECT SECURE_HSTS_SECONDS \
    SECURE_HSTS_PRELOAD USE_X_FORWARDED_PROTO AXES_FAILURE_LIMIT AXES_COOLOFF_HOURS
export TMPDIR=$SCRATCH
export HARBORREG_DATA_DIR=$SCRATCH/data
export CI=${CI:-true}
export DJANGO_ALLOW_ASYNC_UNSAFE=true  # Playwright's sync API and the ORM share a thread
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 PIP_DISABLE_PIP_VERSION_CHECK=1
mkdir -p "$HARBORREG_DATA_DIR"

# --- Checks: every step runs; the summary lists them all. ---

step "ruff check" .venv/bin/ruff check .

# S17 runs once, not per database: bandit -ll on the code and pip-audit on the pinned
# requirements and the installed environment, against docs/security-waivers.md. An audit
# that could not run is SKIPPED with its reason (and named in the summary), never passed.
S17=tests/security/test_s17_dependency_and_code_audit.py
audit() {
    local rc=0
    .venv/bin/python -m pytest -p no:cacheprovider -rs "$S17" 2>&1 | tee "$SCRATCH/s17.log" || rc=$?
    return "$rc"
}
step "bandit + pip-audit (S17)" audit
if grep -q "NOT AUDITED" "$SCRATCH/s17.log" 2>/dev/null; then
    SUMMARY+=("  ^ pip-audit NOT AUDITED: advisory data unreachable (docs/security-waivers.md)")
fi

PYTEST=(.venv/bin/python -m pytest -p no:cacheprovider -ra --ignore="$S17" "${EXTRA[@]}")
for db in $TEST_DATABASES; do
    case $db in
        sqlite)
            step "pytest on SQLite" env DATABASE_URL="sqlite:///$SCRATCH/harborreg.sqlite3" "${PYTEST[@]}" ;;
        postgres)
            step "pytest on PostgreSQL" scripts/with-postgres.sh "${PYTEST[@]}" ;;
        *)
            echo "error: unknown database '$db' in TEST_DATABASES (sqlite, postgres)" >&2
            exit 2 ;;
    esac
done

section "Summary"
printf '%s\n' "${SUMMARY[@]}"
printf '%-28s %-6s %10s\n' "total" "$([ "$FIRST_FAILURE" = 0 ] && echo ok || echo FAIL)" \
    "$(fmt_ms $(($(now_ms) - T0)))"
exit "$FIRST_FAILURE"
