#!/usr/bin/env bash
# Lab service "kube": etcd + kube-apiserver + kube-controller-manager on
# 127.0.0.1, all built from Go modules by lab/toolchain.sh. No scheduler and
# no kubelet: objects are stored, validated and admitted (Pod Security
# admission included), the controller manager creates default
# ServiceAccounts and ReplicaSets/Pods, and Pods stay Pending.

KUBE_DIR=$LAB_STATE/kube

# The files kube-apiserver loads through a flag are rendered by Rampart
# (`rampart apiserver audit-policy` and `rampart apiserver
# authentication-config`), never kept by hand: the lab's kube-apiserver runs
# on exactly the files Rampart ships.
#
# The authentication config is the OIDC login through the lab's Keycloak:
# issuer https://127.0.0.1:$LAB_PORT_KEYCLOAK/realms/$KUBE_OIDC_REALM,
# audience "kubernetes", Keycloak's lab CA written into the file. The realm
# is created by the identity tests, not here: the API server retries the
# issuer's discovery every 10 s until the realm answers, and meanwhile
# refuses only the tokens of that issuer (client certificates and service
# account tokens are other authenticators). --authentication-config replaces
# only the --oidc-* flags (mutually exclusive with it, and never set here);
# anonymous auth stays with --anonymous-auth=false since the file has no
# anonymous section.
#
# The stamp is a hash of what the renderings read: the whole apiserver room
# (its config packages included), the CLI, the issuer URL (Keycloak's port)
# and the CA's bytes. When it changes the CLI is rebuilt (Go's build cache
# keeps that to seconds when warm), both files re-rendered, and
# kube-apiserver restarted only if a file's bytes changed.
KUBE_OIDC_REALM=rampart-oidc

# kube_oidc_issuer: the lab's OIDC issuer URL, "" until Keycloak has a port
# and a CA (the one condition the rendering, the stamp and the health check
# all use).
kube_oidc_issuer() {
  local port ca
  port=$(lab_env_get LAB_PORT_KEYCLOAK)
  ca=$(lab_env_get KEYCLOAK_CA_FILE)
  if [ -n "$port" ] && [ -f "$ca" ]; then echo "https://127.0.0.1:$port/realms/$KUBE_OIDC_REALM"; fi
}

kube_files_stamp() {
  local ca
  ca=$(lab_env_get KEYCLOAK_CA_FILE)
  (
    cd "$LAB_DIR/.." || exit 1
    find apiserver -name '*.go' ! -name '*_test.go' | LC_ALL=C sort | xargs -r cat
    cat cmd/rampart/apiserver.go go.mod go.sum
    echo "issuer=$(kube_oidc_issuer)"
    if [ -f "$ca" ]; then cat "$ca"; else echo "no CA"; fi
  ) 2>/dev/null | sha256sum | cut -c1-16
}

kube_files_current() {
  [ -f "$KUBE_DIR/audit-policy.yaml" ] && { [ -z "$(kube_oidc_issuer)" ] || [ -f "$KUBE_DIR/authentication-config.yaml" ]; } &&
    [ "$(cat "$KUBE_DIR/apiserver-files.stamp" 2>/dev/null)" = "$(kube_files_stamp)" ]
}

# kube_install_file NAME: moves NAME.new over NAME when the bytes differ;
# succeeds when NAME changed.
kube_install_file() {
  if cmp -s "$KUBE_DIR/$1.new" "$KUBE_DIR/$1"; then
    rm -f "$KUBE_DIR/$1.new"
    return 1
  fi
  mv "$KUBE_DIR/$1.new" "$KUBE_DIR/$1"
}

