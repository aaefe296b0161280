#!/usr/bin/env bash
# Create .venv if needed and install a requirements file into it, but only when the file
# (or a file it includes with -r) or the Python version changed since the last install.
#
#   scripts/ensure-venv.sh requirements.txt
#   scripts/ensure-venv.sh requirements-dev.txt
#
# PYTHON picks the interpreter used to create the venv (default: python3, must be >= 3.11).
set -euo pipefail
cd "$(dirname "$0")/.."

REQS=${1:?usage: scripts/ensure-venv.sh REQUIREMENTS_FILE}
PYTHON=${PYTHON:-python3}
VENV=.venv

# The requirements file and everything it pulls in with "-r other.txt", one level per file.
requirement_files() {
    local file=$1 dir included
    echo "$file"
    dir=$(dirname "$file")
    sed -n 's/^[[:space:]]*-r[[:space:]]*\([^[:space:]#]*\).*/\1/p' "$file" | while read -r included; do
        requirement_files "$dir/$included"
    done
}

stamp_path() { echo "$VENV/.installed-$(basename "$1").sha256"; }

fingerprint() {
    # The exact file contents (includes too) and the venv's Python version.
    { "$VENV/bin/python" -c 'import sys; print(sys.version)'; requirement_files "$1" | xargs cat; } \
        | sha256sum | cut -d' ' -f1
}

if ! command -v "$PYTHON" >/dev/null; then
    echo "error: $PYTHON not found; install Python 3.11 or newer (Debian: apt-get install python3 python3-venv)" >&2
    exit 1
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "error: $PYTHON is $("$PYTHON" -V 2>&1); harborreg needs Python 3.11 or newer (set PYTHON=...)" >&2
    exit 1
fi

# A venv whose interpreter no longer runs (Python moved or removed) is rebuilt.
if [ -d "$VENV" ] && ! "$VENV/bin/python" -c 'import sys' 2>/dev/null; then
    echo "==> $VENV is broken; recreating it"
    rm -rf "$VENV"
fi

if [ ! -x "$VENV/bin/python" ]; then
    if ! "$PYTHON" -c 'import ensurepip' 2>/dev/null; then
        # Debian's system Python ships venv support separately.
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
            echo "==> installing python3-venv (apt)"
            DEBIAN_FRONTEND=noninteractive apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
        else
            echo "error: $PYTHON cannot create virtualenvs; install python3-venv" >&2
            exit 1
        fi
    fi
    echo "==> creating $VENV with $("$PYTHON" -V 2>&1)"
    "$PYTHON" -m venv "$VENV"
fi

want=$(fingerprint "$REQS")
if [ -f "$(stamp_path "$REQS")" ] && [ "$(cat "$(stamp_path "$REQS")")" = "$want" ]; then
    echo "==> $VENV is up to date with $REQS"
    exit 0
fi

echo "==> installing $REQS into $VENV"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install -q -r "$REQS"

# Installing a file installs what it includes too: stamp them all.
requirement_files "$REQS" | while read -r file; do
    fingerprint "$file" >"$(stamp_path "$file")"
done
