package stacks

import "github.com/pulumi/pulumi/sdk/v3/go/pulumi"

// IssuerRef names the cert-manager issuer that signs the platform's
// certificates, for the components that request them (the ingress
// Gateway's listeners); Ready is what must exist before they do.
type IssuerRef struct {
	// Name and Kind (ClusterIssuer or Issuer) of the issuer.
	Name, Kind string
	// Ready is the resource that creates the issuer (nil: none).
	Ready pulumi.Resource
}
