#!/usr/bin/env bash
# The local lab: real servers on 127.0.0.1 for `make up` and the test tiers.
#
#   lab/lab.sh up [service...]    start what is not running (idempotent)
#   lab/lab.sh down [service...]  stop the lab's own processes only
#   lab/lab.sh status             one line per service
#   lab/lab.sh env                path of lab.env (exports for tests and tools)
#
# Each lab/services/NAME.sh defines NAME_start, NAME_healthy and optionally
# NAME_stop; services start in the order of LAB_SERVICES.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# keycloak before kube: the API server's authentication config names the lab
# Keycloak's issuer and carries its CA (lab/services/kube.sh), so a renewed
# Keycloak CA is re-rendered into it in the same `up`.
LAB_SERVICES=(keycloak kube crds openbao softhsm s3)
# The node (issue 13) joins a plain `up` unless RAMPART_LAB_NODE=0 (lib.sh);
# down and status always include it.
LAB_OPTIONAL=(node)
[ "$RAMPART_LAB_NODE" = 1 ] && LAB_SERVICES+=("${LAB_OPTIONAL[@]}")
for s in "${LAB_SERVICES[@]}" "${LAB_OPTIONAL[@]}"; do
  # shellcheck disable=SC1090
  [ -f "$LAB_DIR/services/$s.sh" ] && . "$LAB_DIR/services/$s.sh"
done
have() { declare -F "$1_start" >/dev/null; }

cmd=${1:-status}; shift || true
want=("$@")
if [ ${#want[@]} -eq 0 ]; then
  want=("${LAB_SERVICES[@]}")
  [ "$cmd" = up ] || [ "$RAMPART_LAB_NODE" = 1 ] || want+=("${LAB_OPTIONAL[@]}")
fi
# up and down change processes, pid files and lab.env: one at a time per lab
# state. The lock is fd 9, held until this script exits; lab_spawn closes it
# in the servers it starts, and services never run lab.sh themselves.
case $cmd in
up | down)
  exec 9>>"$LAB_STATE/.lock"
  flock -n 9 || { lab_log "waiting for another lab.sh up/down on $LAB_STATE"; flock 9; } ;;
esac
case $cmd in
up)
  for s in "${want[@]}"; do
    have "$s" || continue
    if "${s}_healthy" >/dev/null 2>&1; then lab_log "$s: healthy, reused"; continue; fi
    t0=$(date +%s)
    "${s}_start"
    lab_log "$s: up in $(($(date +%s) - t0))s"
  done
  lab_log "env: $LAB_ENV" ;;
down)
  for ((i = ${#want[@]} - 1; i >= 0; i--)); do
    s=${want[i]}; have "$s" || continue
    if declare -F "${s}_stop" >/dev/null; then "${s}_stop"; else lab_stop "$s"; fi
    lab_log "$s: stopped"
  done ;;
status)
  for s in "${want[@]}"; do
    have "$s" || continue
    if "${s}_healthy" >/dev/null 2>&1; then echo "$s: healthy"; else echo "$s: down"; fi
  done ;;
env) echo "$LAB_ENV" ;;
*) lab_die "unknown command $cmd (up|down|status|env)" ;;
esac
