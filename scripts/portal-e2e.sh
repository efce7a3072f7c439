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
e2e_data=""
# The started panel's host agent gets a pool, a bridge and an address range of its own, so the
# tests never touch another installation's; they are removed afterwards.
suffix="$(head -c 2 /dev/urandom | od -An -tx1 | tr -d ' \n')"
agent_name="mpe$suffix"

remove_host_traces() {
  local runtime id line process
  for runtime in runc crun; do
    command -v "$runtime" >/dev/null || continue
    [ -d "$e2e_data/run/oci" ] || continue
    for id in $("$runtime" --root "$e2e_data/run/oci" list -q 2>/dev/null); do
      "$runtime" --root "$e2e_data/run/oci" kill "$id" KILL >/dev/null 2>&1 || true
      "$runtime" --root "$e2e_data/run/oci" delete -f "$id" >/dev/null 2>&1 || true
    done
  done
  # Helpers of the jails (console keepers) run with paths inside the data directory.
  for process in /proc/[0-9]*; do
    line="$( { tr '\0' ' ' < "$process/cmdline"; } 2>/dev/null || true)"
    case "$line" in *"$e2e_data/"*) kill -KILL "${process#/proc/}" 2>/dev/null || true ;; esac
  done
  ip -o link show type bridge 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | while read -r line; do
    case "$line" in "${agent_name}"*) ip link delete dev "$line" 2>/dev/null || true ;; esac
  done
  # The agent's nftables tables (its dnsmasqs went with the processes above).
  nft delete table inet "multiplicity_${agent_name//[^A-Za-z0-9]/_}" 2>/dev/null || true
  nft delete table bridge "multiplicity_${agent_name//[^A-Za-z0-9]/_}" 2>/dev/null || true
  nft delete table inet "multiplicity_${agent_name//[^A-Za-z0-9]/_}_egress" 2>/dev/null || true
  if iptables -w -S "$agent_name-isolate" >/dev/null 2>&1; then
    iptables -w -D FORWARD -j "$agent_name-isolate" 2>/dev/null || true
    iptables -w -F "$agent_name-isolate" 2>/dev/null || true
    iptables -w -X "$agent_name-isolate" 2>/dev/null || true
  fi
  if zpool list -H -o name "$agent_name" >/dev/null 2>&1; then
    for _ in 1 2 3 4 5; do zpool destroy -f "$agent_name" 2>/dev/null && break; sleep 2; done
    zpool list -H -o name "$agent_name" >/dev/null 2>&1 && echo "warning: could not destroy the test pool $agent_name" >&2
  fi
  mkdir -p frontend/test-results && cp "$e2e_data/panel.log" frontend/test-results/panel.log 2>/dev/null || true
  rm -rf "$e2e_data" 2>/dev/null || true
}

stop_panel() {
  if [ -n "$panel_pid" ] && kill -0 "$panel_pid" 2>/dev/null; then
    say "stopping the panel"
    kill -TERM "$panel_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$panel_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$panel_pid" 2>/dev/null || true
  fi
  [ -z "$e2e_data" ] || remove_host_traces
}

if $start_panel; then
  # The realm lets the portal's client sign in only at http://localhost:8080.
  panel_url="http://localhost:8080"
  port_free 8080 || die "port 8080 is in use; the Keycloak realm allows the portal's sign-in only at http://localhost:8080, so stop what listens there (ss -ltnp 'sport = :8080') and retry"
  [ -f target/quarkus-app/quarkus-run.jar ] || die "no packaged application: run scripts/build.sh first"
  [ -f frontend/dist/index.html ] || die "the portal is not built: run scripts/build.sh first"
  # Without the native helpers the host agent offers no jails, and the jail tests could only skip.
  [ -x target/native/console-keeper ] || die "the native helpers are not built: run scripts/build.sh first"
  pick_java
  e2e_data="$DATA_DIR/portal-e2e-$suffix"
  mkdir -p "$e2e_data"
  database_port=15433
  while ! port_free "$database_port"; do database_port=$((database_port + 1)); done
  # An address range no other installation on this machine routes (several worktrees may test at once).
  network_octet=94
  while ip -4 route show 2>/dev/null | grep -q "^10\.$network_octet\." && [ "$network_octet" -lt 126 ]; do
    network_octet=$((network_octet + 1))
  done
  # The URL import test serves its image from a server of its own on this machine, at this prefix.
  url_import_prefix="http://127.0.0.1:${E2E_IMPORT_PORT:-18771}/e2e-images/"
  trap stop_panel EXIT
  say "starting the panel on $panel_url (database port $database_port, network 10.$network_octet.0.0/16, log: $e2e_data/panel.log)"
  MULTIPLICITY_DATA_DIR="$e2e_data" QUARKUS_HTTP_PORT=8080 MULTIPLICITY_DATABASE_PORT="$database_port" \
    MULTIPLICITY_KEYCLOAK_URL="$keycloak_url" MULTIPLICITY_AGENT_POOL_NAME="$agent_name" \
    MULTIPLICITY_AGENT_BRIDGE="$agent_name" MULTIPLICITY_AGENT_POOL_SIZE_GIB=4 MULTIPLICITY_NETWORK_POOL=10.$network_octet.0.0/16 \
    MULTIPLICITY_AGENT_UPLINK=none MULTIPLICITY_IMAGES_URL_ALLOW_LIST="$url_import_prefix" \
    "$JAVA_HOME/bin/java" -jar target/quarkus-app/quarkus-run.jar > "$e2e_data/panel.log" 2>&1 < /dev/null &
  panel_pid=$!
  if ! wait_for_url "$panel_url/q/health/ready" 180; then
    tail -n 60 "$e2e_data/panel.log" >&2
    die "the panel did not become ready"
  fi
fi

wait_for_url "$panel_url/q/health/ready" 30 || die "no panel answers at $panel_url"
wait_for_url "$keycloak_url/realms/multiplicity/.well-known/openid-configuration" 60 \
  || die "no Keycloak with the multiplicity realm answers at $keycloak_url"

# Every run saves its screenshots afresh; a full run (no test chosen) must save one of each main
# page, as listed in frontend/tests/screenshots.txt.
screenshots=frontend/test-results/screenshots
rm -rf "$screenshots"
say "portal end-to-end tests against $panel_url"
PANEL_URL="$panel_url" KEYCLOAK_URL="$keycloak_url" CI="${CI:-}" bash frontend/run.sh e2e "${playwright_args[@]}"
if [ "${#playwright_args[@]}" -eq 0 ]; then
  missing="$(grep -v '^#' frontend/tests/screenshots.txt | awk 'NF { print $1 }' | while read -r name; do
    [ -f "$screenshots/$name.png" ] || printf ' %s' "$name"
  done)"
  [ -z "$missing" ] || die "the end-to-end tests saved no screenshot of:$missing (see frontend/tests/screenshots.txt)"
  say "screenshots of every main page in $screenshots"
fi
