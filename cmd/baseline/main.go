// Command baseline is the Pulumi program entry (Pulumi.yaml main:). It only
// runs stacks.Program, so the CLI and tests can run the same program inline.
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/stacks"
)

func main() { pulumi.Run(stacks.Program) }
