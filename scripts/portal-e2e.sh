#!/usr/bin/env bash
# End-to-end tests of the portal: Playwright drives Debian's Chromium, headless, against a running
# panel that signs users in through its real Keycloak. Screenshots of each main page land in
# frontend/test-results/screenshots/.
#
#   bash scripts/portal-e2e.sh                     test the panel at $PANEL_URL (default http://localhost:8080)
#   bash scripts/portal-e2e.sh --panel URL         test the panel at URL
#   bash scripts/portal-e2e.sh --start-panel [--keycloak URL]
#        start the packaged application (target/quarkus-app) on port 8080 with a fresh data directory
#        and the Keycloak at URL (default http://localhost:8180), test it, and stop it
#
# Other arguments go to Playwright (for example a test file or --grep).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

panel_url="${PANEL_URL:-http://localhost:8080}"
keycloak_url="${MULTIPLICITY_KEYCLOAK_URL:-http://localhost:8180}"
start_panel=false
playwright_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --panel) panel_url="${2:?--panel needs a URL}"; shift 2 ;;
    --keycloak) keycloak_url="${2:?--keycloak needs a URL}"; shift 2 ;;
    --start-panel) start_panel=true; shift ;;
    *) playwright_args+=("$1"); shift ;;
  esac
done

bash scripts/install-deps.sh chromium
[ -x /usr/bin/chromium ] || die "Chromium is missing at /usr/bin/chromium (apt-get install chromium)"

port_free() { ! ss -ltnH "sport = :$1" 2>/dev/null | grep -q .; }

panel_pid=""
stop_panel() {
  if [ -n "$panel_pid" ] && kill -0 "$panel_pid" 2>/dev/null; then
    say "stopping the panel"
    kill -TERM "$panel_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$panel_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$panel_pid" 2>/dev/null || true
  fi
}

if $start_panel; then
  # The realm lets the portal's client sign in only at http://localhost:8080.
  panel_url="http://localhost:8080"
  port_free 8080 || die "port 8080 is in use; the Keycloak realm allows the portal's sign-in only at http://localhost:8080, so stop what listens there (ss -ltnp 'sport = :8080') and retry"
  [ -f target/quarkus-app/quarkus-run.jar ] || die "no packaged application: run scripts/build.sh first"
  [ -f frontend/dist/index.html ] || die "the portal is not built: run scripts/build.sh first"
  pick_java
  e2e_data="$DATA_DIR/portal-e2e"
  rm -rf "$e2e_data" && mkdir -p "$e2e_data"
  database_port=15433
  while ! port_free "$database_port"; do database_port=$((database_port + 1)); done
  say "starting the panel on $panel_url (database port $database_port, log: $e2e_data/panel.log)"
  MULTIPLICITY_DATA_DIR="$e2e_data" QUARKUS_HTTP_PORT=8080 MULTIPLICITY_DATABASE_PORT="$database_port" \
    MULTIPLICITY_KEYCLOAK_URL="$keycloak_url" \
    "$JAVA_HOME/bin/java" -jar target/quarkus-app/quarkus-run.jar > "$e2e_data/panel.log" 2>&1 < /dev/null &
  panel_pid=$!
  trap stop_panel EXIT
  if ! wait_for_url "$panel_url/q/health/ready" 180; then
    tail -n 60 "$e2e_data/panel.log" >&2
    die "the panel did not become ready"
  fi
fi

wait_for_url "$panel_url/q/health/ready" 30 || die "no panel answers at $panel_url"
wait_for_url "$keycloak_url/realms/multiplicity/.well-known/openid-configuration" 60 \
  || die "no Keycloak with the multiplicity realm answers at $keycloak_url"

say "portal end-to-end tests against $panel_url"
PANEL_URL="$panel_url" KEYCLOAK_URL="$keycloak_url" CI="${CI:-}" bash frontend/run.sh e2e "${playwright_args[@]}"
