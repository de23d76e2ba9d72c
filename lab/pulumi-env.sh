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
export RAMPART_STATE_DIR=${RAMPART_STATE_DIR:-$RAMPART_CACHE/state}
mkdir -p "$PULUMI_HOME" "$RAMPART_STATE_DIR"
export PULUMI_BACKEND_URL="file://$RAMPART_STATE_DIR"
# The local stack's passphrase protects lab-only secrets; it is generated per
# machine and kept beside the state, never in the repo.
if [ -z "${PULUMI_CONFIG_PASSPHRASE:-}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ]; then
  pf=$RAMPART_CACHE/local-passphrase
  [ -s "$pf" ] || { head -c 24 /dev/urandom | base64 >"$pf"; chmod 600 "$pf"; }
  export PULUMI_CONFIG_PASSPHRASE_FILE=$pf
fi

# pulumi_plugins: registers the source-built kubernetes plugin once, as the
# version the program's SDK asks for.
pulumi_plugins() {
  if ! pulumi plugin ls 2>/dev/null | grep -Eq "^kubernetes +resource +$KUBERNETES_PLUGIN_VERSION "; then
    pulumi plugin install resource kubernetes "v$KUBERNETES_PLUGIN_VERSION" --file "$RAMPART_CACHE/plugins/pulumi-resource-kubernetes" >/dev/null
  fi
}

# lab_ready: what `make up` and `make test` both need first: the Debian
# packages, the toolchain, the running lab, the registered plugins.
lab_ready() {
  bash "$LAB_DIR/deps.sh"
  bash "$LAB_DIR/toolchain.sh"
  bash "$LAB_DIR/lab.sh" up
  pulumi_plugins
}
