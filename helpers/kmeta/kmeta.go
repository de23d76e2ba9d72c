// Package kmeta holds the metadata Rampart puts on every Kubernetes object it
// owns: the managed-by label (what `kubectl get -l` and the e2e tests select
// Rampart's objects by) and, through hardening.ManagedAnnotations, the
// patch-force annotation. Components take it from here so the label is
// spelled once.
package kmeta

import (
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
)

const (
	// LabelManagedBy is the recommended Kubernetes label naming the tool
	// that manages an object.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is LabelManagedBy's value on every object Rampart owns.
	ManagedBy = "rampart"
)

// Labels returns a new map holding Rampart's managed-by label and extra;
// extra wins on a clash. extra may be nil.
func Labels(extra map[string]string) map[string]string {
	out := map[string]string{LabelManagedBy: ManagedBy}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// Meta is the metadata of a Rampart object with no labels or annotations of
// its own: name, namespace (nil for a cluster-scoped object), the managed-by
// label and the managed annotations.
func Meta(name string, namespace pulumi.StringPtrInput) *metav1.ObjectMetaArgs {
	return &metav1.ObjectMetaArgs{
		Name:        pulumi.String(name),
		Namespace:   namespace,
		Labels:      pulumi.ToStringMap(Labels(nil)),
		Annotations: pulumi.ToStringMap(hardening.ManagedAnnotations()),
	}
}
