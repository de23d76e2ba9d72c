package runtime_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/rampart-dev/rampart/components/runtime"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/internal/recmock"
)

const (
	chartType  = "kubernetes:helm.sh/v4:Chart"
	policyType = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
	digest     = "@sha256:1111111111111111111111111111111111111111111111111111111111111111"
)

func on() *bool { b := true; return &b }

// prodArgs is a valid configuration with both charts on.
func prodArgs() *runtime.RuntimeArgs {
	return &runtime.RuntimeArgs{
		TrivyOperator: runtime.TrivyOperatorArgs{Enabled: on(), APIServer: netpolicy.APIServer{CIDRs: []string{"10.96.0.1/32"}}, RegistryCIDRs: []string{"10.20.0.0/24"}},
		Falco: runtime.FalcoArgs{Enabled: on(), LokiURL: "http://loki-gateway.rampart-audit.svc:80",
			RestrictedNamespaces: []string{"team-a", "openbao"}},
	}
}

type result struct {
	rec                         *recmock.Recorder
	compliance, alerting, image []any
}

func run(t *testing.T, a *runtime.RuntimeArgs) (result, error) {
	t.Helper()
	r := result{rec: recmock.New()}
	err := r.rec.Run(func(ctx *pulumi.Context) error {
		comp, err := runtime.NewRuntime(ctx, "runtime", a)
		if err != nil {
			return err
		}
		for _, o := range []struct {
			out pulumi.Output
			dst *[]any
		}{{comp.Compliance, &r.compliance}, {comp.Alerting, &r.alerting}, {comp.Images, &r.image}} {
			res, err := internals.UnsafeAwaitOutput(ctx.Context(), o.out)
			if err != nil {
				return err
			}
			for _, s := range res.Value.([]string) {
				*o.dst = append(*o.dst, s)
			}
		}
		return nil
	})
	return r, err
}

func chartValues(t *testing.T, rec *recmock.Recorder, name string) (map[string]any, map[string]any) {
	t.Helper()
	c, err := rec.Get(chartType, name)
	if err != nil {
		t.Fatal(err)
	}
	if c.ParentName() != "runtime" {
		t.Errorf("%s parent %q, want the component", name, c.ParentName())
	}
	in := c.Plain()
	v, _ := in["values"].(map[string]any)
	return in, v
}

func get(t *testing.T, v any, steps ...any) any {
	t.Helper()
	got, ok := recmock.Path(v, steps...)
	if !ok {
		t.Fatalf("no value at %v", steps)
	}
	return got
}

// images finds every chart value that is an image (a map with repository
// and tag) and returns "path: registry/repository:tag" as the charts render it.
func images(v any, at string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		if repo, ok := x["repository"].(string); ok {
			if tag, ok := x["tag"].(string); ok {
				reg, _ := x["registry"].(string)
				out[at] = reg + "/" + repo + ":" + tag
			}
		}
		for k, e := range x {
			images(e, at+"."+k, out)
		}
	case []any:
		for _, e := range x {
			images(e, at, out)
		}
	}
}

// runImages runs the component and finds the images both charts render.
func runImages(t *testing.T, a *runtime.RuntimeArgs) (result, map[string]string) {
	t.Helper()
	r, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, name := range []string{"runtime-trivy-operator", "runtime-falco"} {
		_, v := chartValues(t, r.rec, name)
		images(v, name, found)
	}
	return r, found
}

var byDigest = regexp.MustCompile(`^[a-z0-9.-]+/[a-z0-9/_.-]+:[A-Za-z0-9_.-]+@sha256:[0-9a-f]{64}$`)

