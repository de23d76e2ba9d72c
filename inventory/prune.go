package inventory

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

// Delete deletes the objects (drift --prune) with the dynamic client. The
// caller chooses which: Delete does not look at Origin.
//
// Each delete carries a UID precondition, the metadata.uid of the listed
// object, so an object deleted and recreated under the same name since the
// list is left alone (the API answers Conflict); an object without a UID is
// refused for the same reason. Propagation is Background: the API server
// returns at once and the garbage collector removes dependents (a
// Deployment's ReplicaSets and Pods). An object already gone (NotFound) is
// fine. Every object is tried; the errors are joined.
func Delete(ctx context.Context, c *Client, objs []Object) error {
	return deleteObjects(ctx, c, objs, false)
}

// CheckDelete is Delete as a server-side dry run (DryRun: All): the API
// server authorises and admits every delete and changes nothing, so
// `drift --fix --prune` learns that its identity may delete every object
// before it restores anything.
func CheckDelete(ctx context.Context, c *Client, objs []Object) error {
	return deleteObjects(ctx, c, objs, true)
}

func deleteObjects(ctx context.Context, c *Client, objs []Object, dryRun bool) error {
	if c == nil || c.Dynamic == nil {
		return errors.New("inventory: no client; build one with Connect")
	}
	background := metav1.DeletePropagationBackground
	var errs []error
	for _, o := range objs {
		k, ok := inventorykinds.Lookup(o.Ref.Group, o.Ref.Kind)
		if !ok {
			errs = append(errs, fmt.Errorf("delete %s: %s/%s is not a kind the inventory lists (inventorykinds.All)", o.Ref, o.Ref.Group, o.Ref.Kind))
			continue
		}
		uid := meta(&o).GetUID()
		if uid == "" {
			errs = append(errs, fmt.Errorf("delete %s: no metadata.uid to guard the delete with; pass the object as List returned it", o.Ref))
			continue
		}
		opts := metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}, PropagationPolicy: &background}
		if dryRun {
			opts.DryRun = []string{metav1.DryRunAll}
		}
		err := c.Dynamic.Resource(gvr(k)).Namespace(o.Ref.Namespace).Delete(ctx, o.Ref.Name, opts)
		switch {
		case err == nil, apierrors.IsNotFound(err):
		case apierrors.IsConflict(err):
			errs = append(errs, fmt.Errorf("delete %s: it was replaced since it was listed (uid %s no longer matches): %w; run drift again and review the new object", o.Ref, uid, err))
		case apierrors.IsForbidden(err):
			errs = append(errs, fmt.Errorf("delete %s: forbidden: %w; pruning needs delete on %s, which the read-only auditor roles (%s) do not grant: run it with the deployer's kubeconfig (--kubeconfig)", o.Ref, err, gvr(k).GroupResource(), AuditorClusterRole))
		default:
			errs = append(errs, fmt.Errorf("delete %s: %w", o.Ref, err))
		}
	}
	return errors.Join(errs...)
}
