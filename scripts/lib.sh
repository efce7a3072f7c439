# Shared helpers of the project's scripts. Source it; do not run it.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${MULTIPLICITY_DATA_DIR:-$PROJECT_ROOT/data}"
KEYCLOAK_VERSION="26.7.3"
KEYCLOAK_HOME="$DATA_DIR/keycloak-$KEYCLOAK_VERSION"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p' | cut -d. -f1
}

# Exports JAVA_HOME pointing at a JDK >= 21: JAVA_HOME if it qualifies, else the newest under /usr/lib/jvm.
pick_java() {
  if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(java_major "$JAVA_HOME/bin/java")" -ge 21 ] 2>/dev/null; then
    export JAVA_HOME; return 0
  fi
  local best="" best_major=0 candidate major
  for candidate in /usr/lib/jvm/*; do
    [ -x "$candidate/bin/javac" ] || continue
    major="$(java_major "$candidate/bin/java")"
    [ -n "$major" ] || continue
    if [ "$major" -ge 21 ] && [ "$major" -gt "$best_major" ]; then best="$candidate"; best_major="$major"; fi
  done
  [ -n "$best" ] || die "no JDK 21 or newer found (JAVA_HOME unset or older, nothing suitable in /usr/lib/jvm); install one, e.g. a Temurin 21+ JDK, and retry"
  export JAVA_HOME="$best"
  say "using JDK $best_major at $JAVA_HOME"
}

# Waits until a URL answers 2xx, up to $2 seconds.
wait_for_url() {
  local url="$1" seconds="${2:-120}" i
  for ((i = 0; i < seconds * 2; i++)); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.5
  done
  return 1
}
