#!/usr/bin/env bash
# Builds everything: the native helpers, the monitor and the application. `build.sh clean` removes the outputs.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"

if [ "${1:-}" = "clean" ]; then
  for dir in vmm-native src/main/c; do [ -f "$dir/Makefile" ] && make -s -C "$dir" clean; done
  rm -rf frontend/dist  # the portal
  pick_java && ./mvnw -B -q clean && ./mvnw -B -q -f cli/pom.xml clean
  exit 0
fi

for dir in vmm-native src/main/c; do
  if [ -f "$dir/Makefile" ]; then say "building $dir"; make -s -C "$dir"; fi
done
# ---- portal: frontend/ is built into frontend/dist, which the application serves at / ----
say "building the portal"
use_node || die "the portal needs Node.js 20.19+ or 22.12+ and npm: run scripts/install-deps.sh (it installs one) and retry"
bash frontend/run.sh build
# ---- end portal ----
pick_java
say "building the CLI (cli/target/multiplicity-cli.jar, launched by cli/bin/multiplicity)"
./mvnw -B -q -f cli/pom.xml package -DskipTests
say "building the application"
./mvnw -B -q package -DskipTests
