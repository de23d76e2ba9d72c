#!/usr/bin/env bash
# SoftHSM2 as the lab's PKCS#11 token for OpenBao's seal (sourced by lab.sh).
#
# Not a daemon: "healthy" means the token "OpenBao" exists in the lab's own
# token directory and holds the AES-256 key bao-root-key-aes (and the RSA pair
# bao-root-key-rsa). PINs are random
# per lab, kept in lab.env (the user PIN, which tests need) and in a 0600 file
# (the SO PIN). The system-wide SoftHSM2 configuration is never touched.

SOFTHSM_DIR=$LAB_STATE/softhsm
SOFTHSM_LIB=/usr/lib/softhsm/libsofthsm2.so
SOFTHSM_TOKEN=OpenBao
SOFTHSM_KEY=bao-root-key-aes
# An RSA pair for the CKM_RSA_PKCS_OAEP (0x0009) form of the seal.
SOFTHSM_RSA_KEY=bao-root-key-rsa

softhsm_random_pin() { od -An -N12 -tx1 /dev/urandom | tr -d ' \n'; }

# softhsm_has CONF PIN TYPE LABEL: the token holds an object of TYPE
# (secrkey, privkey) labelled LABEL.
softhsm_has() {
  SOFTHSM2_CONF=$1 pkcs11-tool --module "$SOFTHSM_LIB" --token-label "$SOFTHSM_TOKEN" \
    --login --pin "$2" --list-objects --type "$3" 2>/dev/null | grep -q "label: *$4\$"
}

softhsm_healthy() {
  local conf pin
  conf=$(lab_env_get SOFTHSM2_CONF)
  pin=$(lab_env_get RAMPART_HSM_PIN)
  [ -n "$conf" ] && [ -f "$conf" ] && [ -n "$pin" ] || return 1
  softhsm_has "$conf" "$pin" secrkey "$SOFTHSM_KEY" && softhsm_has "$conf" "$pin" privkey "$SOFTHSM_RSA_KEY"
}

softhsm_start() {
  command -v softhsm2-util >/dev/null && command -v pkcs11-tool >/dev/null && [ -f "$SOFTHSM_LIB" ] ||
    lab_die "softhsm: softhsm2/opensc missing — run: bash lab/deps.sh"
  local conf=$SOFTHSM_DIR/softhsm2.conf pin so_pin
  mkdir -p "$SOFTHSM_DIR/tokens"
  chmod 700 "$SOFTHSM_DIR" "$SOFTHSM_DIR/tokens"
  cat >"$conf" <<EOF
directories.tokendir = $SOFTHSM_DIR/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
  export SOFTHSM2_CONF=$conf

  pin=$(lab_env_get RAMPART_HSM_PIN)
  if ! softhsm2-util --show-slots 2>/dev/null | grep -q "Label: *$SOFTHSM_TOKEN *\$" || [ -z "$pin" ]; then
    # A fresh token (or a lost PIN): start over with new random PINs.
    rm -rf "${SOFTHSM_DIR:?}/tokens/"*
    pin=$(softhsm_random_pin)
    so_pin=$(softhsm_random_pin)
    (umask 077; printf '%s\n' "$so_pin" >"$SOFTHSM_DIR/so-pin")
    softhsm2-util --init-token --free --label "$SOFTHSM_TOKEN" --so-pin "$so_pin" --pin "$pin" >/dev/null ||
      lab_die "softhsm: init-token failed"
    lab_env_set RAMPART_HSM_PIN "$pin"
  fi
  if ! softhsm_has "$conf" "$pin" secrkey "$SOFTHSM_KEY"; then
    pkcs11-tool --module "$SOFTHSM_LIB" --token-label "$SOFTHSM_TOKEN" --login --pin "$pin" \
      --keygen --key-type aes:32 --label "$SOFTHSM_KEY" >/dev/null 2>&1 || lab_die "softhsm: AES key generation failed"
  fi
  if ! softhsm_has "$conf" "$pin" privkey "$SOFTHSM_RSA_KEY"; then
    pkcs11-tool --module "$SOFTHSM_LIB" --token-label "$SOFTHSM_TOKEN" --login --pin "$pin" \
      --keypairgen --key-type rsa:3072 --label "$SOFTHSM_RSA_KEY" >/dev/null 2>&1 || lab_die "softhsm: RSA key generation failed"
  fi

  lab_env_set SOFTHSM2_CONF "$conf"
  lab_env_set RAMPART_HSM_LIB "$SOFTHSM_LIB"
  lab_env_set RAMPART_HSM_TOKEN_LABEL "$SOFTHSM_TOKEN"
  lab_env_set RAMPART_HSM_KEY_LABEL "$SOFTHSM_KEY"
  lab_env_set RAMPART_HSM_RSA_KEY_LABEL "$SOFTHSM_RSA_KEY"
  softhsm_healthy || lab_die "softhsm: token $SOFTHSM_TOKEN lacks $SOFTHSM_KEY or $SOFTHSM_RSA_KEY after start"
}

# Nothing runs; the token stays under $LAB_STATE so PINs and keys survive a
# `lab.sh down`/`up` cycle. Remove $LAB_STATE/softhsm to start afresh.
softhsm_stop() { :; }