func TestNewRuntime_EveryRenderedImageCarriesADigest(t *testing.T) {
	r, found := runImages(t, prodArgs())
	// The operator, Trivy, Falco, falcosidekick and falcoctl; the checks
	// bundle is an OCI artifact whose tag the chart owns (no image).
	want := []string{"runtime-trivy-operator.image", "runtime-trivy-operator.trivy.image", "runtime-falco.image",
		"runtime-falco.falcosidekick.image", "runtime-falco.falcoctl.image"}
	for _, w := range want {
		ref, ok := found[w]
		if !ok {
			t.Errorf("no image at %s; found %v", w, found)
			continue
		}
		if !byDigest.MatchString(ref) {
			t.Errorf("%s renders %q: not pinned by digest", w, ref)
		}
	}
	if len(r.image) != 5 {
		t.Errorf("images output %v, want 5", r.image)
	}
	for _, ref := range r.image {
		if !byDigest.MatchString(ref.(string)) {
			t.Errorf("images output %q not by digest", ref)
		}
	}
	if found["runtime-trivy-operator.trivy.image"] != "mirror.gcr.io/aquasec/trivy:0.72.0@sha256:cffe3f5161a47a6823fbd23d985795b3ed72a4c806da4c4df16266c02accdd6f" {
		t.Errorf("default Trivy image %q", found["runtime-trivy-operator.trivy.image"])
	}
}

// TestNewRuntime_ResolvesEveryImageThroughImages: a mirror moves all five
// images to its registry with their tags and digests; an override replaces
// exactly its image, as given.
func TestNewRuntime_ResolvesEveryImageThroughImages(t *testing.T) {
	a := prodArgs()
	resigned := "registry.example.org/signed/falco:0.44.1" + digest
	a.Images = image.Images{Registry: "harbor.example.org/hub", Overrides: map[string]string{"falcosecurity/falco": resigned}}
	r, found := runImages(t, a)
	want := map[string]string{
		"runtime-trivy-operator.image":       "harbor.example.org/hub/" + runtime.DefaultOperatorImage.Repository + ":" + runtime.DefaultOperatorImage.ChartTag(),
		"runtime-trivy-operator.trivy.image": "harbor.example.org/hub/" + runtime.DefaultTrivyImage.Repository + ":" + runtime.DefaultTrivyImage.ChartTag(),
		"runtime-falco.image":                resigned,
		"runtime-falco.falcosidekick.image":  "harbor.example.org/hub/" + runtime.DefaultSidekickImage.Repository + ":" + runtime.DefaultSidekickImage.ChartTag(),
		"runtime-falco.falcoctl.image":       "harbor.example.org/hub/" + runtime.DefaultFalcoctlImage.Repository + ":" + runtime.DefaultFalcoctlImage.ChartTag(),
	}
	for at, ref := range want {
		if found[at] != ref {
			t.Errorf("%s = %q, want %q", at, found[at], ref)
		}
	}
	if len(r.image) != 5 || r.image[2] != resigned {
		t.Errorf("images output %v", r.image)
	}
}

// TestNewRuntime_RefusesBadImageOverrides: the digest rule, and Trivy's
// compromised and floating releases (GHSA-69fq-xp46-6x23), at the
// override's key.
func TestNewRuntime_RefusesBadImageOverrides(t *testing.T) {
	const reg = "registry.example.org/"
	cases := []struct{ repo, ref, want string }{
		{"aquasec/trivy", reg + "aquasec/trivy:0.69.4" + digest, "compromised"},
		{"aquasec/trivy", reg + "aquasec/trivy:v0.69.5" + digest, "compromised"},
		{"aquasec/trivy", reg + "aquasec/trivy:0.69.6-amd64" + digest, runtime.TrivyAdvisory},
		{"aquasec/trivy", reg + "aquasec/trivy:latest" + digest, "floating"},
		{"aquasec/trivy", reg + "aquasec/trivy:0.72.0", "not pinned by digest"},
		{"aquasec/trivy-operator", reg + "aquasec/trivy-operator:0.32.0", "not pinned by digest"},
		{"falcosecurity/falco", reg + "falcosecurity/falco" + digest, "takes the digest in the tag"},
		{"falcosecurity/falcoctl", reg + "falcosecurity/falcoctl:0.13.0@sha256:abc", "digest is not"},
	}
	for _, tc := range cases {
		t.Run(tc.ref, func(t *testing.T) {
			a := prodArgs()
			a.Images.Overrides = map[string]string{tc.repo: tc.ref}
			r, err := run(t, a)
			if err == nil {
				t.Fatal("NewRuntime accepted it")
			}
			if at := `images.overrides["` + tc.repo + `"]`; !strings.Contains(err.Error(), at) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error lacks %s / %q: %v", at, tc.want, err)
			}
			if n := r.rec.Len(); n != 0 {
				t.Errorf("registered %v", r.rec.Names())
			}
		})
	}
}

