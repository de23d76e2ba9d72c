package namespace_test

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/internal/recmock"
)

func run(t *testing.T, args *namespace.NamespaceArgs) (*recmock.Recorder, error) {
	t.Helper()
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error {
		_, err := namespace.NewNamespace(ctx, "team", args)
		return err
	})
	return rec, err
}

func TestNamespace_RestrictedByDefault(t *testing.T) {
	rec, err := run(t, &namespace.NamespaceArgs{Name: "team-a"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"kubernetes:core/v1:LimitRange/team-limits",
		"kubernetes:core/v1:Namespace/team-ns",
		"kubernetes:core/v1:ResourceQuota/team-quota",
		"kubernetes:core/v1:ServiceAccount/team-default-sa",
		"rampart:namespace:Namespace/team",
	}
	if got := strings.Join(rec.Names(), ","); got != strings.Join(want, ",") {
		t.Fatalf("resources = %v, want %v", rec.Names(), want)
	}
	for _, r := range rec.All() {
		if r.Type != namespace.TypeToken && r.ParentName() != "team" {
			t.Errorf("%s/%s parent = %q, want the component", r.Type, r.Name, r.ParentName())
		}
	}
	ns, _ := rec.Get("kubernetes:core/v1:Namespace", "team-ns")
	labels, _ := recmock.Path(ns.Plain(), "metadata", "labels")
	for k, v := range map[string]string{
		namespace.LabelEnforce: "restricted", namespace.LabelAudit: "restricted", namespace.LabelWarn: "restricted",
		namespace.LabelEnforceVersion: "latest", namespace.LabelAuditVersion: "latest", namespace.LabelWarnVersion: "latest",
		namespace.LabelManagedBy: "rampart",
	} {
		if got := labels.(map[string]any)[k]; got != v {
			t.Errorf("label %s = %v, want %s", k, got, v)
		}
	}
	sa, _ := rec.Get("kubernetes:core/v1:ServiceAccount", "team-default-sa")
	if !sa.Retain {
		t.Error("default SA is not RetainOnDelete: deleting it never finishes while the controller manager recreates it")
	}
	if sa.Plain()["automountServiceAccountToken"] != false {
		t.Errorf("default SA automount = %v, want false", sa.Plain()["automountServiceAccountToken"])
	}
	if name, _ := recmock.Path(sa.Plain(), "metadata", "name"); name != "default" {
		t.Errorf("SA name = %v", name)
	}
	q, _ := rec.Get("kubernetes:core/v1:ResourceQuota", "team-quota")
	hard, _ := recmock.Path(q.Plain(), "spec", "hard")
	if h := hard.(map[string]any); h["pods"] != "50" || h["limits.memory"] != "16Gi" {
		t.Errorf("quota = %v", h)
	}
	lr, _ := rec.Get("kubernetes:core/v1:LimitRange", "team-limits")
	if d, _ := recmock.Path(lr.Plain(), "spec", "limits", 0, "default", "memory"); d != "512Mi" {
		t.Errorf("limit range default memory = %v", d)
	}
}

func TestNamespace_ExemptionEnforcesItsLevelButAuditsRestricted(t *testing.T) {
	rec, err := run(t, &namespace.NamespaceArgs{Name: "falco", PSSVersion: "v1.34", Exemption: &namespace.Exemption{
		Level: namespace.PSSPrivileged, Justification: "kernel driver needs host access", Control: "ISM-1034",
	}})
	if err != nil {
		t.Fatal(err)
	}
	ns, _ := rec.Get("kubernetes:core/v1:Namespace", "team-ns")
	labels, _ := recmock.Path(ns.Plain(), "metadata", "labels")
	l := labels.(map[string]any)
	if l[namespace.LabelEnforce] != "privileged" || l[namespace.LabelAudit] != "restricted" || l[namespace.LabelWarn] != "restricted" {
		t.Errorf("labels = %v", l)
	}
	if l[namespace.LabelEnforceVersion] != "v1.34" {
		t.Errorf("version = %v", l[namespace.LabelEnforceVersion])
	}
}

func TestNamespace_QuotaOverridesKeepDefaultsForUnsetFields(t *testing.T) {
	rec, err := run(t, &namespace.NamespaceArgs{Name: "team-a", Quota: &namespace.Quota{Pods: namespace.PodCount(7), LimitsMemory: "1Gi", RequestsMemory: "512Mi"}})
	if err != nil {
		t.Fatal(err)
	}
	q, _ := rec.Get("kubernetes:core/v1:ResourceQuota", "team-quota")
	hard, _ := recmock.Path(q.Plain(), "spec", "hard")
	h := hard.(map[string]any)
	if h["pods"] != "7" || h["limits.memory"] != "1Gi" || h["requests.cpu"] != "4" {
		t.Errorf("quota = %v", h)
	}
}

func TestNamespace_RejectsBadArgsAndRegistersNothing(t *testing.T) {
	cases := []struct {
		name string
		args namespace.NamespaceArgs
		want string
	}{
		{"upper-case name", namespace.NamespaceArgs{Name: "Team"}, ".name: \"Team\""},
		{"long name", namespace.NamespaceArgs{Name: strings.Repeat("a", 64)}, ".name:"},
		{"privileged without justification", namespace.NamespaceArgs{Name: "x", Exemption: &namespace.Exemption{Level: namespace.PSSPrivileged, Control: "ISM-1034"}}, ".exemption.justification"},
		{"exemption without control", namespace.NamespaceArgs{Name: "x", Exemption: &namespace.Exemption{Level: namespace.PSSBaseline, Justification: "a long enough justification"}}, ".exemption.control"},
		{"restricted exemption", namespace.NamespaceArgs{Name: "x", Exemption: &namespace.Exemption{Level: namespace.PSSRestricted, Justification: "a long enough justification", Control: "c"}}, ".exemption.level"},
		{"bad version", namespace.NamespaceArgs{Name: "x", PSSVersion: "1.34"}, ".pssVersion"},
		{"bad quantity", namespace.NamespaceArgs{Name: "x", Quota: &namespace.Quota{LimitsCPU: "lots"}}, ".quota.limitsCpu"},
		{"requests above limits", namespace.NamespaceArgs{Name: "x", Quota: &namespace.Quota{RequestsCPU: "9", LimitsCPU: "8"}}, ".quota.requestsCpu"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rec, err := run(t, &tc.args)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to name %q", err, tc.want)
			}
			if rec.Len() != 0 {
				t.Fatalf("registered %v despite invalid args", rec.Names())
			}
		})
	}
}
