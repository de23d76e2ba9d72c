#!/usr/bin/env bash
# `make test`: every tier, in order, each timed.
#   unit + policy   mocks only (components, config validation, invariants)
#   server-backed   mocks backed by the lab's real servers (SoftHSM2 through
#                   OpenBao's seal library, the Vault 1.13 PKI stand-in,
#                   Keycloak)
#   e2e             the real pulumi CLI + kubernetes plugin against the lab's
#                   kube-apiserver (Automation API)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash lab/deps.sh
bash lab/toolchain.sh
bash lab/lab.sh up
# shellcheck source=pulumi-env.sh
. lab/pulumi-env.sh
pulumi_plugins
export RAMPART_REQUIRE_LAB=1
summary=()
tier() { # name packages...
  local name=$1 t0 rc; shift
  echo "== tier: $name"
  t0=$(date +%s)
  set +e; go test -count=1 -timeout 40m "$@"; rc=$?; set -e
  summary+=("$name: $(($(date +%s) - t0))s (exit $rc)")
  return $rc
}
status=0
tier "unit+policy" ./components/... ./infra/... ./stacks/... ./internal/... ./compliance/... ./cmd/... ./tests/policy/... ./bench/... || status=1
serverbacked=()
for d in tests/hsm tests/pkiserver tests/keycloakserver; do [ -d "$d" ] && serverbacked+=("./$d/..."); done
[ ${#serverbacked[@]} -eq 0 ] || tier "server-backed" "${serverbacked[@]}" || status=1
tier "e2e" ./tests/e2e/... || status=1
echo "== tiers"; printf '  %s\n' "${summary[@]}"
exit $status
