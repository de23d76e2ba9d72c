#!/usr/bin/env bash
# Shared helpers for the lab's service scripts (lab/services/*.sh). Sourced,
# not run. Every server listens on 127.0.0.1 only; its PID, log and data live
# under $LAB_STATE, and the values tests need go into $LAB_STATE/lab.env.

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$LAB_DIR/versions.env"
RAMPART_CACHE=${RAMPART_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/rampart}
LAB_STATE=${RAMPART_LAB_STATE:-$RAMPART_CACHE/lab}
LAB_ENV=$LAB_STATE/lab.env
LAB_BIN=$RAMPART_CACHE/bin
mkdir -p "$LAB_STATE"
touch "$LAB_ENV"

lab_log() { echo "lab: $*"; }
lab_die() { echo "lab: ERROR: $*" >&2; exit 1; }

# lab_env_set KEY VALUE: records an export in lab.env (replacing an old one).
lab_env_set() {
  local tmp
  tmp=$(mktemp "$LAB_STATE/.env.XXXXXX")
  grep -v "^export $1=" "$LAB_ENV" >"$tmp" || true
  printf 'export %s=%q\n' "$1" "$2" >>"$tmp"
  mv "$tmp" "$LAB_ENV"
}

# lab_env_get KEY: prints the value recorded in lab.env ("" if none).
lab_env_get() { (set +u; . "$LAB_ENV"; eval "printf '%s' \"\${$1:-}\""); }

# lab_free_port: prints a TCP port on 127.0.0.1 that nothing listens on.
lab_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# lab_port NAME: the port recorded for NAME, or a new free one (recorded), so
# a restarted lab keeps its addresses. A recorded port that something else
# took while the lab was down is replaced. NAME's process is NAME without a
# -peer/-mgmt suffix.
lab_port() {
  local key p owner=${1%-peer}
  owner=${owner%-mgmt}
  key="LAB_PORT_$(echo "$1" | tr 'a-z-' 'A-Z_')"
  p=$(lab_env_get "$key")
  if [ -n "$p" ] && ! lab_running "$owner" && (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    lab_log "port $p of $1 is taken by another process; choosing a new one" >&2
    p=
  fi
  if [ -z "$p" ]; then p=$(lab_free_port); lab_env_set "$key" "$p"; fi
  echo "$p"
}

# lab_running NAME: true when NAME's recorded PID is alive.
lab_running() {
  local pid
  [ -f "$LAB_STATE/$1.pid" ] || return 1
  pid=$(cat "$LAB_STATE/$1.pid")
  kill -0 "$pid" 2>/dev/null
}

# lab_spawn NAME CMD...: starts CMD detached, logging to $LAB_STATE/NAME.log.
lab_spawn() {
  local name=$1; shift
  setsid nohup "$@" >>"$LAB_STATE/$name.log" 2>&1 </dev/null &
  echo $! >"$LAB_STATE/$name.pid"
}

# lab_wait NAME TIMEOUT CHECK...: polls CHECK until it succeeds; on timeout
# prints the log tail and fails.
lab_wait() {
  local name=$1 timeout=$2 start; shift 2
  start=$(date +%s)
  until "$@" >/dev/null 2>&1; do
    if ! lab_running "$name"; then
      tail -n 30 "$LAB_STATE/$name.log" >&2; lab_die "$name exited during start-up (log: $LAB_STATE/$name.log)"
    fi
    if [ $(($(date +%s) - start)) -ge "$timeout" ]; then
      tail -n 30 "$LAB_STATE/$name.log" >&2; lab_die "$name not healthy after ${timeout}s (log: $LAB_STATE/$name.log)"
    fi
    sleep 0.5
  done
}

# lab_stop NAME: stops NAME's own process group (and nothing else).
lab_stop() {
  local pid i
  [ -f "$LAB_STATE/$1.pid" ] || return 0
  pid=$(cat "$LAB_STATE/$1.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$LAB_STATE/$1.pid"
}
