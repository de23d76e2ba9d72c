package auditor

import (
	"slices"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

// RefreshKinds are the kinds Rampart's components declare that the live
// inventory does not list. A Pulumi refresh (rampart check --refresh,
// rampart drift) GETs each declared object, so the auditor may get (not
// list) these. Secrets are left out on purpose: the auditor never reads
// one, so a stack that declares Secrets (OpenBao's seal, Loki's S3 keys,
// the ACME EAB key) refreshes them only with the deployer's identity.
// Objects a helm.v4.Chart renders are left out too: their kinds are the
// chart's, not Rampart's. stacks' tests fail when a component starts to
// declare a kind missing from both lists.
var RefreshKinds = []inventorykinds.Kind{
	{Group: "", Version: "v1", Resource: "resourcequotas", Kind: "ResourceQuota", Namespaced: true},
	{Group: "", Version: "v1", Resource: "limitranges", Kind: "LimitRange", Namespaced: true},
	{Group: "", Version: "v1", Resource: "persistentvolumeclaims", Kind: "PersistentVolumeClaim", Namespaced: true},
	{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Kind: "Ingress", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways", Kind: "Gateway", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes", Kind: "HTTPRoute", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "referencegrants", Kind: "ReferenceGrant", Namespaced: true},
	{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses", Kind: "GatewayClass"},
	{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "clienttrafficpolicies", Kind: "ClientTrafficPolicy", Namespaced: true},
	{Group: "cert-manager.io", Version: "v1", Resource: "issuers", Kind: "Issuer", Namespaced: true},
	{Group: "cert-manager.io", Version: "v1", Resource: "clusterissuers", Kind: "ClusterIssuer"},
	{Group: "k8s.keycloak.org", Version: "v2alpha1", Resource: "keycloaks", Kind: "Keycloak", Namespaced: true},
}

// Rule is one RBAC policy rule in plain Go.
type Rule struct {
	APIGroups     []string
	Resources     []string
	ResourceNames []string
	Verbs         []string
	// NonResourceURLs are paths such as /readyz (with Verbs only).
	NonResourceURLs []string
}

// Read verbs: the inventory lists each kind once per call (no watch: it
// keeps no informer), and a refresh gets each declared object by name.
var (
	listVerbs = []string{"get", "list"}
	getVerbs  = []string{"get"}
)

// AuditorRules are the auditor's rules for one scope (namespaced: the
// role bound in each managed namespace; otherwise the cluster-wide one),
// derived from inventorykinds.All (get, list) and RefreshKinds (get), one
// rule per API group and verb set, in a stable order. An inventory kind
// the inventory lists across every namespace (inventorykinds.Kind.
// ListedClusterWide: RoleBindings) is granted in the cluster-wide role
// only, which also covers a refresh's get in the managed namespaces.
func AuditorRules(namespaced bool) []Rule {
	verbs := map[[2]string][]string{} // {group, resource} → verbs
	add := func(kinds []inventorykinds.Kind, v []string, clusterWide func(inventorykinds.Kind) bool) {
		for _, k := range kinds {
			if clusterWide(k) == namespaced {
				continue
			}
			key := [2]string{k.Group, k.Resource}
			for _, verb := range v {
				if !slices.Contains(verbs[key], verb) {
					verbs[key] = append(verbs[key], verb)
				}
			}
		}
	}
	add(inventorykinds.All, listVerbs, inventorykinds.Kind.ListedClusterWide)
	add(RefreshKinds, getVerbs, func(k inventorykinds.Kind) bool { return !k.Namespaced })
	type ruleKey struct{ group, verbs string }
	resources := map[ruleKey][]string{}
	for key, v := range verbs {
		sort.Strings(v)
		rk := ruleKey{key[0], strings.Join(v, ",")}
		resources[rk] = append(resources[rk], key[1])
	}
	keys := make([]ruleKey, 0, len(resources))
	for k := range resources {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].group != keys[j].group {
			return keys[i].group < keys[j].group
		}
		return keys[i].verbs > keys[j].verbs // get,list before get
	})
	out := make([]Rule, 0, len(keys))
	for _, k := range keys {
		res := resources[k]
		sort.Strings(res)
		out = append(out, Rule{APIGroups: []string{k.group}, Resources: res, Verbs: strings.Split(k.verbs, ",")})
	}
	return out
}