func TestNewRuntime_TrivyOperatorAirGapComplianceAndRestrictedValues(t *testing.T) {
	a := prodArgs()
	off := false
	a.TrivyOperator.AirGap = runtime.AirGapArgs{DBRegistry: "registry.internal", DBRepository: "mirror/trivy-db",
		JavaDBRegistry: "registry.internal", JavaDBRepository: "mirror/trivy-java-db", ChecksBundleRepository: "mirror/trivy-checks"}
	a.TrivyOperator.Chart.Repository = "oci://registry.internal/charts"
	r, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	in, v := chartValues(t, r.rec, "runtime-trivy-operator")
	if in["chart"] != "oci://registry.internal/charts/trivy-operator" || in["version"] != runtime.TrivyChartVersion || in["namespace"] != "trivy-system" {
		t.Errorf("chart source: %v %v %v", in["chart"], in["version"], in["namespace"])
	}
	if _, ok := in["repositoryOpts"]; ok {
		t.Error("an OCI chart must not also name an https repository")
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"trivy", "dbRegistry"}, "registry.internal"},
		{[]any{"trivy", "dbRepository"}, "mirror/trivy-db"},
		{[]any{"trivy", "javaDbRegistry"}, "registry.internal"},
		{[]any{"trivy", "javaDbRepository"}, "mirror/trivy-java-db"},
		{[]any{"trivy", "offlineScan"}, true},
		{[]any{"policiesBundle", "repository"}, "mirror/trivy-checks"},
		{[]any{"policiesBundle", "registry"}, "mirror.gcr.io"},
		{[]any{"operator", "infraAssessmentScannerEnabled"}, off},
		{[]any{"operator", "scanJobAutomountServiceAccountToken"}, false},
		{[]any{"podSecurityContext", "runAsNonRoot"}, true},
		{[]any{"podSecurityContext", "seccompProfile", "type"}, "RuntimeDefault"},
		{[]any{"securityContext", "allowPrivilegeEscalation"}, false},
		{[]any{"securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"securityContext", "capabilities", "drop", 0}, "ALL"},
		{[]any{"operator", "scanJobPodTemplateContainerSecurityContext", "capabilities", "drop", 0}, "ALL"},
		{[]any{"operator", "scanJobPodTemplatePodSecurityContext", "runAsNonRoot"}, true},
	} {
		if got := get(t, v, c.path...); got != c.want {
			t.Errorf("values %v = %v, want %v", c.path, got, c.want)
		}
	}
	specs := get(t, v, "compliance", "specs").([]any)
	if strings.Join([]string{specs[0].(string), specs[1].(string), specs[2].(string)}, ",") != "k8s-nsa-1.0,k8s-cis-1.23,k8s-pss-restricted-0.1" || len(specs) != 3 {
		t.Errorf("compliance specs %v", specs)
	}
	if len(r.compliance) != 3 {
		t.Errorf("compliance output %v", r.compliance)
	}
}

