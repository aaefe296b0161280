#!/usr/bin/env python3
"""Quick start: write `.env` with DEBUG on and a generated SECRET_KEY, once.

`make run` (scripts/run.sh) calls this before anything else, so every documented
`.venv/bin/python manage.py ...` command finds the same settings as the server it started.
An existing `.env` is never touched. Standard library only: it runs before the settings
can load (they need the SECRET_KEY this writes).
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
SETS = re.compile(r"^\s*(?:export\s+)?(DEBUG|SECRET_KEY)\s*=", re.MULTILINE)

TEMPLATE = """\
# Written by `make run` for the quick start (scripts/quickstart_env.py); it is never
# overwritten. Development settings: not for production (see README, Production, and
# .env.example for every setting). The environment wins over this file.
DEBUG=true
SECRET_KEY={secret_key}
"""


def main() -> int:
    env_file = PROJECT / ".env"
    if env_file.exists():
        found = set(SETS.findall(env_file.read_text(errors="replace")))
        if found:
            print(f".env exists: left as it is (it sets {' and '.join(sorted(found))}).")
        else:
            print(".env exists: left as it is. It sets neither DEBUG nor SECRET_KEY, so manage.py "
                  "commands run outside `make run` will stop with “Set the SECRET_KEY”: add "
                  "DEBUG=true (development) or a SECRET_KEY to it.")
        return 0
    if "DEBUG" in os.environ or "SECRET_KEY" in os.environ:
        print("DEBUG or SECRET_KEY is set in the environment: no .env written.")
        return 0
    # O_EXCL: two runs at once cannot both write; 0600: the signing key is for this user only.
    fd = os.open(env_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(TEMPLATE.format(secret_key=secrets.token_urlsafe(50)))
    print("Wrote .env for the quick start (mode 0600): DEBUG=true and a generated SECRET_KEY, so "
          "commands such as `.venv/bin/python manage.py changepassword admin` work as written. "
          ".env is git-ignored; remove it, or edit it, for any other use.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
