// Command pulumi-resource-kubernetes serves the Pulumi kubernetes provider
// v4.25.0 built from Go modules. Upstream's main embeds generated files that
// the module zip lacks; lab/toolchain.sh copies schema.json (version-stamped)
// and terraform-mapping.json out of the module before building this.
package main

import (
	_ "embed"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var mapping []byte

func main() {
	provider.Serve("kubernetes", version.Version, schema, mapping)
}