func TestNewRuntime_TrivyNamespaceOpensExactlyAPIServerAndRegistry(t *testing.T) {
	r, err := run(t, prodArgs())
	if err != nil {
		t.Fatal(err)
	}
	pols := r.rec.ByType(policyType)
	if len(pols) != 1 {
		t.Fatalf("policies %v, want only the trivy egress policy (default-deny is the baseline's)", r.rec.Names())
	}
	p := pols[0].Plain()
	if get(t, p, "metadata", "namespace") != "trivy-system" || get(t, p, "metadata", "name") != runtime.TrivyEgressPolicyName {
		t.Errorf("policy metadata %v", p["metadata"])
	}
	if types := get(t, p, "spec", "policyTypes").([]any); len(types) != 1 || types[0] != "Egress" {
		t.Errorf("policyTypes %v", types)
	}
	egress := get(t, p, "spec", "egress").([]any)
	if len(egress) != 2 {
		t.Fatalf("egress rules %v, want exactly API server and registry", egress)
	}
	for i, want := range []struct {
		cidr string
		port float64
	}{{"10.96.0.1/32", 443}, {"10.20.0.0/24", 443}} {
		if got := get(t, egress[i], "to", 0, "ipBlock", "cidr"); got != want.cidr {
			t.Errorf("rule %d to %v, want %s", i, got, want.cidr)
		}
		if got := get(t, egress[i], "ports", 0, "port"); got != want.port {
			t.Errorf("rule %d port %v, want %v", i, got, want.port)
		}
		if _, ok := recmock.Path(egress[i], "to", 1); ok {
			t.Errorf("rule %d opens more than one peer", i)
		}
	}
}

func TestNewRuntime_FalcoModernEBPFAirGappedRulesAndLoki(t *testing.T) {
	r, err := run(t, prodArgs())
	if err != nil {
		t.Fatal(err)
	}
	in, v := chartValues(t, r.rec, "runtime-falco")
	if in["chart"] != "falco" || get(t, in, "repositoryOpts", "repo") != runtime.DefaultFalcoChartRepository || in["version"] != runtime.FalcoChartVersion || in["namespace"] != "falco" {
		t.Errorf("chart source %v", in)
	}
	for _, c := range []struct {
		path []any
		want any
	}{
		{[]any{"driver", "kind"}, "modern_ebpf"},
		{[]any{"driver", "modernEbpf", "leastPrivileged"}, true},
		{[]any{"driver", "loader", "enabled"}, false},
		{[]any{"falcoctl", "artifact", "install", "enabled"}, false},
		{[]any{"falcoctl", "artifact", "follow", "enabled"}, false},
		{[]any{"falcosidekick", "enabled"}, true},
		{[]any{"falcosidekick", "config", "loki", "hostport"}, "http://loki-gateway.rampart-audit.svc:80"},
		{[]any{"falcosidekick", "config", "loki", "tenant"}, "runtime"},
		{[]any{"falcosidekick", "securityContext", "readOnlyRootFilesystem"}, true},
		{[]any{"falcosidekick", "podSecurityContext", "runAsNonRoot"}, true},
	} {
		if got := get(t, v, c.path...); got != c.want {
			t.Errorf("values %v = %v, want %v", c.path, got, c.want)
		}
	}
	rules, _ := get(t, v, "customRules", "rampart_rules.yaml").(string)
	for _, w := range []string{runtime.RuleShellInRestricted, runtime.RuleWriteBelowEtc, runtime.RuleSATokenRead, runtime.RuleMetadataConnect, "team-a"} {
		if !strings.Contains(rules, w) {
			t.Errorf("customRules lacks %q", w)
		}
	}
	if _, ok := recmock.Path(v, "falcosidekick", "config", "alertmanager"); ok {
		t.Error("alertmanager output configured although no URL was given")
	}
	if len(r.alerting) != 1 || r.alerting[0] != "loki" {
		t.Errorf("alerting %v, want loki only", r.alerting)
	}
}

func TestNewRuntime_AlertmanagerOnlyWhenConfigured(t *testing.T) {
	a := prodArgs()
	a.Falco.AlertmanagerURL = "http://alertmanager.monitoring.svc:9093"
	r, err := run(t, a)
	if err != nil {
		t.Fatal(err)
	}
	_, v := chartValues(t, r.rec, "runtime-falco")
	if got := get(t, v, "falcosidekick", "config", "alertmanager", "hostport"); got != a.Falco.AlertmanagerURL {
		t.Errorf("alertmanager hostport %v", got)
	}
	if len(r.alerting) != 2 || r.alerting[1] != "alertmanager" {
		t.Errorf("alerting %v", r.alerting)
	}
}