kube_render_files() {
  local stamp issuer ca cli=$KUBE_DIR/rampart-apiserver changed=0
  kube_files_current && return 0
  issuer=$(kube_oidc_issuer)
  ca=$(lab_env_get KEYCLOAK_CA_FILE)
  if [ -z "$issuer" ]; then
    # `make up` starts kube without Keycloak on a machine that never ran
    # it: the API server then has no OIDC authenticator until an `up` with
    # Keycloak (make test) re-renders the files (the stamp holds the
    # issuer) and restarts it on them.
    issuer=""
    lab_log "kube: the lab's Keycloak has no port or CA yet: kube-apiserver starts without the authentication config"
  fi
  stamp=$(kube_files_stamp)
  lab_log "kube: rendering the audit policy and the authentication config (rampart apiserver)"
  if ! (cd "$LAB_DIR/.." && go build -buildvcs=false -o "$cli" ./cmd/rampart); then
    # A package the CLI imports may be mid-edit: keep the last rendered
    # files (the stamp stays old, so the next `up` tries again, and the e2e
    # tests comparing the loaded files with fresh renderings fail meanwhile).
    [ -f "$KUBE_DIR/audit-policy.yaml" ] && { [ -z "$issuer" ] || [ -f "$KUBE_DIR/authentication-config.yaml" ]; } ||
      lab_die "kube: building cmd/rampart for the API server's files failed"
    lab_log "kube: WARNING: cmd/rampart does not build; keeping the files rendered before"
    return 0
  fi
  "$cli" apiserver audit-policy --out "$KUBE_DIR/audit-policy.yaml.new" || lab_die "kube: rampart apiserver audit-policy failed"
  kube_install_file audit-policy.yaml && changed=1
  if [ -n "$issuer" ]; then
    "$cli" apiserver authentication-config --oidc-issuer "$issuer" --oidc-ca-file "$ca" --oidc-audience kubernetes \
      --out "$KUBE_DIR/authentication-config.yaml.new" || lab_die "kube: rampart apiserver authentication-config failed"
    kube_install_file authentication-config.yaml && changed=1
  elif [ -f "$KUBE_DIR/authentication-config.yaml" ]; then
    rm -f "$KUBE_DIR/authentication-config.yaml"
    changed=1
  fi
  if [ "$changed" = 1 ] && lab_running kube-apiserver; then
    # The API server would pick up a changed authentication config by
    # itself (it re-reads the file about once a minute), but not a changed
    # audit policy; a restart makes both certain before `up` returns.
    lab_log "kube: the API server's files changed: restarting kube-apiserver on them"
    lab_stop kube-apiserver
  fi
  echo "$stamp" >"$KUBE_DIR/apiserver-files.stamp"
}

