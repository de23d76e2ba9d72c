#!/usr/bin/env bash
# The lab's stand-in for cert-manager's controller, which cannot be had here
# (none of cert-manager's cmd modules is served; see the README's "what runs
# where"): it does for the Gateways in one namespace what cert-manager's
# gateway-shim and its Vault issuer do in a cluster, against the lab's real
# OpenBao 2.6.2.
#
#   lab/node/gateway-certs.sh KUBECONFIG NAMESPACE
#
# 1. A PKI mount in the lab's OpenBao (lab-ingress-pki/, made once): a root
#    CA "Rampart lab ingress root" (EC P-256) and a role "ingress" that
#    signs server certificates for exactly the Gateways' listener hosts
#    (no subdomains, no IPs, no client auth), at most 30 days.
# 2. For every HTTPS listener of every Gateway in NAMESPACE: a new P-256 key
#    and CSR made here (the key never leaves this machine), signed through
#    `lab-ingress-pki/sign/ingress`, written to the listener's
#    certificateRefs Secret (kubernetes.io/tls; tls.crt is the leaf, ca.crt
#    the root), as cert-manager would. Renewal: run it again.
# The root's PEM is written to $LAB_STATE/node/ingress-ca.crt for clients;
# that path is the one line on stdout (progress goes to stderr).
set -euo pipefail
# shellcheck source=SCRIPTDIR/../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
[ $# -eq 2 ] || lab_die "usage: lab/node/gateway-certs.sh KUBECONFIG NAMESPACE"
kubeconfig=$1 ns=$2
mount=lab-ingress-pki role=ingress
set +u; . "$LAB_ENV"; set -u
export VAULT_ADDR VAULT_CACERT VAULT_TOKEN
bao=$(bash "$LAB_DIR/openbao/install.sh")
kc() { "$LAB_BIN/kubectl" --kubeconfig "$kubeconfig" "$@"; }
field() { python3 -c 'import json, sys; print(json.load(sys.stdin)["data"][sys.argv[1]])' "$1"; }

# Every HTTPS listener with a certificate Secret: "host secret" per line.
listeners=$(kc -n "$ns" get gateways.gateway.networking.k8s.io -o json | python3 -c '
import json, sys
for gw in json.load(sys.stdin)["items"]:
    for l in gw["spec"]["listeners"]:
        refs = (l.get("tls") or {}).get("certificateRefs") or []
        if l.get("protocol") == "HTTPS" and l.get("hostname") and refs:
            print(l["hostname"], refs[0]["name"])
')
[ -n "$listeners" ] || lab_die "gateway-certs: no HTTPS listener with a certificate Secret in namespace $ns"

if ! "$bao" secrets list -format=json | python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] + "/" in json.load(sys.stdin) else 1)' "$mount"; then
  "$bao" secrets enable -path="$mount" -max-lease-ttl=8760h pki >/dev/null
  "$bao" write -format=json "$mount/root/generate/internal" common_name="Rampart lab ingress root" \
    key_type=ec key_bits=256 ttl=8760h >/dev/null
  lab_log "gateway-certs: made the PKI mount $mount/ in the lab's OpenBao" >&2
fi
hosts=$(awk '{print $1}' <<<"$listeners" | sort -u | paste -sd, -)
"$bao" write "$mount/roles/$role" allowed_domains="$hosts" allow_bare_domains=true allow_subdomains=false \
  allow_glob_domains=false allow_ip_sans=false server_flag=true client_flag=false key_type=any max_ttl=720h >/dev/null
mkdir -p "$LAB_STATE/node"
"$bao" read -field=certificate "$mount/cert/ca" >"$LAB_STATE/node/ingress-ca.crt"

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
while read -r host secret; do
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$host" \
    -addext "subjectAltName=DNS:$host" -keyout "$work/tls.key" -out "$work/tls.csr" 2>/dev/null
  "$bao" write -format=json "$mount/sign/$role" csr=@"$work/tls.csr" common_name="$host" ttl=720h >"$work/signed.json"
  field certificate <"$work/signed.json" >"$work/tls.crt"
  kc -n "$ns" create secret tls "$secret" --cert "$work/tls.crt" --key "$work/tls.key" --dry-run=client -o json |
    python3 -c '
import base64, json, sys
s = json.load(sys.stdin)
s["data"]["ca.crt"] = base64.b64encode(open(sys.argv[1], "rb").read()).decode()
s["metadata"]["annotations"] = {"rampart.dev/issued-by": sys.argv[2]}
print(json.dumps(s))' "$LAB_STATE/node/ingress-ca.crt" "lab OpenBao $mount/sign/$role (stand-in for cert-manager)" |
    kc apply -f - >/dev/null
  lab_log "gateway-certs: $ns/$secret for $host signed by $mount/sign/$role" >&2
done <<<"$listeners"
echo "$LAB_STATE/node/ingress-ca.crt"
