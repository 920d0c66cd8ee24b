#!/usr/bin/env bash
# The Docker image (node:22) installs with npm 10, which follows the lockfile's `resolved`
# path of a `file:` override literally, while npm 11 (this machine's) does not. This check
# installs a fresh clone with npm 10 and starts the bridge's --help, so a lockfile that only
# works with npm 11 fails CI instead of the container. Native builds are reused from the
# main install (--ignore-scripts) to keep it quick: the point is the module layout.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
git clone -q "$root" "$tmp/clone"
cd "$tmp/clone"
npx -y npm@10 --version
npx -y npm@10 ci --ignore-scripts --no-audit --no-fund
cp -r "$root/node_modules/better-sqlite3/build" node_modules/better-sqlite3/
cp -r "$root/dist" dist
node dist/src/cli.js --help >/dev/null
echo "npm 10 install: the bridge starts (--help)"
