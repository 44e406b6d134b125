#!/bin/sh
# scripts/node-line.sh MAJOR: prints the path of an official Node.js MAJOR
# binary, installing it first from the npm registry's node@MAJOR package
# (which ships the binary at <prefix>/node_modules/node/bin/node) into a cache
# outside the checkout: $EDGE_TELEMETRY_NODE_CACHE, default
# /var/cache/edge-telemetry-node/MAJOR. .ci/run runs the suite on each line
# with it, and bench/footprint.mjs measures each line with it.
#
#   scripts/node-line.sh --lines   the supported majors, from package.json's engines
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" = --lines ]; then
  # engines.node is "^20.16 || ^22.3 || ...": each range's major, in order.
  node -e 'for (const range of require(process.argv[1]).engines.node.split("||")) console.log(/\^(\d+)/.exec(range)[1]);' "$here/package.json"
  exit 0
fi

major=${1:?usage: scripts/node-line.sh MAJOR | --lines}
case $major in *[!0-9]* | '') echo "node-line.sh: MAJOR must be a number, got '$major'" >&2; exit 2 ;; esac
cache=${EDGE_TELEMETRY_NODE_CACHE:-/var/cache/edge-telemetry-node}/$major
binary=$cache/node_modules/node/bin/node

# A cached binary of the right line is used as it is (it is an exact release).
if [ -x "$binary" ] && [ "$("$binary" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$major" ]; then
  printf '%s\n' "$binary"
  exit 0
fi
rm -rf "$cache"
mkdir -p "$cache"
# node@MAJOR resolves to the newest MAJOR.x release; its install script puts
# the official binary in place (npm must run it: --ignore-scripts would not).
if ! npm install --prefix "$cache" --no-save --no-audit --no-fund --loglevel=error "node@$major" >"$cache/install.log" 2>&1; then
  echo "node-line.sh: npm install node@$major failed:" >&2
  tail -n 20 "$cache/install.log" >&2
  exit 1
fi
if ! [ -x "$binary" ] || [ "$("$binary" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
  echo "node-line.sh: node@$major installed no Node.js $major at $binary" >&2
  exit 1
fi
printf '%s\n' "$binary"
