package inventory

import (
	"context"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

// fakeClient is a Client over client-go's fake dynamic client holding objs
// (JSON-shaped, apiVersion and kind set), every inventory kind listable.
func fakeClient(t *testing.T, objs ...map[string]any) *Client {
	t.Helper()
	listKinds := map[schema.GroupVersionResource]string{}
	for _, k := range inventorykinds.All {
		listKinds[gvr(k)] = k.Kind + "List"
	}
	var in []runtime.Object
	for _, o := range objs {
		in = append(in, &unstructured.Unstructured{Object: o})
	}
	return &Client{Dynamic: dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(), listKinds, in...), Host: "https://fake"}
}

func k8sObject(apiVersion, kind, ns, name string, fields map[string]any) map[string]any {
	md := map[string]any{"name": name, "uid": "u-" + ns + "-" + name}
	if ns != "" {
		md["namespace"] = ns
	}
	o := map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": md}
	for k, v := range fields {
		o[k] = v
	}
	return o
}

func roleBinding(ns, name, role string, subject map[string]any) map[string]any {
	return k8sObject("rbac.authorization.k8s.io/v1", "RoleBinding", ns, name, map[string]any{
		"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
		"subjects": []any{subject},
	})
}

// TestList_RoleBindingsElsewhereReachingAManagedNamespaceAreKept: a
// RoleBinding in kube-system granting admin to team-a's ServiceAccount
// (invisible when RoleBindings were listed per managed namespace) is kept
// with the ClusterRole it binds; RoleBindings elsewhere that name no
// managed identity (kubeadm's cluster-info reader for system:anonymous, a
// binding in another namespace) are left out.
func TestList_RoleBindingsElsewhereReachingAManagedNamespaceAreKept_FakeDynamicClient(t *testing.T) {
	admin := map[string]any{"kind": "ServiceAccount", "name": "ci", "namespace": "team-a"}
	c := fakeClient(t,
		k8sObject("v1", "Namespace", "", "team-a", nil),
		k8sObject("v1", "Namespace", "", "kube-system", nil),
		roleBinding("team-a", "local", "view", map[string]any{"kind": "ServiceAccount", "name": "app", "namespace": "team-a"}),
		roleBinding("kube-system", "team-a-admin", "admin", admin),
		roleBinding("kube-system", "team-a-all", "edit", map[string]any{"kind": "Group", "name": "system:serviceaccounts:team-a"}),
		roleBinding("kube-public", "kubeadm:bootstrap-signer-clusterinfo", "cluster-info-reader", map[string]any{"kind": "User", "name": "system:anonymous"}),
		roleBinding("other", "unrelated", "admin", map[string]any{"kind": "ServiceAccount", "name": "x", "namespace": "other"}),
		k8sObject("rbac.authorization.k8s.io/v1", "ClusterRole", "", "admin", nil),
		k8sObject("rbac.authorization.k8s.io/v1", "ClusterRole", "", "unbound", nil),
	)
	st := State{Declared: map[Ref]string{{Kind: "Namespace", Name: "team-a"}: urnPrefix + "kubernetes:core/v1:Namespace::team-a"}, Namespaces: []string{"team-a"}}
	inv, err := List(context.Background(), c, st, DefaultControllers())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range inv.Objects {
		got = append(got, o.Ref.String())
	}
	want := []string{"RoleBinding kube-system/team-a-admin", "RoleBinding kube-system/team-a-all", "RoleBinding team-a/local",
		"Namespace team-a", "ClusterRole admin"}
	if !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
	for _, o := range inv.Objects {
		if o.Ref.Namespace == "kube-system" && !o.IsUnmanaged() {
			t.Errorf("%s: origin %q, want unmanaged", o.Ref, o.Origin)
		}
	}
}

// TestList_AdmissionPoliciesOfTheStackOnly: the stack's declared
// ValidatingAdmissionPolicy and its binding are read (the verifier's
// delegated binding is judged on them), and so is a binding someone added
// to the stack's policy; another tool's policy and binding are not.
func TestList_AdmissionPoliciesOfTheStackOnly_FakeDynamicClient(t *testing.T) {
	const group, v = "admissionregistration.k8s.io", "admissionregistration.k8s.io/v1"
	policy := "rampart-system-verifier-probes-only"
	c := fakeClient(t,
		k8sObject("v1", "Namespace", "", "team-a", nil),
		k8sObject(v, "ValidatingAdmissionPolicy", "", policy, map[string]any{"spec": map[string]any{"failurePolicy": "Fail"}}),
		k8sObject(v, "ValidatingAdmissionPolicyBinding", "", policy, map[string]any{"spec": map[string]any{"policyName": policy, "validationActions": []any{"Deny"}}}),
		k8sObject(v, "ValidatingAdmissionPolicyBinding", "", "audit-only", map[string]any{"spec": map[string]any{"policyName": policy, "validationActions": []any{"Audit"}}}),
		k8sObject(v, "ValidatingAdmissionPolicy", "", "other-tool", nil),
		k8sObject(v, "ValidatingAdmissionPolicyBinding", "", "other-tool", map[string]any{"spec": map[string]any{"policyName": "other-tool"}}),
	)
	st := State{Declared: map[Ref]string{
		{Kind: "Namespace", Name: "team-a"}:                                    urnPrefix + "kubernetes:core/v1:Namespace::team-a",
		{Group: group, Kind: "ValidatingAdmissionPolicy", Name: policy}:        urnPrefix + "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy::p",
		{Group: group, Kind: "ValidatingAdmissionPolicyBinding", Name: policy}: urnPrefix + "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding::b",
	}, Namespaces: []string{"team-a"}}
	inv, err := List(context.Background(), c, st, DefaultControllers())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range inv.Objects {
		if o.Ref.Group == group {
			got = append(got, o.Ref.String()+" "+string(o.Origin))
		}
	}
	want := []string{"ValidatingAdmissionPolicy " + policy + " declared",
		"ValidatingAdmissionPolicyBinding audit-only unmanaged", "ValidatingAdmissionPolicyBinding " + policy + " declared"}
	if !slices.Equal(got, want) {
		t.Errorf("listed %q, want %q", got, want)
	}
}
