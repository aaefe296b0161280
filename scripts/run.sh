#!/usr/bin/env bash
# Quick start: set up .venv, migrate the embedded SQLite database, create the admin account
# on the first run, and serve the app on http://127.0.0.1:8000/ with runserver.
#
# DEBUG defaults to true here (quick start only) unless the environment or .env sets it.
# With DEBUG on and no REGISTRY_SECRET_KEYS, the app writes a key file to data/ itself.
set -euo pipefail
cd "$(dirname "$0")/.."

ADDR=127.0.0.1:8000

scripts/ensure-venv.sh requirements.txt

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
# The password is generated here, stored only as Django's hash, and shown this once.
manage shell -v 0 -c "
import secrets
from django.contrib.auth import get_user_model

User = get_user_model()
if User.objects.filter(username='admin').exists():
    print('admin account exists; reset with: python manage.py changepassword admin')
else:
    password = secrets.token_urlsafe(16)
    User.objects.create_superuser('admin', email='', password=password)
    print()
    print('Log in at http://$ADDR/accounts/login/ as admin / ' + password)
    print('(shown once; reset with: python manage.py changepassword admin)')
    print()
"

echo "==> serving http://$ADDR/ (Ctrl-C to stop)"
exec .venv/bin/python manage.py runserver "$ADDR"
