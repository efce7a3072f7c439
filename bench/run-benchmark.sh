#!/usr/bin/env bash
# Runs one benchmark of the control plane (a test class enabled by -Dmultiplicity.bench=true) against
# an embedded PostgreSQL and the test Keycloak, then prints its table, which ends with one line of JSON.
# Usage: bench/run-benchmark.sh <name> <TestClass>
set -euo pipefail
source "$(dirname "$0")/../scripts/lib.sh"
cd "$PROJECT_ROOT"
name="$1"
test_class="$2"
shift 2
# further arguments are system properties for the benchmark's JVM, e.g. -Dmultiplicity.bench.database=durable
pick_java
if [ -z "${MULTIPLICITY_TEST_KEYCLOAK_URL:-}" ]; then
  MULTIPLICITY_TEST_KEYCLOAK_URL="$(bash scripts/keycloak.sh test-start | tail -n 1)"
  export MULTIPLICITY_TEST_KEYCLOAK_URL
fi
mkdir -p target/bench
rm -f "target/bench/$name.txt"
log="target/bench/$name.log"
say "running the $name benchmark (log: $log)"
offline=""
[ -d "$HOME/.m2/repository/io/quarkus" ] && offline="-o"
if ! ./mvnw -B $offline test -Dtest="$test_class" -Dsurefire.failIfNoSpecifiedTests=false \
    -Dmultiplicity.bench=true "$@" >"$log" 2>&1; then
  [ -f "target/bench/$name.txt" ] && cat "target/bench/$name.txt"
  die "the $name benchmark failed; see $log"
fi
cat "target/bench/$name.txt"
