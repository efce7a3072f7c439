#!/usr/bin/env bash
# make test: every test of the project, against real services (PostgreSQL, Keycloak, ZFS, runc, /dev/kvm).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

bash scripts/install-deps.sh
pick_java
bash scripts/keycloak.sh install

# The Debian VM tests (mvm's guest test among them) boot a stock Debian cloud guest built by the
# project's own command.
if [ ! -s data/vm-images/debian-vm/disk.raw ]; then
  say "images: building debian-vm with debootstrap for the Debian VM tests"
  bash scripts/build-image.sh debian-vm || say "WARNING: could not build debian-vm; its tests will say SKIPPED"
fi

if [ -f vmm-native/Makefile ]; then
  say "vmm-native: unit tests and test guests"
  make -C vmm-native test
fi

cleanup() { bash scripts/keycloak.sh test-stop || true; }
trap cleanup EXIT
MULTIPLICITY_TEST_KEYCLOAK_URL="$(bash scripts/keycloak.sh test-start | tail -n 1)"
export MULTIPLICITY_TEST_KEYCLOAK_URL

# ---- portal: build it (the packaged application serves it) and run its unit tests ----
say "portal: build and unit tests"
bash frontend/run.sh build
bash frontend/run.sh unit
# ---- end portal ----

# The catalog test imports a real Debian root file system built by the project's own command.
# One built before its init was systemd is rebuilt (the Debian jail test needs systemd, SSH, cloud-init).
if [ ! -s data/images/built-in/debian-12.tar.zst ] || ! grep -q '"init": "systemd"' data/images/built-in/debian-12.json 2>/dev/null; then
  say "images: building debian-12 with debootstrap for the catalog test"
  bash scripts/build-image.sh debian-12 || say "WARNING: could not build debian-12; its catalog test will say SKIPPED"
fi

# ---- CLI: its own unit tests, and the jar the control plane's CliTest runs against the panel ----
say "CLI: unit tests and jar"
./mvnw -B -f cli/pom.xml package
# ---- end CLI ----

say "control plane: unit, API and packaged-application tests"
for dir in src/main/c; do [ -f "$dir/Makefile" ] && make -s -C "$dir" all test; done
./mvnw -B verify -Pit

# ---- portal: end-to-end tests in Chromium, the packaged application, the test Keycloak ----
say "portal: end-to-end tests"
bash scripts/portal-e2e.sh --start-panel --keycloak "$MULTIPLICITY_TEST_KEYCLOAK_URL"
# ---- end portal ----
