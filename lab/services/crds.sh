#!/usr/bin/env bash
# Lab service "crds": the CustomResourceDefinitions Rampart's objects need,
# installed into the lab's kube-apiserver so a real `pulumi up` meets live
# OpenAPI and CEL validation: the Gateway API standard channel, Envoy
# Gateway's CRDs and cert-manager's. Each comes from its Go module at the
# version go.mod pins (the module cache serves them; no chart, no download
# from GitHub). Server-side apply, so re-running changes nothing; a stamp of
# the versions makes a warm `up` skip the apply entirely.

CRDS_DIR=$LAB_STATE/crds
CRDS_MODULES=(
  "sigs.k8s.io/gateway-api@v1.6.3 config/crd/standard"
  "github.com/envoyproxy/gateway@v1.9.1 charts/gateway-helm/charts/crds/crds/generated"
  "github.com/cert-manager/cert-manager@v1.21.2 deploy/crds"
)

crds_kubectl() { "$LAB_BIN/kubectl" --kubeconfig "$KUBE_DIR/admin.kubeconfig" "$@"; }

crds_stamp() { printf '%s\n' "${CRDS_MODULES[@]}" | sha256sum | cut -c1-16; }

# crds_files lists the manifests of every module, downloading a module into
# Go's module cache if it is not there yet (`go mod download` prints its Dir).
crds_files() {
  local entry mod sub dir tmp
  tmp=$(mktemp -d)
  for entry in "${CRDS_MODULES[@]}"; do
    mod=${entry% *}; sub=${entry#* }
    dir=$(cd "$tmp" && GOFLAGS= go mod download -json "$mod" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
    [ -n "$dir" ] && [ -d "$dir/$sub" ] || { rm -rf "$tmp"; lab_die "crds: $mod has no $sub (go mod download -json $mod)"; }
    find "$dir/$sub" -maxdepth 1 -name '*.yaml' | LC_ALL=C sort
  done
  rm -rf "$tmp"
}

# crds_names lists the CRD names in the manifests (the safe-upgrade
# ValidatingAdmissionPolicy of the Gateway API is applied too, but is not a CRD).
crds_names() { cat "$CRDS_DIR/names" 2>/dev/null; }

crds_start() {
  kube_healthy || lab_die "crds: the kube service is not healthy"
  mkdir -p "$CRDS_DIR"
  local files=() f out
  # Not a process substitution: a failed download must stop here, not only
  # in a subshell while a partial set is applied and recorded.
  out=$(crds_files) || lab_die "crds: could not collect the CRD manifests"
  while IFS= read -r f; do [ -n "$f" ] && files+=("$f"); done <<<"$out"
  [ ${#files[@]} -gt 0 ] || lab_die "crds: no manifests found"
  lab_log "crds: applying ${#files[@]} manifests (server-side)"
  local args=() names
  for f in "${files[@]}"; do args+=(-f "$f"); done
  crds_kubectl apply --server-side --force-conflicts --field-manager=rampart-lab "${args[@]}" >/dev/null ||
    lab_die "crds: kubectl apply failed"
  names=$(for f in "${files[@]}"; do
    awk '/^kind: CustomResourceDefinition/{c=1} c && /^  name: /{print $2; c=0}' "$f"
  done | LC_ALL=C sort -u)
  printf '%s\n' "$names" >"$CRDS_DIR/names"
  # shellcheck disable=SC2046
  crds_kubectl wait --for=condition=Established --timeout=60s $(sed 's|^|crd/|' "$CRDS_DIR/names") >/dev/null ||
    lab_die "crds: not Established"
  crds_stamp >"$CRDS_DIR/stamp"
  lab_env_set RAMPART_LAB_CRDS "$(tr '\n' ' ' <"$CRDS_DIR/names")"
}

# crds_healthy: the versions are the ones applied, and every CRD is
# Established on the running API server (a fresh etcd has none).
crds_healthy() {
  [ "$(cat "$CRDS_DIR/stamp" 2>/dev/null)" = "$(crds_stamp)" ] || return 1
  [ -s "$CRDS_DIR/names" ] || return 1
  kube_healthy || return 1
  # shellcheck disable=SC2046
  crds_kubectl wait --for=condition=Established --timeout=5s $(sed 's|^|crd/|' "$CRDS_DIR/names") >/dev/null 2>&1
}

# crds_stop: the CRDs live in the API server's etcd; nothing runs.
crds_stop() { :; }
