#!/usr/bin/env bash
# The files the lab node runs on (sourced by lab/services/node.sh):
# containerd's config, the CNI bridge, the kubelet's config, and the
# manifests applied at start (kube-router's RBAC, CoreDNS).

# node_write_configs: containerd, CNI, the resolver and the kubelet config
# under $NODE_DIR (rewritten at every start: they hold no state).
node_write_configs() {
  local d=$NODE_DIR
  mkdir -p "$d/containerd" "$d/cni/net.d" "$d/cni/ipam" "$d/kubelet" "$d/pod-logs" "$d/images"
  cat >"$d/containerd/config.toml" <<TOML
version = 2
root = "$d/containerd/root"
state = "$d/containerd/state"
[grpc]
  address = "$NODE_SOCK"
[ttrpc]
  address = "$NODE_SOCK.ttrpc"
[debug]
  address = "$d/containerd/debug.sock"
[metrics]
  address = ""
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$NODE_IMAGE"
  enable_selinux = false
  # This VM's root lacks CAP_SYS_RESOURCE: a negative oom_score_adj (kubelet
  # asks -998 for the sandbox) makes runc init fail, so clamp it.
  restrict_oom_score_adj = true
  # Pod network namespaces under our state, not in the machine's /run/netns.
  netns_mounts_under_state_dir = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$d/cni/net.d"
TOML
  cat >"$d/cni/net.d/10-bridge.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "rampart-node-pods", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "$NODE_POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
            "dataDir": "$d/cni/ipam"}},
  {"type": "portmap", "capabilities": {"portMappings": true}},
  {"type": "loopback"}]}
JSON
  # No upstream DNS: pods with dnsPolicy Default (CoreDNS) get a resolver
  # that answers nothing, so no name leaves the node.
  echo "nameserver $NODE_GW_IP" >"$d/resolv.conf"
  cat >"$d/kubelet-config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $d/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
cgroupRoot: /$NODE_CGROUP
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://$NODE_SOCK
address: $NODE_IP
port: 10250
healthzBindAddress: 127.0.0.1
healthzPort: 10248
readOnlyPort: 0
clusterDomain: cluster.local
clusterDNS: [$NODE_DNS_IP]
resolvConf: $d/resolv.conf
podLogsDir: $d/pod-logs
serializeImagePulls: false
registerNode: true
maxPods: 60
# Absolute floors: the node shares the machine's disk with the Go build and
# module caches, and 2% of a large disk (5 GB here) set the node under disk
# pressure, refusing the probe pods, while gigabytes were still free.
evictionHard: {memory.available: "100Mi", nodefs.available: "512Mi", imagefs.available: "512Mi"}
imageGCHighThresholdPercent: 99
imageGCLowThresholdPercent: 98
YAML
}

# node_kube_router_rbac: its read-only ClusterRole and binding.
node_kube_router_rbac() {
  cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:kube-router"}
rules:
- apiGroups: [""]
  resources: [namespaces, pods, services, endpoints, nodes]
  verbs: [get, list, watch]
- apiGroups: [networking.k8s.io]
  resources: [networkpolicies]
  verbs: [get, list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:kube-router"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:kube-router"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "system:kube-router"}]
YAML
}

# node_coredns_manifest: CoreDNS as one pod (no scheduler: nodeName set), its
# RBAC, Corefile and the kube-dns Service at the kubelet's clusterDNS address.
node_coredns_manifest() {
  cat <<YAML
apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns"}
rules:
- apiGroups: [""]
  resources: [endpoints, services, pods, namespaces]
  verbs: [list, watch]
- apiGroups: [discovery.k8s.io]
  resources: [endpointslices]
  verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns"}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  # No forward plugin: nothing upstream, names outside cluster.local fail.
  Corefile: |
    .:53 {
        errors
        health :8080
        ready :8181
        kubernetes cluster.local in-addr.arpa ip6.arpa {
            pods insecure
            fallthrough in-addr.arpa ip6.arpa
            ttl 30
        }
        cache 30
        loop
        reload
        loadbalance
    }
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  clusterIP: $NODE_DNS_IP
  selector: {k8s-app: kube-dns}
  ports:
  - {name: dns, port: 53, protocol: UDP, targetPort: 53}
  - {name: dns-tcp, port: 53, protocol: TCP, targetPort: 53}
---
apiVersion: v1
kind: Pod
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns}
spec:
  nodeName: $NODE_NAME
  serviceAccountName: coredns
  dnsPolicy: Default
  priorityClassName: system-cluster-critical
  containers:
  - name: coredns
    image: $NODE_COREDNS_IMAGE
    imagePullPolicy: Never
    args: [-conf, /etc/coredns/Corefile]
    ports:
    - {name: dns, containerPort: 53, protocol: UDP}
    - {name: dns-tcp, containerPort: 53, protocol: TCP}
    readinessProbe:
      httpGet: {path: /ready, port: 8181}
      periodSeconds: 2
    securityContext:
      allowPrivilegeEscalation: false
      readOnlyRootFilesystem: true
      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
    volumeMounts: [{name: config, mountPath: /etc/coredns, readOnly: true}]
  volumes:
  - name: config
    configMap: {name: coredns}
YAML
}
