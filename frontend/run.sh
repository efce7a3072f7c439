#!/usr/bin/env bash
# The portal's commands, for the project's scripts and for people:
#   bash frontend/run.sh install   install the pinned npm packages when package-lock.json changed
#   bash frontend/run.sh build     type-check and build into frontend/dist (served by the panel at /)
#   bash frontend/run.sh unit      unit tests of the pure helpers (vitest)
#   bash frontend/run.sh api-types generate src/api/schema.d.ts from docs/openapi.json (build does it too)
#   bash frontend/run.sh e2e       end-to-end tests against a running panel (see scripts/portal-e2e.sh)
set -euo pipefail
cd "$(dirname "$0")"

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

check_node() {
  command -v node >/dev/null && command -v npm >/dev/null \
    || die "the portal needs Node.js 20 or newer and npm; install them and retry"
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  [ "$major" -ge 20 ] || die "the portal needs Node.js 20 or newer; this is $(node -v)"
}

install() {
  check_node
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # npm install, not npm ci: the lock file holds the exact versions, but npm writes it without the
    # optional platform packages of other machines (rollup's, esbuild's), which npm ci then wants.
    npm install --no-audit --no-fund --loglevel=error
  fi
}

case "${1:-}" in
  install) install ;;
  build) install; npm run --silent build ;;
  unit) install; npx vitest run ;;
  api-types) install; npm run --silent api-types ;;
  e2e) install; npx playwright test "${@:2}" ;;
  *) die "usage: $0 install|build|unit|api-types|e2e" ;;
esac
