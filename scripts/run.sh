#!/usr/bin/env bash
# make run: installs what is missing, builds, and runs Multiplicity on this machine: PostgreSQL
# (embedded, data in data/postgres), Keycloak with the project's realm, and the panel with its
# in-process host agent. Ctrl-C stops everything.
#
# By default it is a demo: Keycloak in development mode with demo users whose password is their
# name, said on every page of the portal and in the log. MULTIPLICITY_DEMO=false makes it the
# production path: Keycloak in production mode, a realm without demo users, a client secret
# generated at the first start; create the first platform admin with
# `bash scripts/keycloak.sh add-admin NAME` (docs/operations.md, "Production").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

PANEL_PORT="${MULTIPLICITY_PORT:-8080}"
DEMO="${MULTIPLICITY_DEMO:-true}"
[ "$DEMO" = true ] || [ "$DEMO" = false ] || die "MULTIPLICITY_DEMO is true or false, not '$DEMO'"
KEYCLOAK_PORT="${MULTIPLICITY_KEYCLOAK_PORT:-8180}"

bash scripts/install-deps.sh
pick_java

# Jails run as unprivileged ids of their own and reach their roots under the data directory, so
# every directory above it must let others pass (x); /root (0700), where a root user often clones
# the project, does not, and then no jail starts (runc: "permission denied").
mkdir -p "$DATA_DIR"
closed_directory="$(traversal_closed_above "$DATA_DIR")"
if [ -n "$closed_directory" ]; then
  say "WARNING: $closed_directory does not let others pass (mode $(stat -c %a "$closed_directory")), so jails under $DATA_DIR cannot start; chmod o+x $closed_directory, or put the data elsewhere with MULTIPLICITY_DATA_DIR"
fi
bash scripts/keycloak.sh install
bash scripts/build.sh

panel_pid=""
stop_all() {
  trap - INT TERM EXIT
  say "stopping"
  if [ -n "$panel_pid" ] && kill -0 "$panel_pid" 2>/dev/null; then
    kill -TERM "$panel_pid" 2>/dev/null || true
    for _ in $(seq 1 60); do kill -0 "$panel_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$panel_pid" 2>/dev/null || true
  fi
  bash scripts/keycloak.sh stop || true
  say "stopped"
}
trap stop_all INT TERM EXIT

panel_identity=(MULTIPLICITY_IDENTITY_DEMO=true)
if [ "$DEMO" = true ]; then
  bash scripts/keycloak.sh start >/dev/null
else
  bash scripts/keycloak.sh start-production >/dev/null
  panel_identity=(MULTIPLICITY_IDENTITY_DEMO=false
    "MULTIPLICITY_KEYCLOAK_PANEL_SECRET=$(cat "$DATA_DIR/keycloak-panel-secret")")
fi

# The small built-in images are built on the first run: tiny-linux here (Debian packages), busybox and
# mvm's test guest by the host agent as it starts; the catalog lists them as public images.
if [ ! -s "$DATA_DIR/vm-images/tiny-linux/kernel" ]; then
  say "first run: building the built-in image tiny-linux (Debian's kernel and a busybox initramfs)"
  MULTIPLICITY_DATA_DIR="$DATA_DIR" bash scripts/build-image.sh tiny-linux \
    || say "WARNING: tiny-linux could not be built; the catalog will offer no Linux VM image"
fi

say "starting the panel on port $PANEL_PORT (log: $DATA_DIR/panel.log)"
env "${panel_identity[@]}" MULTIPLICITY_DATA_DIR="$DATA_DIR" QUARKUS_HTTP_PORT="$PANEL_PORT" \
  MULTIPLICITY_KEYCLOAK_URL="http://localhost:$KEYCLOAK_PORT" \
  "$JAVA_HOME/bin/java" -jar target/quarkus-app/quarkus-run.jar > "$DATA_DIR/panel.log" 2>&1 < /dev/null &
panel_pid=$!

# Progress of the host's preparation (pool, built-in images) while the panel starts.
tail -n +1 -F --sleep-interval=0.2 "$DATA_DIR/panel.log" 2>/dev/null \
  > >(grep --line-buffered -E "built-in image|local host .* registered|could not" \
      | sed -u -E 's/^[^{]*\{[^}]*\} /    /' >&2) &
progress_pid=$!
ready=true
wait_for_url "http://localhost:$PANEL_PORT/q/health/ready" 300 || ready=false
sleep 0.5
kill "$progress_pid" 2>/dev/null || true
if [ "$ready" = false ]; then
  tail -n 60 "$DATA_DIR/panel.log" >&2
  die "the panel did not become ready"
fi

if [ "$DEMO" = true ]; then
  logins='  DEMO installation: these sign-ins are known to everyone (password = user name).
    admin   platform admin
    alice   acme tenant admin        bob    acme tenant member     vera  acme tenant viewer
    carol   globex tenant admin      dave   globex tenant member
  A token for scripts:
    TOKEN=$(bash scripts/keycloak.sh token bob)
    curl -H "Authorization: Bearer $TOKEN" http://localhost:'"$PANEL_PORT"'/api/v1/instances
  For real tenants use the production path: MULTIPLICITY_DEMO=false make run (docs/operations.md).'
else
  logins='  Production path: no demo users. Create the first platform admin (a one-time password is printed):
    bash scripts/keycloak.sh add-admin NAME
  Put a TLS proxy in front of both ports before anyone else reaches them (docs/operations.md).'
fi
cat <<INFO

  Multiplicity is running.

    Panel       http://localhost:$PANEL_PORT
    API docs    http://localhost:$PANEL_PORT/q/swagger-ui
    Health      http://localhost:$PANEL_PORT/q/health
    Keycloak    http://localhost:$KEYCLOAK_PORT  (realm multiplicity)

$logins

  Logs in $DATA_DIR/panel.log and $DATA_DIR/keycloak.log. Press Ctrl-C to stop.

INFO

wait "$panel_pid" || true
