#!/usr/bin/env bash
# First step of `npm run test:e2e`: make sure the pinned Synapse is present
# (installing it on a fresh clone), then check it actually imports, so a broken
# venv fails here with a clear message instead of as a start-up timeout inside
# a test.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bash "$here/install.sh"

if ! "$root/.synapse/venv/bin/python" -c 'import synapse.app.homeserver' 2>/dev/null; then
  echo "ensure.sh: synapse is installed but does not import; remove .synapse/venv and retry" >&2
  exit 1
fi
