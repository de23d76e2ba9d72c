package stacks

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/sovereignty"
	"github.com/rampart-dev/rampart/infra/config"
)

// SovereigntyOutput is the stack output holding the sovereignty bill of
// materials: every external endpoint the stack depends on, each with the
// config key that brings it in, its host, operator, jurisdiction, where
// those come from (declared, table, unknown), and whether the rule
// rampart:sovereignty.allowedJurisdictions admits it or an exception does.
// The compliance item "sovereignty" is judged from it.
const SovereigntyOutput = "sovereignty"

// exportSovereignty exports the bill of materials. The config layer has
// already refused an endpoint the rule does not admit.
func exportSovereignty(ctx *pulumi.Context, cfg *config.Config) {
	list := pulumi.Array{}
	for _, m := range sovereignty.Output(cfg.Sovereignty, cfg.SovereigntyFindings()) {
		list = append(list, pulumi.ToMap(m))
	}
	ctx.Export(SovereigntyOutput, list)
}
