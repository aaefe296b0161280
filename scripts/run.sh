#!/usr/bin/env bash
# Quick start: set up .venv, write .env on the first run (DEBUG=true and a generated
# SECRET_KEY, mode 0600, never overwritten: scripts/quickstart_env.py), migrate the embedded
# SQLite database, create the admin account on the first run, start the health monitor
# (manage.py monitor_registries) in the background, and serve the app on
# http://127.0.0.1:8000/ with runserver. Every `manage.py` command then reads the same .env.
#
# With DEBUG on and no REGISTRY_SECRET_KEYS, the app writes a key file to data/ itself.
set -euo pipefail
cd "$(dirname "$0")/.."

ADDR=127.0.0.1:8000

scripts/ensure-venv.sh requirements.txt

echo "==> settings (.env)"
.venv/bin/python scripts/quickstart_env.py
# An .env of your own without DEBUG: this server still runs in quick-start mode (the script
# above said what other commands need).
if [ -z "${DEBUG+set}" ] && ! grep -qE '^[[:space:]]*(export[[:space:]]+)?DEBUG[[:space:]]*=' .env 2>/dev/null; then
    export DEBUG=true
fi
export PYTHONUNBUFFERED=1

manage() { .venv/bin/python manage.py "$@"; }

echo "==> migrating the database"
manage migrate --noinput -v 1

if [ "$(manage shell -v 0 -c 'from django.conf import settings; print(settings.DEBUG)')" != True ]; then
    # Without DEBUG, whitenoise serves static files only from STATIC_ROOT.
    echo "==> DEBUG is off: collecting static files"
    manage collectstatic --noinput -v 0
fi

echo "==> admin account"
# Created on the first run with a password shown once; `make password` sets a new one.
manage admin_password --create-only

echo "==> health monitor: every endpoint every \$HEALTH_CHECK_INTERVAL s (default 300; docs/monitoring.md)"
# In a session of its own, so Ctrl-C reaches only the web server; on the way out (Ctrl-C,
# the terminal closed, SIGTERM) it gets SIGTERM and finishes the checks in flight.
setsid .venv/bin/python manage.py monitor_registries &
MONITOR_PID=$!
stop_monitor() {
    if kill -0 "$MONITOR_PID" 2>/dev/null; then
        echo "==> stopping the health monitor (it finishes the checks in flight)"
        kill -TERM "$MONITOR_PID" 2>/dev/null || true
        wait "$MONITOR_PID" 2>/dev/null || true
    fi
}
trap stop_monitor EXIT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "==> serving http://$ADDR/ (Ctrl-C to stop)"
.venv/bin/python manage.py runserver "$ADDR"
