package compliance

import (
	"strings"

	"github.com/rampart-dev/rampart/components/runtime"
)

// chartType is a Helm chart (pulumi-kubernetes helm.sh/v4).
const chartType = "kubernetes:helm.sh/v4:Chart"

// runtimeChart returns the runtime component's chart named chart
// ("trivy-operator", "falco"), if deployed.
func runtimeChart(s *state, chart string) *object {
	for _, o := range s.under(runtime.TypeToken) {
		if o.Type != chartType {
			continue
		}
		c := o.str("chart")
		if c == chart || strings.HasSuffix(c, "/"+chart) {
			return o
		}
	}
	return nil
}

// chartEvidence says whether a runtime chart is deployed.
func chartEvidence(s *state, chart, missing string) Evidence {
	if c := runtimeChart(s, chart); c != nil {
		return Evidence{URN: c.URN, Field: "chart, version", Value: c.str("chart") + " " + c.str("version"), OK: true}
	}
	comps := s.byType(runtime.TypeToken)
	return Evidence{URN: comps[0].URN, Field: "chart " + chart, Value: "absent", Note: missing}
}

// checkImageScanning: the runtime component deploys Trivy Operator (image
// and configuration scanning) and Falco (runtime detection).
func checkImageScanning(s *state) (bool, []Evidence) {
	if len(s.byType(runtime.TypeToken)) == 0 {
		return false, nil
	}
	return true, []Evidence{
		chartEvidence(s, "trivy-operator", "images are not scanned: enable rampart:runtime.trivyOperator"),
		chartEvidence(s, "falco", "no runtime detection: enable rampart:runtime.falco"),
	}
}

// checkAlerting: Falco is deployed and its sidekick forwards events to Loki.
func checkAlerting(s *state) (bool, []Evidence) {
	if len(s.byType(runtime.TypeToken)) == 0 {
		return false, nil
	}
	e := chartEvidence(s, "falco", "no Falco: nothing raises runtime alerts")
	if !e.OK {
		return true, []Evidence{e}
	}
	c := runtimeChart(s, "falco")
	const path = "values.falcosidekick.config.loki.hostport"
	v, _ := c.get(path)
	l := Evidence{URN: c.URN, Field: path, Value: show(v)}
	if h, _ := v.(string); h != "" {
		l.OK = true
	} else {
		l.Note = "Falco's events go nowhere: set rampart:runtime.falco.lokiURL"
	}
	return true, []Evidence{e, l}
}
