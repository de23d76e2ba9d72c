#!/usr/bin/env bash
# Installs the Debian packages the lab needs, once per machine (idempotent):
#   softhsm2, opensc   the PKCS#11 token and pkcs11-tool (HSM seal tests)
#   openssl, curl      lab certificates and health checks
#   maven, unzip,      Keycloak from Maven Central, unpacked, on JDK 17
#   openjdk-17-jre-headless
#   python3            free-port lookup
# A package is skipped when its command is already present (machines may
# carry their own JDK or Maven).
set -euo pipefail
declare -A need=(
  [softhsm2-util]=softhsm2 [pkcs11-tool]=opensc [openssl]=openssl [curl]=curl
  [mvn]=maven [unzip]=unzip [java]=openjdk-17-jre-headless [python3]=python3
)
missing=()
for cmd in "${!need[@]}"; do command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}"); done
# SoftHSM's module is a library, not a command: check the file too.
[ -f /usr/lib/softhsm/libsofthsm2.so ] || missing+=(softhsm2)
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "deps: installing ${missing[*]} from Debian"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
