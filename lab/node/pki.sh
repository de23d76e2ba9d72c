#!/usr/bin/env bash
# The lab node's PKI and kubeconfigs (sourced by lab/services/node.sh): EC
# P-256 like the kube service's, one CA, a serving certificate for the API
# server and one client identity per component.

# node_pki: the CA, the API server's certificate and every client
# certificate, made once (kept across down/up, unlike the cluster).
node_pki() {
  local d=$NODE_DIR/pki
  [ -f "$d/.complete" ] && [ -f "$d/scheduler.crt" ] && return 0
  rm -rf "$d"; mkdir -p "$d"
  (
    umask 077
    cd "$d" || exit 1
    openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
    openssl req -x509 -new -key ca.key -sha256 -days 3650 -subj "/CN=rampart-lab-node-ca" -out ca.crt 2>/dev/null
    cert() { # name subject [server SANs]
      openssl ecparam -name prime256v1 -genkey -noout -out "$1.key" 2>/dev/null
      openssl req -new -key "$1.key" -subj "$2" -out "$1.csr" 2>/dev/null
      if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$3" >"$1.ext"
      else printf 'extendedKeyUsage=clientAuth\n' >"$1.ext"; fi
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
        -extfile "$1.ext" -out "$1.crt" 2>/dev/null
    }
    # 127.0.0.1: nsforward on the host and clients inside the namespace;
    # 10.96.0.1: the `kubernetes` Service, for pods.
    cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:$NODE_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    cert admin "/O=system:masters/CN=rampart-lab-node-admin"
    cert controller-manager "/CN=system:kube-controller-manager"
    cert scheduler "/CN=system:kube-scheduler"
    cert kubelet "/O=system:nodes/CN=system:node:$NODE_NAME"
    cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
    cert kube-proxy "/CN=system:kube-proxy"
    cert kube-router "/CN=system:kube-router"
    openssl ecparam -name prime256v1 -genkey -noout -out sa.key 2>/dev/null
    openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext
    chmod 600 ./*.key
  )
  touch "$d/.complete"
}

node_kubeconfig() { # user file server
  local d=$NODE_DIR/pki
  (umask 077; : >"$2")
  cat >"$2" <<KCFG
apiVersion: v1
kind: Config
clusters:
- name: rampart-lab-node
  cluster:
    server: $3
    certificate-authority: $d/ca.crt
users:
- name: $1
  user:
    client-certificate: $d/$1.crt
    client-key: $d/$1.key
contexts:
- name: rampart-lab-node
  context: {cluster: rampart-lab-node, user: $1}
current-context: rampart-lab-node
KCFG
  chmod 600 "$2"
}
