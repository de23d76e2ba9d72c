package rbac

import "github.com/rampart-dev/rampart/helpers/identity"

// Rule is one RBAC policy rule in plain Go.
type Rule struct {
	APIGroups []string
	Resources []string
	Verbs     []string
}

// Verb sets. No role gets "*", escalate, bind or impersonate: the API
// server then lets a holder write a binding only to a role whose every
// right it holds (RBAC escalation prevention).
var (
	readVerbs  = []string{"get", "list", "watch"}
	writeVerbs = []string{"create", "update", "patch", "delete"}
	allVerbs   = []string{"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"}
	// streamVerbs open an exec or port-forward: a SPDY request is a create,
	// a WebSocket one a get.
	streamVerbs = []string{"create", "get"}
	scaleVerbs  = []string{"get", "update", "patch"}
	// secretDropVerbs put a Secret in place and take it away: create
	// answers with what the caller sent and delete with a Status, while an
	// update or patch answers with the whole stored object (a patch of {}
	// reads any Secret), so neither is granted to a write-only role.
	secretDropVerbs = []string{"create", "delete"}
)

// API groups.
const (
	core       = ""
	apps       = "apps"
	batch      = "batch"
	networking = "networking.k8s.io"
	gatewayAPI = "gateway.networking.k8s.io"
	rbacAPI    = "rbac.authorization.k8s.io"
)

// viewerRules read a tenant's workloads and their surroundings: no
// Secret (a viewer reads no credential), no pods/exec or port-forward.
func viewerRules() []Rule {
	return []Rule{
		{[]string{core}, []string{"configmaps", "endpoints", "events", "persistentvolumeclaims", "pods", "pods/log", "services"}, readVerbs},
		{[]string{apps}, []string{"daemonsets", "deployments", "replicasets", "statefulsets"}, readVerbs},
		{[]string{batch}, []string{"cronjobs", "jobs"}, readVerbs},
		{[]string{"discovery.k8s.io"}, []string{"endpointslices"}, readVerbs},
		{[]string{"events.k8s.io"}, []string{"events"}, readVerbs},
		{[]string{networking}, []string{"ingresses", "networkpolicies"}, readVerbs},
		{[]string{gatewayAPI}, []string{"grpcroutes", "httproutes"}, readVerbs},
	}
}

// devopsRules are the viewer's plus deploying and operating workloads.
// Secrets are write-only (create and delete; replacing one is delete then
// create): a pipeline can supply a workload's credential without anyone
// reading it back through the API (a pod a devops holder
// creates can still mount any Secret of the namespace: the namespace is
// the boundary, OpenBao holds what matters). Not granted: pods/exec and
// port-forward (tenant-admin), ReplicaSets (their Deployments own them),
// Ingresses (an Ingress claims any host on the shared controller; hosts
// come from rampart:ingress.routes), NetworkPolicies (tenant isolation is
// a platform control), ResourceQuotas and LimitRanges, ServiceAccounts,
// RBAC objects and the Namespace itself.
func devopsRules() []Rule {
	return append(viewerRules(),
		Rule{[]string{core}, []string{"configmaps", "persistentvolumeclaims", "pods", "services"}, writeVerbs},
		Rule{[]string{core}, []string{"secrets"}, secretDropVerbs},
		Rule{[]string{apps}, []string{"daemonsets", "deployments", "statefulsets"}, writeVerbs},
		Rule{[]string{apps}, []string{"deployments/scale", "statefulsets/scale"}, scaleVerbs},
		Rule{[]string{batch}, []string{"cronjobs", "jobs"}, writeVerbs},
		Rule{[]string{gatewayAPI}, []string{"grpcroutes", "httproutes"}, writeVerbs},
	)
}

// tenantAdminRules are devops' plus reading Secrets, exec and
// port-forward into the tenant's pods (the realm asks a hardware key of
// this role), the tenant's ServiceAccounts, and reading its quota and
// limits. Still no RBAC object, no Namespace, no quota or limit write, no
// NetworkPolicy write.
func tenantAdminRules() []Rule {
	return append(devopsRules(),
		Rule{[]string{core}, []string{"secrets"}, readVerbs},
		Rule{[]string{core}, []string{"pods/exec", "pods/portforward"}, streamVerbs},
		Rule{[]string{core}, []string{"serviceaccounts"}, append(append([]string(nil), readVerbs...), writeVerbs...)},
		Rule{[]string{core}, []string{"limitranges", "resourcequotas"}, readVerbs},
	)
}

