#!/usr/bin/env bash
# Refreshes the committed OpenAPI document, docs/openapi.json and docs/openapi.yaml, from the
# application's annotations: the build writes it to target/openapi/ and this copies it to docs/.
# Run it after changing a resource or an API record; OpenApiContractTest fails until you do, and the
# portal's API types (frontend/src/api/schema.d.ts) are generated from docs/openapi.json.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$PROJECT_ROOT"
pick_java
say "generating the OpenAPI document"
./mvnw -B -q -DskipTests package
cp target/openapi/openapi.json target/openapi/openapi.yaml docs/
say "docs/openapi.json and docs/openapi.yaml refreshed"
if use_node 2>/dev/null; then
  bash frontend/run.sh api-types
fi
