package inventory

import (
	"fmt"
	"slices"
	"strings"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
)

// BroadGroups are the groups whose binding grants something to every
// identity, the managed namespaces' ServiceAccounts included: a
// ClusterRoleBinding to one of them always reaches in.
var BroadGroups = []string{"system:authenticated", "system:unauthenticated", "system:serviceaccounts"}

// anonymousUser is the user of unauthenticated requests; a binding to it
// grants like a binding to system:unauthenticated.
const anonymousUser = "system:anonymous"

// BindingReaches reports whether a ClusterRoleBinding with these subjects
// grants its role to an identity of a managed namespace: one SubjectsIn
// names, or a broad group (BroadGroups, system:anonymous). Bindings to
// named people or outside groups are not the namespaces' concern and are
// left out; with no managed namespace nothing reaches in.
func BindingReaches(subjects []rbacv1.Subject, namespaces []string) bool {
	if len(namespaces) == 0 {
		return false
	}
	for _, s := range subjects {
		if s.Kind == rbacv1.GroupKind && slices.Contains(BroadGroups, s.Name) || s.Kind == rbacv1.UserKind && s.Name == anonymousUser {
			return true
		}
	}
	return SubjectsIn(subjects, namespaces)
}

// clusterAdmin is the API server's superuser ClusterRole.
const clusterAdmin = "cluster-admin"

// GrantsClusterAdmin reports whether a ClusterRoleBinding binds
// cluster-admin to a user or group: superuser in every managed namespace,
// whoever the subject is, so List keeps it for the compliance item that
// accepts cluster-admin only as the stack's typed break-glass. With no
// managed namespace nothing reaches in.
func GrantsClusterAdmin(subjects []rbacv1.Subject, ref rbacv1.RoleRef, namespaces []string) bool {
	if len(namespaces) == 0 || ref.Kind != "ClusterRole" || ref.Name != clusterAdmin {
		return false
	}
	for _, s := range subjects {
		if s.Kind == rbacv1.GroupKind || s.Kind == rbacv1.UserKind {
			return true
		}
	}
	return false
}

// SubjectsIn reports whether a binding names an identity of one of the
// namespaces: a ServiceAccount in one, the group
// system:serviceaccounts:<ns>, or the User spelling of a ServiceAccount
// (system:serviceaccount:<ns>:<name>, which RBAC matches like the
// ServiceAccount subject). It is what keeps a RoleBinding outside the
// managed namespaces: broad groups are left out there, since a RoleBinding
// to everyone in another namespace (kubeadm's cluster-info reader in
// kube-public) is that namespace's concern.
func SubjectsIn(subjects []rbacv1.Subject, namespaces []string) bool {
	for _, s := range subjects {
		switch s.Kind {
		case rbacv1.ServiceAccountKind:
			if slices.Contains(namespaces, s.Namespace) {
				return true
			}
		case rbacv1.GroupKind:
			if ns, ok := strings.CutPrefix(s.Name, "system:serviceaccounts:"); ok && slices.Contains(namespaces, ns) {
				return true
			}
		case rbacv1.UserKind:
			if rest, ok := strings.CutPrefix(s.Name, "system:serviceaccount:"); ok {
				ns, _, _ := strings.Cut(rest, ":")
				if slices.Contains(namespaces, ns) {
					return true
				}
			}
		}
	}
	return false
}

// WebhooksReach reports whether any webhook, given by its namespaceSelector,
// can intercept a request in one of the namespaces (name → live labels).
// An absent selector matches every namespace (the API's default is the
// empty selector). A selector the API would not have admitted counts as
// reaching: an auditor keeps what it cannot rule out.
func WebhooksReach(selectors []*metav1.LabelSelector, nsLabels map[string]map[string]string) bool {
	for _, ls := range selectors {
		if ls == nil {
			if len(nsLabels) > 0 {
				return true
			}
			continue
		}
		sel, err := metav1.LabelSelectorAsSelector(ls)
		if err != nil {
			return true
		}
		for _, l := range nsLabels {
			if sel.Matches(labels.Set(l)) {
				return true
			}
		}
	}
	return false
}

// webhookSelectors reads the namespaceSelector of every webhook of a
// Validating- or MutatingWebhookConfiguration.
func webhookSelectors(kind string, obj map[string]any) ([]*metav1.LabelSelector, error) {
	var sels []*metav1.LabelSelector
	switch kind {
	case "ValidatingWebhookConfiguration":
		var c admissionv1.ValidatingWebhookConfiguration
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &c); err != nil {
			return nil, err
		}
		for _, w := range c.Webhooks {
			sels = append(sels, w.NamespaceSelector)
		}
	case "MutatingWebhookConfiguration":
		var c admissionv1.MutatingWebhookConfiguration
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &c); err != nil {
			return nil, err
		}
		for _, w := range c.Webhooks {
			sels = append(sels, w.NamespaceSelector)
		}
	default:
		return nil, fmt.Errorf("%s is not a webhook configuration", kind)
	}
	return sels, nil
}

// bindingSubjects reads a ClusterRoleBinding's or RoleBinding's subjects
// and roleRef.
func bindingSubjects(obj map[string]any) ([]rbacv1.Subject, rbacv1.RoleRef, error) {
	var b rbacv1.ClusterRoleBinding // same subjects/roleRef shape as RoleBinding
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj, &b); err != nil {
		return nil, rbacv1.RoleRef{}, err
	}
	return b.Subjects, b.RoleRef, nil
}

// ReferencedClusterRoles are the names of the ClusterRoles that the given
// ClusterRoleBindings and RoleBindings bind (roleRef kind ClusterRole): the
// ClusterRoles whose rules reach into the managed namespaces.
func ReferencedClusterRoles(bindings []Object) (map[string]bool, error) {
	names := map[string]bool{}
	for _, o := range bindings {
		if o.Ref.Kind != "ClusterRoleBinding" && o.Ref.Kind != "RoleBinding" {
			continue
		}
		_, ref, err := bindingSubjects(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s: read roleRef: %w", o.Ref, err)
		}
		if ref.Kind == "ClusterRole" {
			names[ref.Name] = true
		}
	}
	return names, nil
}
