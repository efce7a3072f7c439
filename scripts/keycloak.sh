#!/usr/bin/env bash
# The project's Keycloak: install | start | stop | test-start | test-stop | token USER
#   install     download the Keycloak distribution from Maven Central into the data directory
#   start       run Keycloak for the single-node install on port 8180 (realm imported, data kept)
#   test-start  run a throw-away Keycloak for the tests on port 18180 (in-memory database)
set -euo pipefail
source "$(dirname "$0")/lib.sh"

RUN_PORT="${MULTIPLICITY_KEYCLOAK_PORT:-8180}"
TEST_PORT="${MULTIPLICITY_TEST_KEYCLOAK_PORT:-18180}"
REALM_FILE="$PROJECT_ROOT/src/main/keycloak/multiplicity-realm.json"

install() {
  if [ -x "$KEYCLOAK_HOME/bin/kc.sh" ]; then return 0; fi
  pick_java
  mkdir -p "$DATA_DIR/downloads"
  local archive="$DATA_DIR/downloads/keycloak-quarkus-dist-$KEYCLOAK_VERSION.tar.gz"
  if [ ! -s "$archive" ]; then
    say "downloading Keycloak $KEYCLOAK_VERSION (about 180 MB)"
    (cd "$PROJECT_ROOT" && ./mvnw -B -q dependency:copy \
      -Dartifact="org.keycloak:keycloak-quarkus-dist:$KEYCLOAK_VERSION:tar.gz" \
      -DoutputDirectory="$DATA_DIR/downloads") || die "could not download Keycloak from Maven Central"
  fi
  say "unpacking Keycloak into $KEYCLOAK_HOME"
  local staging="$DATA_DIR/.keycloak-unpack"
  rm -rf "$staging" && mkdir -p "$staging"
  tar -xzf "$archive" -C "$staging"
  mv "$staging/keycloak-$KEYCLOAK_VERSION" "$KEYCLOAK_HOME"
  rm -rf "$staging"
}

prepare_import() {
  mkdir -p "$KEYCLOAK_HOME/data/import"
  cp "$REALM_FILE" "$KEYCLOAK_HOME/data/import/multiplicity-realm.json"
}

# start NAME PORT LOG [extra kc.sh options]
launch() {
  local name="$1" port="$2" log="$3"; shift 3
  local pidfile="$DATA_DIR/$name.pid"
  if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    wait_for_url "http://localhost:$port/realms/multiplicity/.well-known/openid-configuration" 180 \
      || die "$name is running but does not answer on port $port"
    echo "http://localhost:$port"; return 0
  fi
  install
  pick_java
  prepare_import
  local password_file="$DATA_DIR/keycloak-admin-password"
  [ -s "$password_file" ] || (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' > "$password_file")
  say "starting $name on port $port (log: $log)"
  KC_BOOTSTRAP_ADMIN_USERNAME=kcadmin KC_BOOTSTRAP_ADMIN_PASSWORD="$(cat "$password_file")" \
    setsid "$KEYCLOAK_HOME/bin/kc.sh" start-dev --http-port "$port" --import-realm \
      --hostname "http://localhost:$port" "$@" > "$log" 2>&1 < /dev/null &
  echo $! > "$pidfile"
  if ! wait_for_url "http://localhost:$port/realms/multiplicity/.well-known/openid-configuration" 240; then
    tail -n 40 "$log" >&2
    die "$name did not come up on port $port within 4 minutes"
  fi
  echo "http://localhost:$port"
}

halt() {
  local pidfile="$DATA_DIR/$1.pid"
  [ -f "$pidfile" ] || return 0
  local pid; pid="$(cat "$pidfile")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile"
}

token() {
  local user="$1" port="${2:-$RUN_PORT}"
  curl -fsS "http://localhost:$port/realms/multiplicity/protocol/openid-connect/token" \
    -d grant_type=password -d client_id=multiplicity-cli -d "username=$user" -d "password=$user" \
    | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

mkdir -p "$DATA_DIR"
case "${1:-}" in
  install) install ;;
  start) launch keycloak "$RUN_PORT" "$DATA_DIR/keycloak.log" ;;
  stop) halt keycloak ;;
  test-start)
    # Keycloak's own store in development mode is its embedded H2; a fresh file per run gives the
    # tests a freshly imported realm. The platform's database is PostgreSQL everywhere.
    launch keycloak-test "$TEST_PORT" "$DATA_DIR/keycloak-test.log" \
      --db-url "jdbc:h2:file:$DATA_DIR/keycloak-test-db/$(date +%s%N);NON_KEYWORDS=VALUE;AUTO_SERVER=TRUE" ;;
  test-stop) halt keycloak-test; rm -rf "$DATA_DIR/keycloak-test-db" ;;
  token) token "${2:?user}" "${3:-$RUN_PORT}" ;;
  *) die "usage: $0 install|start|stop|test-start|test-stop|token USER [PORT]" ;;
esac