func TestNewRuntime_DisabledPartsRegisterNothing(t *testing.T) {
	r, err := run(t, &runtime.RuntimeArgs{})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.rec.ByType(chartType)) + len(r.rec.ByType(policyType)); n != 0 {
		t.Errorf("registered %v with both parts off", r.rec.Names())
	}
}

func TestNewRuntime_RejectsBadConfigAndRegistersNothing(t *testing.T) {
	cases := []struct {
		name string
		mut  func(a *runtime.RuntimeArgs)
		want []string
	}{
		{"chart range", func(a *runtime.RuntimeArgs) { a.Falco.Chart.Version = "9.x" }, []string{"falco.chart.version", "pinned"}},
		{"chart over http", func(a *runtime.RuntimeArgs) { a.TrivyOperator.Chart.Repository = "http://charts.example" },
			[]string{"trivyOperator.chart.repository"}},
		{"no loki", func(a *runtime.RuntimeArgs) { a.Falco.LokiURL = "" }, []string{"falco.lokiUrl", "missing"}},
		{"bad alertmanager", func(a *runtime.RuntimeArgs) { a.Falco.AlertmanagerURL = "alertmanager:9093" }, []string{"falco.alertmanagerUrl"}},
		{"no api server", func(a *runtime.RuntimeArgs) { a.TrivyOperator.APIServer.CIDRs = nil }, []string{"trivyOperator.apiServer.cidrs", "required"}},
		{"registry anywhere", func(a *runtime.RuntimeArgs) { a.TrivyOperator.RegistryCIDRs = []string{"0.0.0.0/0"} },
			[]string{"trivyOperator.registryCidrs[0]", "every address"}},
		{"unknown compliance spec", func(a *runtime.RuntimeArgs) { a.TrivyOperator.Compliance = []runtime.ComplianceSpec{"k8s-foo"} },
			[]string{"trivyOperator.compliance[0]"}},
		{"bad token reader", func(a *runtime.RuntimeArgs) { a.Falco.TokenReaders = []string{"a very long process name"} },
			[]string{"falco.tokenReaders[0]"}},
		{"explicit empty api server ports", func(a *runtime.RuntimeArgs) { a.TrivyOperator.APIServer.Ports = []int{} },
			[]string{`rampart:runtime.trivyOperator.apiServer.ports: []: [] is not "unset": an egress rule without ports opens every port`, "remove the key for the default [443, 6443]"}},
		{"api server port 0", func(a *runtime.RuntimeArgs) { a.TrivyOperator.APIServer.Ports = []int{0} },
			[]string{`rampart:runtime.trivyOperator.apiServer.ports[0]: 0: not a port`}},
		{"explicit empty compliance", func(a *runtime.RuntimeArgs) { a.TrivyOperator.Compliance = []runtime.ComplianceSpec{} },
			[]string{`rampart:runtime.trivyOperator.compliance: []: [] is not "unset"`}},
		{"explicit empty token readers", func(a *runtime.RuntimeArgs) { a.Falco.TokenReaders = []string{} },
			[]string{`rampart:runtime.falco.tokenReaders: []: [] is not "unset"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := prodArgs()
			tc.mut(a)
			if err := a.Validate("rampart:runtime"); err == nil {
				t.Fatal("Validate accepted it")
			} else {
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if !strings.Contains(err.Error(), "rampart:runtime.") {
					t.Errorf("error %q not at its config path", err)
				}
			}
			r, err := run(t, a)
			if err == nil {
				t.Fatal("NewRuntime accepted it")
			}
			if n := r.rec.Len(); n != 0 {
				t.Errorf("registered %v", r.rec.Names())
			}
		})
	}
}
