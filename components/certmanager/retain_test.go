package certmanager

import (
	"context"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestRetainCRDs_KeepsOnlyTheChartsCRDsOnDelete(t *testing.T) {
	r := retainCRDs(context.Background(), &pulumi.ResourceTransformArgs{Type: crdType, Name: "certificates.cert-manager.io", Custom: true})
	if r == nil || !r.Opts.RetainOnDelete {
		t.Fatalf("a CRD child is not retained on delete: %+v", r)
	}
	if r := retainCRDs(context.Background(), &pulumi.ResourceTransformArgs{Type: "kubernetes:apps/v1:Deployment", Custom: true}); r != nil {
		t.Errorf("a Deployment was changed: %+v", r)
	}
}
