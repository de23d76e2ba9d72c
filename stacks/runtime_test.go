package stacks_test

import (
	"maps"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/internal/recmock"
)

func runtimeSection() map[string]any {
	return map[string]any{
		"enabled":       true,
		"trivyOperator": map[string]any{"apiServer": map[string]any{"cidrs": []any{"10.96.0.1/32"}}, "registryCidrs": []any{"10.20.0.0/24"}},
		"falco":         map[string]any{"lokiUrl": "http://loki-gateway.rampart-audit.svc:80"},
	}
}

func runtimeConfig(profile string, section map[string]any, extra map[string]string) map[string]string {
	cfg := validConfig()
	if profile == "local" {
		cfg = map[string]string{"rampart:profile": "local"}
	}
	cfg["rampart:runtime"] = js(section)
	maps.Copy(cfg, extra)
	return cfg
}

func TestRuntime_ProdDeploysBothChartsIntoTheirNamespaces(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(runtimeConfig("prod", runtimeSection(), nil))); err != nil {
		t.Fatal(err)
	}
	comp, err := rec.Get("rampart:runtime:Runtime", "runtime")
	if err != nil {
		t.Fatal(err)
	}
	if len(comp.Deps) == 0 {
		t.Error("runtime does not wait for its namespaces and their default-deny policies")
	}
	for name, ns := range map[string]string{"runtime-trivy-operator": "trivy-system", "runtime-falco": "falco"} {
		c, err := rec.Get("kubernetes:helm.sh/v4:Chart", name)
		if err != nil {
			t.Fatal(err)
		}
		if c.Plain()["namespace"] != ns {
			t.Errorf("%s in %v, want %s", name, c.Plain()["namespace"], ns)
		}
	}
	c, _ := rec.Get("kubernetes:helm.sh/v4:Chart", "runtime-falco")
	rules, _ := recmock.Path(c.Plain(), "values", "customRules", "rampart_rules.yaml")
	// Falco watches every restricted namespace (tenants included), never its own.
	for _, ns := range []string{"team-a", "team-b", "openbao", "trivy-system"} {
		if !strings.Contains(rules.(string), "- "+ns+"\n") {
			t.Errorf("shell rule does not watch %s", ns)
		}
	}
	if strings.Contains(rules.(string), "- falco\n") {
		t.Error("shell rule watches the exempted falco namespace")
	}
}

func TestRuntime_LocalKeepsChartsOff(t *testing.T) {
	rec := recmock.New()
	if err := rec.Run(program, recmock.WithConfig(runtimeConfig("local", map[string]any{"enabled": true}, nil))); err != nil {
		t.Fatal(err)
	}
	if _, err := rec.Get("rampart:runtime:Runtime", "runtime"); err != nil {
		t.Fatal(err)
	}
	if cs := rec.ByType("kubernetes:helm.sh/v4:Chart"); len(cs) != 0 {
		t.Errorf("charts in the local profile: %v", rec.Names())
	}
}

// overrides is rampart:images with one override.
func overrides(repo, ref string) map[string]string {
	return map[string]string{"rampart:images": js(map[string]any{"overrides": map[string]string{repo: ref}})}
}

const digest = "@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func TestRuntime_RejectsBadConfigAndRegistersNothing(t *testing.T) {
	with := func(mut func(s map[string]any)) map[string]any { s := runtimeSection(); mut(s); return s }
	nsList := func(falco map[string]any) string {
		return js([]any{map[string]any{"name": "rampart-ingress"}, map[string]any{"name": "rampart-system"}, map[string]any{"name": "trivy-system"}, falco})
	}
	cases := []struct {
		name    string
		profile string
		section map[string]any
		extra   map[string]string
		want    []string
	}{
		{"compromised trivy tag", "prod", runtimeSection(), overrides("aquasec/trivy", "mirror.gcr.io/aquasec/trivy:0.69.4"+digest),
			[]string{`rampart:images.overrides["aquasec/trivy"]: "mirror.gcr.io/aquasec/trivy:0.69.4` + digest + `": Trivy 0.69.4 is a compromised release`, "GHSA-69fq-xp46-6x23"}},
		{"latest trivy", "prod", runtimeSection(), overrides("aquasec/trivy", "mirror.gcr.io/aquasec/trivy:latest"+digest),
			[]string{`rampart:images.overrides["aquasec/trivy"]`, "floating", "GHSA-69fq-xp46-6x23"}},
		{"digest-less falco image", "prod", runtimeSection(), overrides("falcosecurity/falco", "docker.io/falcosecurity/falco:0.44.1"),
			[]string{`rampart:images.overrides["falcosecurity/falco"]: "docker.io/falcosecurity/falco:0.44.1": not pinned by digest`}},
		{"the old per-image key", "prod", with(func(s map[string]any) {
			s["trivyOperator"].(map[string]any)["trivyImage"] = map[string]any{"tag": "0.69.4"}
		}), nil, []string{`rampart:runtime.trivyOperator.trivyImage: (an object): moved`, `set rampart:images.overrides["aquasec/trivy"]`}},
		{"falco exemption without justification", "prod", runtimeSection(), map[string]string{"rampart:namespaces": nsList(
			map[string]any{"name": "falco", "exemption": map[string]any{"level": "privileged", "control": "ISM-1034"}})},
			[]string{"rampart:runtime.falco.namespace: \"falco\": Falco's privileged exemption has no written justification", "rampart:namespaces[3].exemption.justification"}},
		{"falco namespace without exemption", "prod", runtimeSection(), map[string]string{"rampart:namespaces": nsList(map[string]any{"name": "falco"})},
			[]string{"rampart:runtime.falco.namespace: \"falco\": Falco's eBPF driver needs host PID"}},
		{"falco exemption on a tenant namespace", "prod", with(func(s map[string]any) { s["falco"].(map[string]any)["namespace"] = "team-sec" }),
			map[string]string{"rampart:tenants": js([]any{map[string]any{"name": "team-sec", "exemption": map[string]any{
				"level": "privileged", "justification": "Falco needs host access on every node", "control": "ISM-1034"}}})},
			[]string{"rampart:runtime.falco.namespace: \"team-sec\": a tenant namespace", "rampart:tenants[0].exemption.level"}},
		{"falco in an unknown namespace", "prod", with(func(s map[string]any) { s["falco"].(map[string]any)["namespace"] = "nowhere" }), nil,
			[]string{"rampart:runtime.falco.namespace: \"nowhere\": not a namespace of this stack"}},
		{"explicit empty watch list and api server ports", "prod", with(func(s map[string]any) {
			s["falco"].(map[string]any)["restrictedNamespaces"] = []any{}
			s["trivyOperator"].(map[string]any)["apiServer"].(map[string]any)["ports"] = []any{}
		}), nil, []string{
			`rampart:runtime.falco.restrictedNamespaces: []: [] is not "unset": Falco would watch no namespace for interactive shells — remove the key for the default (every namespace that enforces restricted)`,
			`rampart:runtime.trivyOperator.apiServer.ports: []: [] is not "unset": an egress rule without ports opens every port`,
		}},
		{"charts in the lab", "local", map[string]any{"enabled": true, "falco": map[string]any{"enabled": true, "lokiUrl": "http://127.0.0.1:3100"}}, nil,
			[]string{"rampart:runtime.falco.enabled: true: the local lab has no nodes"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec := recmock.New()
			err := rec.Run(program, recmock.WithConfig(runtimeConfig(tc.profile, tc.section, tc.extra)))
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if n := len(rec.All()); n > 1 {
				t.Errorf("registered %v", rec.Names())
			}
		})
	}
}
