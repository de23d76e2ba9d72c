#!/usr/bin/env bash
# A Vault-API server for the PKI tests: HashiCorp Vault v1.13.0 (MPL-2.0),
# built unpatched from Go modules by `lab/toolchain.sh vault`, run as a dev
# server on 127.0.0.1. It stands in for OpenBao's PKI engine (OpenBao forked
# from the Vault 1.14 line; the OpenBao server is not obtainable here) — tests
# that use it say so in their names.
#
# Dev mode keeps everything in memory and is unsealed at start: each start is
# a fresh server, so the root token is generated anew per start (never a
# fixed, guessable "root"). HOME points into the lab state so the dev server's
# ~/.vault-token never lands in the real home directory.
#
# lab.env: VAULT_ADDR (http://127.0.0.1:<port>), VAULT_TOKEN (root token of
# this dev server; lab only).

VAULT_STATE=$LAB_STATE/vault

vault_start() {
  local bin port token
  bin=$LAB_BIN/vault
  [ -x "$bin" ] || lab_die "vault: $bin not built; run lab/toolchain.sh vault (about 6 min warm)"
  "$bin" version 2>/dev/null | grep -q "v$VAULT_VERSION" ||
    lab_die "vault: $bin is not Vault v$VAULT_VERSION ($("$bin" version 2>&1 | head -n1))"
  lab_stop vault # a stale process would hold a token lab.env no longer has
  port=$(lab_port vault)
  token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  mkdir -p "$VAULT_STATE/home"
  chmod 700 "$VAULT_STATE"
  # The dev server also listens on port+1 for cluster traffic (127.0.0.1 only).
  # The root token goes in through the environment, not argv (ps shows argv).
  VAULT_DEV_ROOT_TOKEN_ID=$token lab_spawn vault env HOME="$VAULT_STATE/home" VAULT_ADDR="http://127.0.0.1:$port" \
    "$bin" server -dev -dev-listen-address="127.0.0.1:$port" -log-level=warn
  lab_env_set VAULT_ADDR "http://127.0.0.1:$port"
  lab_env_set VAULT_TOKEN "$token"
  lab_wait vault 60 vault_healthy
}

# vault_healthy: the server is unsealed and active, and the token recorded in
# lab.env works on it (so a reused server matches what tests will send).
vault_healthy() {
  local addr token
  addr=$(lab_env_get VAULT_ADDR)
  token=$(lab_env_get VAULT_TOKEN)
  [ -n "$addr" ] && [ -n "$token" ] || return 1
  lab_running vault || return 1
  curl -fsS -m 2 "$addr/v1/sys/health" >/dev/null || return 1
  curl -fsS -m 2 -H "X-Vault-Token: $token" "$addr/v1/auth/token/lookup-self" >/dev/null
}

vault_stop() {
  lab_stop vault
}