kube_pki() {
  local d=$KUBE_DIR/pki
  [ -f "$d/.complete" ] && return 0
  rm -rf "$d"; mkdir -p "$d"
  (
    umask 077 # keys are private from the moment they exist
    cd "$d"
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=rampart-lab-ca" -out ca.crt 2>/dev/null
    cert() { # name subject [san]
      openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
      if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
      else printf 'extendedKeyUsage=clientAuth\n' >"$1.ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default.svc"
    cert admin "/O=system:masters/CN=rampart-lab-admin"
    cert controller-manager "/CN=system:kube-controller-manager"
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
    chmod 600 ./*.key
  )
  touch "$d/.complete"
}

kube_kubeconfig() { # user file
  local d=$KUBE_DIR/pki port
  port=$(lab_port kube-apiserver)
  (umask 077; : >"$2")
  cat >"$2" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: rampart-lab
  cluster:
    server: https://127.0.0.1:$port
    certificate-authority: $d/ca.crt
users:
- name: $1
  user:
    client-certificate: $d/$1.crt
    client-key: $d/$1.key
contexts:
- name: rampart-lab
  context: {cluster: rampart-lab, user: $1}
current-context: rampart-lab
KCFG
  chmod 600 "$2"
}

kube_healthy() {
  [ -x "$LAB_BIN/kubectl" ] || return 1
  kube_files_current || return 1
  lab_running etcd && lab_running kube-apiserver && lab_running kube-controller-manager &&
    "$LAB_BIN/kubectl" --kubeconfig "$KUBE_DIR/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1
}

kube_start() {
  local b
  for b in etcd kube-apiserver kube-controller-manager kubectl; do
    [ -x "$LAB_BIN/$b" ] || lab_die "$b missing from $LAB_BIN: run lab/toolchain.sh"
  done
  mkdir -p "$KUBE_DIR"
  kube_pki
  local etcd_port peer_port api_port cm_port d=$KUBE_DIR/pki
  etcd_port=$(lab_port etcd); peer_port=$(lab_port etcd-peer)
  api_port=$(lab_port kube-apiserver); cm_port=$(lab_port kube-controller-manager)
  kube_kubeconfig admin "$KUBE_DIR/admin.kubeconfig"
  kube_kubeconfig controller-manager "$KUBE_DIR/controller-manager.kubeconfig"
  kube_render_files

  if ! lab_running etcd; then
    # fsync off: lab data is disposable and the disk is shared with builds.
    lab_spawn etcd "$LAB_BIN/etcd" --name lab --data-dir "$KUBE_DIR/etcd" \
      --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
      --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
      --initial-cluster "lab=http://127.0.0.1:$peer_port" --unsafe-no-fsync --log-level warn
    lab_wait etcd 60 curl -sf "http://127.0.0.1:$etcd_port/health"
  fi
  local authn=()
  if [ -f "$KUBE_DIR/authentication-config.yaml" ]; then
    authn=(--authentication-config "$KUBE_DIR/authentication-config.yaml")
  fi
  if ! lab_running kube-apiserver; then
    lab_spawn kube-apiserver "$LAB_BIN/kube-apiserver" \
      --etcd-servers "http://127.0.0.1:$etcd_port" \
      --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
      --tls-cert-file "$d/apiserver.crt" --tls-private-key-file "$d/apiserver.key" --tls-min-version VersionTLS12 \
      --client-ca-file "$d/ca.crt" --authorization-mode RBAC --anonymous-auth=false \
      --service-account-issuer https://kubernetes.default.svc \
      --service-account-key-file "$d/sa.pub" --service-account-signing-key-file "$d/sa.key" \
      --service-cluster-ip-range 10.96.0.0/16 --endpoint-reconciler-type none \
      --allow-privileged=true \
      --audit-policy-file "$KUBE_DIR/audit-policy.yaml" --audit-log-path "$KUBE_DIR/audit.log" \
      --audit-log-maxsize 100 --audit-log-maxbackup 2 \
      "${authn[@]}"
    lab_wait kube-apiserver 120 "$LAB_BIN/kubectl" --kubeconfig "$KUBE_DIR/admin.kubeconfig" get --raw /readyz
  fi
  if ! lab_running kube-controller-manager; then
    lab_spawn kube-controller-manager "$LAB_BIN/kube-controller-manager" \
      --kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
      --authorization-kubeconfig "$KUBE_DIR/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port "$cm_port" --leader-elect=false \
      --service-account-private-key-file "$d/sa.key" --root-ca-file "$d/ca.crt" \
      --use-service-account-credentials --controllers '*,-nodeipam,-nodelifecycle,-cloud-node-lifecycle,-service-lb-controller,-route,-persistentvolume-binder,-attachdetach'
    lab_wait kube-controller-manager 60 curl -skf "https://127.0.0.1:$cm_port/healthz"
  fi
  lab_env_set RAMPART_LAB_KUBECONFIG "$KUBE_DIR/admin.kubeconfig"
  lab_env_set RAMPART_LAB_AUDIT_LOG "$KUBE_DIR/audit.log"
  lab_env_set RAMPART_LAB_AUDIT_POLICY "$KUBE_DIR/audit-policy.yaml"
  if [ -f "$KUBE_DIR/authentication-config.yaml" ]; then
    lab_env_set RAMPART_LAB_AUTHN_CONFIG "$KUBE_DIR/authentication-config.yaml"
    lab_env_set RAMPART_LAB_OIDC_ISSUER "$(kube_oidc_issuer)"
  else
    lab_env_set RAMPART_LAB_AUTHN_CONFIG ""
    lab_env_set RAMPART_LAB_OIDC_ISSUER ""
  fi
}

kube_stop() {
  lab_stop kube-controller-manager
  lab_stop kube-apiserver
  lab_stop etcd
}
