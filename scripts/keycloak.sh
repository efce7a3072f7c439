#!/usr/bin/env bash
# The project's Keycloak: install | start | start-production | stop | add-admin USER | test-start | test-stop | token USER
#   install           download the Keycloak distribution from Maven Central into the data directory
#   start             the demo: development mode on port 8180, the realm with its demo users
#                     (password = user name, a platform admin among them) and the repository's client secret
#   start-production  production mode on port 8180 (HTTP on loopback only, for a TLS proxy in front):
#                     the realm without demo users, the panel's client secret generated at the first
#                     start (data/keycloak-panel-secret, mode 0600)
#   add-admin USER    a platform admin with a one-time password (printed; changed at first sign-in)
#   production-realm  print the realm start-production imports (for review)
#   test-start        run a throw-away Keycloak for the tests on port 18180 (in-memory database)
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
  if [ "${KEYCLOAK_MODE:-demo}" = production ]; then
    (umask 077 && production_realm > "$KEYCLOAK_HOME/data/import/multiplicity-realm.json")
  else
    cp "$REALM_FILE" "$KEYCLOAK_HOME/data/import/multiplicity-realm.json"
  fi
}

PANEL_SECRET_FILE="$DATA_DIR/keycloak-panel-secret"

# The panel's client secret of a production install: generated once, readable by root only.
panel_secret() {
  [ -s "$PANEL_SECRET_FILE" ] || (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '/+=\n' > "$PANEL_SECRET_FILE")
  chmod 0600 "$PANEL_SECRET_FILE"
  cat "$PANEL_SECRET_FILE"
}

# The realm of a production install: the demo's, without its users (service accounts stay), with the
# generated client secret, and a display name that does not announce demo logins.
production_realm() {
  command -v jq >/dev/null || die "jq is needed (apt-get install jq)"
  local secret; secret="$(panel_secret)"
  jq --arg secret "$secret" '
      .users = [.users[] | select(has("serviceAccountClientId"))]
    | .clients = [.clients[] | if .clientId == "multiplicity-panel" then .secret = $secret else . end]
    | .displayName = "Multiplicity" | .displayNameHtml = "Multiplicity"' "$REALM_FILE"
}

# A platform admin with a one-time password, through the admin API of the running Keycloak.
add_admin() {
  local user="$1" port="${2:-$RUN_PORT}" base admin_token password
  [[ "$user" =~ ^[a-z][a-z0-9._-]{1,62}$ ]] || die "a user name is lower-case letters, digits, '.', '_' or '-'"
  base="http://localhost:$port"
  admin_token="$(curl -fsS "$base/realms/master/protocol/openid-connect/token" -d grant_type=password \
      -d client_id=admin-cli -d username=kcadmin --data-urlencode "password=$(cat "$DATA_DIR/keycloak-admin-password")" \
      | jq -r .access_token)" || die "Keycloak on port $port does not answer its administrator"
  password="$(head -c 18 /dev/urandom | base64 | tr -d '/+=')"
  jq -n --arg user "$user" --arg password "$password" '{username: $user, enabled: true,
      credentials: [{type: "password", value: $password, temporary: true}]}' \
    | curl -fsS -X POST "$base/admin/realms/multiplicity/users" -H "Authorization: Bearer $admin_token" \
        -H 'Content-Type: application/json' --data @- >/dev/null || die "could not create $user (taken?)"
  local id role
  id="$(curl -fsS "$base/admin/realms/multiplicity/users?exact=true&username=$user" -H "Authorization: Bearer $admin_token" | jq -r '.[0].id')"
  role="$(curl -fsS "$base/admin/realms/multiplicity/roles/platform-admin" -H "Authorization: Bearer $admin_token")"
  curl -fsS -X POST "$base/admin/realms/multiplicity/users/$id/role-mappings/realm" -H "Authorization: Bearer $admin_token" \
    -H 'Content-Type: application/json' --data "[$role]" >/dev/null || die "could not make $user a platform admin"
  say "platform admin $user created; one-time password (changed at the first sign-in): $password"
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
  local mode=(start-dev)
  if [ "${1:-}" = --production ]; then
    shift
    mode=(start --http-enabled=true --http-host=127.0.0.1 --cache=local)
  fi
  KC_BOOTSTRAP_ADMIN_USERNAME=kcadmin KC_BOOTSTRAP_ADMIN_PASSWORD="$(cat "$password_file")" \
    setsid "$KEYCLOAK_HOME/bin/kc.sh" "${mode[@]}" --http-port "$port" --import-realm \
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
  start-production)
    # Production mode: TLS belongs to the proxy in front, so HTTP listens on loopback only.
    # Its own store, so a realm a demo run imported (demo users and all) is never the production one;
    # point KC_DB/KC_DB_URL at a PostgreSQL for anything beyond one machine (docs/operations.md).
    KEYCLOAK_MODE=production launch keycloak "$RUN_PORT" "$DATA_DIR/keycloak.log" --production \
      --db dev-file --db-url "jdbc:h2:file:$DATA_DIR/keycloak-production-db/keycloakdb;NON_KEYWORDS=VALUE" ;;
  production-realm) production_realm ;;
  add-admin) add_admin "${2:?user}" "${3:-$RUN_PORT}" ;;
  stop) halt keycloak ;;
  test-start)
    # Keycloak's own store in development mode is its embedded H2; a fresh file per run gives the
    # tests a freshly imported realm. The platform's database is PostgreSQL everywhere.
    launch keycloak-test "$TEST_PORT" "$DATA_DIR/keycloak-test.log" \
      --db-url "jdbc:h2:file:$DATA_DIR/keycloak-test-db/$(date +%s%N);NON_KEYWORDS=VALUE;AUTO_SERVER=TRUE" ;;
  test-stop) halt keycloak-test; rm -rf "$DATA_DIR/keycloak-test-db" ;;
  token) token "${2:?user}" "${3:-$RUN_PORT}" ;;
  *) die "usage: $0 install|start|start-production|stop|add-admin USER|production-realm|test-start|test-stop|token USER [PORT]" ;;
esac
