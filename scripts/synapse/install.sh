#!/usr/bin/env bash
# Installs the pinned Synapse (scripts/synapse/version.env) from PyPI into a
# project-local venv, .synapse/venv (git-ignored), for the end-to-end tests.
# Idempotent: does nothing when that exact version is already installed, so it
# is cheap to call before every test run; a half-finished or different-version
# venv is rebuilt from scratch rather than patched.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=version.env
source "$here/version.env"
venv="$root/.synapse/venv"
python="${PYTHON:-python3}"

# importlib.metadata reads the installed distribution's version; synapse.__version__
# would append git info from whatever repository the cwd is in.
installed_version() {
  "$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("matrix-synapse"))' 2>/dev/null || true
}

# the PostgreSQL driver joins a venv made before it was part of the install
ensure_psycopg2() {
  if ! "$venv/bin/python" -c 'import psycopg2' 2>/dev/null; then
    "$venv/bin/python" -m pip install --quiet --no-cache-dir "psycopg2-binary==$PSYCOPG2_BINARY_VERSION"
  fi
}

if [[ -x "$venv/bin/python" && "$(installed_version)" == "$SYNAPSE_VERSION" ]]; then
  ensure_psycopg2
  echo "synapse $SYNAPSE_VERSION already installed in $venv"
  exit 0
fi

if ! command -v "$python" >/dev/null; then
  echo "install.sh: $python not found; Synapse needs Python 3.10 or newer (set PYTHON=...)" >&2
  exit 1
fi

echo "installing matrix-synapse==$SYNAPSE_VERSION into $venv"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv"
# Quiet pip but keep errors; no cache dir so CI images do not grow a pip cache.
"$venv/bin/python" -m pip install --quiet --no-cache-dir --upgrade pip
"$venv/bin/python" -m pip install --quiet --no-cache-dir "matrix-synapse==$SYNAPSE_VERSION"
ensure_psycopg2

got="$(installed_version)"
if [[ "$got" != "$SYNAPSE_VERSION" ]]; then
  echo "install.sh: expected matrix-synapse $SYNAPSE_VERSION, venv has '${got:-nothing}'" >&2
  exit 1
fi
echo "synapse $SYNAPSE_VERSION installed"