// platformAdminRules operate the platform cluster-wide without being
// cluster-admin. Every resource is named: it writes workloads, Secrets,
// Namespaces, quotas, network policies, routes and gateways, certificates
// and issuers, CRDs, admission configurations and RBAC objects (without
// escalate or bind, so it can bind only rights it holds itself). It cannot
// impersonate, reach the kubelet through nodes/proxy, request tokens
// through serviceaccounts/token (it can still create a token Secret for a
// ServiceAccount: it writes Secrets), approve CertificateSigningRequests,
// or do anything on a resource
// not listed here (cluster-admin's "*"). It is not a containment boundary
// against its holder: one who runs pods in kube-system or reads every
// Secret can reach the rights of the ServiceAccounts there; what it
// removes is the standing superuser, so each such step is an audited,
// visible write. Break-glass (BreakGlass) is the typed way to cluster-admin.
func platformAdminRules() []Rule {
	return []Rule{
		{[]string{core}, []string{"configmaps", "endpoints", "events", "limitranges", "namespaces", "persistentvolumeclaims", "persistentvolumes",
			"pods", "pods/attach", "pods/eviction", "pods/exec", "pods/log", "pods/portforward", "replicationcontrollers", "resourcequotas",
			"secrets", "serviceaccounts", "services"}, allVerbs},
		{[]string{core}, []string{"nodes"}, []string{"get", "list", "watch", "patch"}},
		{[]string{apps}, []string{"controllerrevisions", "daemonsets", "deployments", "deployments/scale", "replicasets", "replicasets/scale",
			"statefulsets", "statefulsets/scale"}, allVerbs},
		{[]string{"autoscaling"}, []string{"horizontalpodautoscalers"}, allVerbs},
		{[]string{batch}, []string{"cronjobs", "jobs"}, allVerbs},
		{[]string{"policy"}, []string{"poddisruptionbudgets"}, allVerbs},
		{[]string{"discovery.k8s.io"}, []string{"endpointslices"}, allVerbs},
		{[]string{"events.k8s.io"}, []string{"events"}, readVerbs},
		{[]string{networking}, []string{"ingressclasses", "ingresses", "networkpolicies"}, allVerbs},
		{[]string{gatewayAPI}, []string{"gatewayclasses", "gateways", "grpcroutes", "httproutes", "referencegrants"}, allVerbs},
		{[]string{"gateway.envoyproxy.io"}, []string{"clienttrafficpolicies"}, allVerbs},
		{[]string{"cert-manager.io"}, []string{"certificaterequests", "certificates", "clusterissuers", "issuers"}, allVerbs},
		{[]string{"acme.cert-manager.io"}, []string{"challenges", "orders"}, allVerbs},
		{[]string{rbacAPI}, []string{"clusterrolebindings", "clusterroles", "rolebindings", "roles"}, allVerbs},
		{[]string{"apiextensions.k8s.io"}, []string{"customresourcedefinitions"}, allVerbs},
		{[]string{"admissionregistration.k8s.io"}, []string{"mutatingwebhookconfigurations", "validatingadmissionpolicies",
			"validatingadmissionpolicybindings", "validatingwebhookconfigurations"}, allVerbs},
		{[]string{"storage.k8s.io"}, []string{"storageclasses"}, readVerbs},
		{[]string{"scheduling.k8s.io"}, []string{"priorityclasses"}, readVerbs},
	}
}

// Rules are the rules of role r's ClusterRole (nil for an unknown role).
func Rules(r identity.Role) []Rule {
	switch r {
	case identity.Viewer:
		return viewerRules()
	case identity.DevOps:
		return devopsRules()
	case identity.TenantAdmin:
		return tenantAdminRules()
	case identity.PlatformAdmin:
		return platformAdminRules()
	}
	return nil
}
