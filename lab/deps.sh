#!/usr/bin/env bash
# Installs the Debian packages the lab needs, once per machine (idempotent):
# SoftHSM2 + OpenSC for the PKCS#11 token, OpenSSL for certificates.
set -euo pipefail
pkgs=(softhsm2 opensc openssl)
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "deps: installing ${missing[*]} from Debian"
SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
