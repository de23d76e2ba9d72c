package inventory

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

// live builds a listed Object the way objectFrom would.
type live struct {
	group, kind, ns, name, uid, manager string
	labels                              map[string]string
	owners                              []metav1.OwnerReference
}

func (l live) object() Object {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	u.SetName(l.name)
	u.SetNamespace(l.ns)
	u.SetUID(types.UID(l.uid))
	u.SetLabels(l.labels)
	u.SetOwnerReferences(l.owners)
	return Object{
		Ref:     Ref{Group: l.group, Kind: l.kind, Namespace: l.ns, Name: l.name},
		Object:  u.Object,
		Manager: l.manager,
		Created: time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC),
	}
}

func controllerRef(apiVersion, kind, name, uid string) metav1.OwnerReference {
	yes := true
	return metav1.OwnerReference{APIVersion: apiVersion, Kind: kind, Name: name, UID: types.UID(uid), Controller: &yes}
}

const (
	nsA    = "tenant-a"
	urnDep = urnPrefix + "kubernetes:apps/v1:Deployment::web"
)

var (
	webDeploy = live{group: "apps", kind: "Deployment", ns: nsA, name: "web", uid: "u-dep", manager: "pulumi-kubernetes-1a2b"}
	webRS     = live{group: "apps", kind: "ReplicaSet", ns: nsA, name: "web-7d9f", uid: "u-rs", manager: "kube-controller-manager",
		owners: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", "web", "u-dep")}}
	webPod = live{kind: "Pod", ns: nsA, name: "web-7d9f-x2", uid: "u-pod", manager: "kube-controller-manager",
		owners: []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", "web-7d9f", "u-rs")}}

	rogueDeploy = live{group: "apps", kind: "Deployment", ns: nsA, name: "miner", uid: "u-rogue", manager: "kubectl-create"}
	rogueRS     = live{group: "apps", kind: "ReplicaSet", ns: nsA, name: "miner-5c", uid: "u-rogue-rs", manager: "kube-controller-manager",
		owners: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", "miner", "u-rogue")}}

	bootstrapLabels = map[string]string{"kubernetes.io/bootstrapping": "rbac-defaults"}
	realAdmin       = live{group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin", uid: "u-admin", manager: "kube-apiserver", labels: bootstrapLabels}
	forgedAdmin     = live{group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin-too", uid: "u-forged", manager: "kubectl-create", labels: bootstrapLabels}
	defaultSA       = live{kind: "ServiceAccount", ns: nsA, name: "default", uid: "u-sa"}
	allowAll        = live{group: "networking.k8s.io", kind: "NetworkPolicy", ns: nsA, name: "allow-all", uid: "u-np", manager: "kubectl-client-side-apply"}
)

func declaredState() State {
	return State{
		Declared: map[Ref]string{
			webDeploy.object().Ref: urnDep,
			{Kind: "ServiceAccount", Namespace: nsA, Name: "default"}: urnPrefix + "kubernetes:core/v1:ServiceAccount::tenant-a-default-sa",
		},
		Namespaces: []string{nsA},
	}
}

// classifyOne classifies objs and returns the one named name.
func classifyOne(t *testing.T, objs []live, st State, rules []Controller, name string) Object {
	t.Helper()
	var in []Object
	for _, l := range objs {
		in = append(in, l.object())
	}
	for _, o := range Classify(in, st, rules) {
		if o.Ref.Name == name {
			return o
		}
	}
	t.Fatalf("%s not in the classified objects", name)
	return Object{}
}

func TestClassify(t *testing.T) {
	all := []live{webDeploy, webRS, webPod, rogueDeploy, rogueRS, realAdmin, forgedAdmin, defaultSA, allowAll}
	depRef := webDeploy.object().Ref
	rogueRef := rogueDeploy.object().Ref
	for _, tc := range []struct {
		test        string
		st          State
		name        string
		origin      Origin
		owner       *Ref
		ownerOrigin Origin
		urn, rule   string
		unmanaged   bool
	}{
		{test: "DeclaredObjectCarriesItsURN", st: declaredState(), name: "web", origin: Declared, urn: urnDep},
		{test: "ReplicaSetOfDeclaredDeploymentIsOwned", st: declaredState(), name: "web-7d9f",
			origin: Owned, owner: &depRef, ownerOrigin: Declared, urn: urnDep},
		{test: "PodFollowsTheChainToTheDeclaredDeployment", st: declaredState(), name: "web-7d9f-x2",
			origin: Owned, owner: &depRef, ownerOrigin: Declared, urn: urnDep},
		{test: "ReplicaSetOfUnmanagedDeploymentIsUnmanaged", st: declaredState(), name: "miner-5c",
			origin: Owned, owner: &rogueRef, ownerOrigin: Unmanaged, unmanaged: true},
		{test: "BootstrapClusterRoleIsKnownController", st: declaredState(), name: "admin",
			origin: KnownController, rule: RuleBootstrapRBAC},
		{test: "ForgedBootstrapLabelIsUnmanaged", st: declaredState(), name: "admin-too", origin: Unmanaged, unmanaged: true},
		{test: "DeclaredDefaultServiceAccountWinsOverTheRule", st: declaredState(), name: "default",
			origin: Declared, urn: urnPrefix + "kubernetes:core/v1:ServiceAccount::tenant-a-default-sa"},
		{test: "UndeclaredDefaultServiceAccountIsKnownController", st: State{}, name: "default",
			origin: KnownController, rule: RuleDefaultSA},
		{test: "OutOfBandNetworkPolicyIsUnmanaged", st: declaredState(), name: "allow-all", origin: Unmanaged, unmanaged: true},
		// Without the state the same chain has nothing to vouch for it.
		{test: "PodOfUndeclaredDeploymentIsUnmanaged", st: State{}, name: "web-7d9f-x2",
			origin: Owned, owner: &depRef, ownerOrigin: Unmanaged, unmanaged: true},
	} {
		t.Run(tc.test, func(t *testing.T) {
			o := classifyOne(t, all, tc.st, DefaultControllers(), tc.name)
			if o.Origin != tc.origin || o.OwnerOrigin != tc.ownerOrigin || o.URN != tc.urn || o.Rule != tc.rule {
				t.Errorf("got origin=%q ownerOrigin=%q urn=%q rule=%q, want %q %q %q %q",
					o.Origin, o.OwnerOrigin, o.URN, o.Rule, tc.origin, tc.ownerOrigin, tc.urn, tc.rule)
			}
			switch {
			case tc.owner == nil && o.Owner != nil:
				t.Errorf("owner = %v, want none", *o.Owner)
			case tc.owner != nil && (o.Owner == nil || *o.Owner != *tc.owner):
				t.Errorf("owner = %v, want %v", o.Owner, *tc.owner)
			}
			if o.IsUnmanaged() != tc.unmanaged {
				t.Errorf("IsUnmanaged = %v, want %v", o.IsUnmanaged(), tc.unmanaged)
			}
		})
	}
}

func TestClassify_ForgedBootstrapLabelIsUnmanaged(t *testing.T) {
	if o := classifyOne(t, []live{forgedAdmin}, State{}, DefaultControllers(), "admin-too"); o.Origin != Unmanaged {
		t.Fatalf("forged label with manager kubectl-create: origin %q, want unmanaged", o.Origin)
	}
	// The manager check is what catches it: the same rule without it
	// vouches for the forgery.
	labelOnly := DefaultControllers()
	labelOnly[0].Managers = nil
	if o := classifyOne(t, []live{forgedAdmin}, State{}, labelOnly, "admin-too"); o.Origin != KnownController {
		t.Fatalf("label-only rule: origin %q, want known-controller (else this test cannot fail)", o.Origin)
	}
}

func TestClassify_BootstrapManagerWithoutLabelIsUnmanaged(t *testing.T) {
	noLabel := realAdmin
	noLabel.labels = nil
	if o := classifyOne(t, []live{noLabel}, State{}, DefaultControllers(), "admin"); o.Origin != Unmanaged {
		t.Fatalf("manager kube-apiserver without the bootstrap label: origin %q, want unmanaged", o.Origin)
	}
}

func TestClassify_DefaultServiceAccountEditedByKubectlIsUnmanaged(t *testing.T) {
	edited := defaultSA
	edited.manager = "kubectl-edit"
	if o := classifyOne(t, []live{edited}, State{}, DefaultControllers(), "default"); o.Origin != Unmanaged {
		t.Fatalf("default SA first written by kubectl-edit: origin %q, want unmanaged", o.Origin)
	}
}

func TestClassify_FirstMatchingRuleWins(t *testing.T) {
	wide := Controller{Name: "any ClusterRole", Kinds: []string{"ClusterRole"}, Reason: "test"}
	rules := append(DefaultControllers(), wide)
	if o := classifyOne(t, []live{realAdmin}, State{}, rules, "admin"); o.Rule != RuleBootstrapRBAC {
		t.Errorf("rule = %q, want %q (it comes first)", o.Rule, RuleBootstrapRBAC)
	}
	swapped := append([]Controller{wide}, DefaultControllers()...)
	if o := classifyOne(t, []live{realAdmin}, State{}, swapped, "admin"); o.Rule != wide.Name {
		t.Errorf("rules swapped: rule = %q, want %q", o.Rule, wide.Name)
	}
}

func TestClassify_OwnedByKnownControllerRootCarriesTheRule(t *testing.T) {
	proxy := live{group: "apps", kind: "Deployment", ns: nsA, name: "envoy-gw", uid: "u-envoy", manager: "envoy-gateway",
		labels: map[string]string{"app.kubernetes.io/managed-by": "envoy-gateway"}}
	rs := live{group: "apps", kind: "ReplicaSet", ns: nsA, name: "envoy-gw-1", uid: "u-envoy-rs", manager: "kube-controller-manager",
		labels: proxy.labels, owners: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", "envoy-gw", "u-envoy")}}
	o := classifyOne(t, []live{proxy, rs}, State{}, DefaultControllers(), "envoy-gw-1")
	if o.Origin != Owned || o.OwnerOrigin != KnownController || o.Rule != RuleEnvoyGatewayProxy || o.IsUnmanaged() {
		t.Errorf("got origin=%q ownerOrigin=%q rule=%q, want owned by a known controller (%s)", o.Origin, o.OwnerOrigin, o.Rule, RuleEnvoyGatewayProxy)
	}
	// The ReplicaSet matches the rule's label but not its manager or kinds:
	// only the ownership makes it known.
	rs.owners = nil
	if o := classifyOne(t, []live{rs}, State{}, DefaultControllers(), "envoy-gw-1"); o.Origin != Unmanaged {
		t.Errorf("ReplicaSet without owner: origin %q, want unmanaged", o.Origin)
	}
}

// TestClassify_EnvoyProxyFallsToItsRuleNotItsGatewayClass: Envoy
// Gateway's proxies carry a non-controller reference to their
// GatewayClass. Such a reference is not ownership (anyone may write one),
// so the proxy is classified by itself: the typed Envoy Gateway rule
// (earliest field manager and label) makes it known, and without the
// label it is unmanaged even though the GatewayClass is declared. (This
// replaces TestClassify_UnlistedOwnerIsLookedUpInTheState, which asserted
// that the reference made it owned by the declared GatewayClass.)
func TestClassify_EnvoyProxyFallsToItsRuleNotItsGatewayClass(t *testing.T) {
	toClass := []metav1.OwnerReference{{APIVersion: "gateway.networking.k8s.io/v1", Kind: "GatewayClass", Name: "tenant-a-envoy", UID: "u-gc"}}
	sa := live{kind: "ServiceAccount", ns: nsA, name: "envoy-gw", uid: "u-envoy-sa", manager: "envoy-gateway",
		labels: map[string]string{"app.kubernetes.io/managed-by": "envoy-gateway"}, owners: toClass}
	classRef := Ref{Group: "gateway.networking.k8s.io", Kind: "GatewayClass", Name: "tenant-a-envoy"}
	st := State{Declared: map[Ref]string{classRef: urnPrefix + "kubernetes:gateway.networking.k8s.io/v1:GatewayClass::class"}}

	if o := classifyOne(t, []live{sa}, st, DefaultControllers(), "envoy-gw"); o.Origin != KnownController || o.Rule != RuleEnvoyGatewayProxy || o.Owner != nil {
		t.Errorf("got origin=%q rule=%q owner=%v, want known-controller (%s), no owner", o.Origin, o.Rule, o.Owner, RuleEnvoyGatewayProxy)
	}
	sa.labels = nil
	if o := classifyOne(t, []live{sa}, st, DefaultControllers(), "envoy-gw"); o.Origin != Unmanaged {
		t.Errorf("without the label: origin %q, want unmanaged (the GatewayClass reference vouches for nothing)", o.Origin)
	}
}

// TestClassify_OwnershipNeedsAControllerPairWithTheOwnersUID: ownership
// is accepted only through a controller reference between a built-in
// controller and what it creates, carrying the listed owner's UID. A
// forged reference — to a declared ClusterRole, skipping a link, naming
// one object with another's UID, or without controller: true — leaves the
// object classified by itself.
func TestClassify_OwnershipNeedsAControllerPairWithTheOwnersUID(t *testing.T) {
	adminRole := live{group: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "tenant-a-admin", uid: "u-role", manager: "pulumi-kubernetes-1a2b"}
	st := declaredState()
	st.Declared[adminRole.object().Ref] = urnPrefix + "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole::tenant-a-admin"
	nonController := metav1.OwnerReference{APIVersion: "apps/v1", Kind: "Deployment", Name: "web", UID: "u-dep"}
	for _, tc := range []struct {
		test string
		obj  live
	}{
		{"WebhookOwnedByDeclaredClusterRole", live{group: "admissionregistration.k8s.io", kind: "ValidatingWebhookConfiguration", name: "hook", uid: "u-hook",
			manager: "kubectl-create", owners: []metav1.OwnerReference{controllerRef("rbac.authorization.k8s.io/v1", "ClusterRole", "tenant-a-admin", "u-role")}}},
		{"PodOwnedDirectlyByDeclaredDeployment", live{kind: "Pod", ns: nsA, name: "shell", uid: "u-shell", manager: "kubectl-run",
			owners: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", "web", "u-dep")}}},
		{"PodNamingOneReplicaSetWithAnothersUID", live{kind: "Pod", ns: nsA, name: "miner-5c-x", uid: "u-x", manager: "kubectl-create",
			owners: []metav1.OwnerReference{controllerRef("apps/v1", "ReplicaSet", "miner-5c", "u-rs")}}},
		{"ReplicaSetWithNonControllerReference", live{group: "apps", kind: "ReplicaSet", ns: nsA, name: "web-side", uid: "u-side", manager: "kubectl-create",
			owners: []metav1.OwnerReference{nonController}}},
		{"ReplicaSetOfAnUnlistedOwner", live{group: "apps", kind: "ReplicaSet", ns: nsA, name: "gone-1", uid: "u-gone", manager: "kubectl-create",
			owners: []metav1.OwnerReference{controllerRef("apps/v1", "Deployment", "gone", "u-gone-dep")}}},
	} {
		t.Run(tc.test, func(t *testing.T) {
			o := classifyOne(t, []live{webDeploy, webRS, rogueDeploy, rogueRS, adminRole, tc.obj}, st, DefaultControllers(), tc.obj.name)
			if o.Origin != Unmanaged || o.Owner != nil || o.URN != "" {
				t.Errorf("got origin=%q owner=%v urn=%q, want unmanaged with no owner", o.Origin, o.Owner, o.URN)
			}
		})
	}
}

func TestClassify_DoesNotModifyItsInput(t *testing.T) {
	in := []Object{allowAll.object()}
	in[0].Origin = Declared
	_ = Classify(in, State{}, nil)
	if in[0].Origin != Declared {
		t.Errorf("input changed to %q", in[0].Origin)
	}
}
