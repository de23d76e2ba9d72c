#!/usr/bin/env bash
# `make test`: every tier, in order, each timed.
#   unit + policy   mocks only (components, config validation, invariants)
#   server-backed   mocks backed by the lab's real servers (SoftHSM2 through
#                   OpenBao's seal library, OpenBao 2.6.2 for PKI and the
#                   component's rendered config, Keycloak, versitygw)
#   e2e             the real pulumi CLI + kubernetes plugin against the lab's
#                   kube-apiserver (Automation API)
#   node            traffic on the lab's real node (tests/nodetraffic): the
#                   policy matrix, Pod Security at run time, drift
#                   (RAMPART_LAB_NODE=0 skips it and says so)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=pulumi-env.sh
. lab/pulumi-env.sh
lab_ready test
export RAMPART_REQUIRE_LAB=1
summary=()
logs=$(mktemp -d)
passed=0 failed=0 skipped=0
tier() { # name packages...: verbose output to a log, package lines and failures to the console
  local name=$1 t0 rc log p f s; shift
  log=$logs/${name//[^a-z0-9]/-}.log
  echo "== tier: $name (log: $log)"
  t0=$(date +%s)
  set +e; go test -count=1 -v -timeout 40m "$@" >"$log" 2>&1; rc=$?; set -e
  grep -E '^(ok|FAIL|\?|panic:)' "$log" || true
  # A failing test's messages come before its "--- FAIL" line; the streamed
  # pulumi output (localconfig.go) between them is left out.
  if [ $rc -ne 0 ]; then grep -E -B60 -A25 -- '--- FAIL|^panic:|cannot|undefined' "$log" | grep -v 'localconfig.go:' | head -300 || true; fi
  p=$(grep -cE -- '--- PASS' "$log" || true); f=$(grep -cE -- '--- FAIL' "$log" || true); s=$(grep -cE -- '--- SKIP' "$log" || true)
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
  summary+=("$name: $(($(date +%s) - t0))s, $p passed, $f failed, $s skipped (exit $rc)")
  return $rc
}
status=0
serverbacked=(./tests/hsm/... ./tests/openbaoserver/... ./tests/pkiserver/... ./tests/keycloakserver/... ./tests/s3server/... ./tests/egtranslate/... ./tests/certmanagerserver/... ./tests/kmsserver/... ./tests/evidenceserver/...)
# Every other package is the unit + policy tier, so a new package is tested
# without editing this list.
mapfile -t unit < <(go list ./... | grep -Ev '/tests/(e2e|hsm|openbaoserver|pkiserver|keycloakserver|s3server|egtranslate|trivyscan|certmanagerserver|kmsserver|evidenceserver|nodetraffic)$')
tier "unit+policy" "${unit[@]}" || status=1
tier "server-backed" "${serverbacked[@]}" || status=1
tier "e2e" ./tests/e2e/... ./tests/trivyscan/... || status=1
if [ "$RAMPART_LAB_NODE" = 1 ]; then
  export RAMPART_REQUIRE_NODE=1
  tier "node" ./tests/nodetraffic/... || status=1
  # The local stack's policy matrix by traffic ("." reached, "X" refused),
  # from the tier's verbose log.
  echo "== node: the local stack's policies by traffic"
  awk '/local-stack policies \(probe connect\), matrix/ { p = 1; sub(/^ *[a-z_]+\.go:[0-9]+: /, ""); print; next }
       p && /^        / { print; next } { p = 0 }' "$logs/node.log"
else
  summary+=("node: not run (RAMPART_LAB_NODE=0)")
fi
echo "== tiers"; printf '  %s\n' "${summary[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
