package podsecurity_test

import (
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/podsecurity"
)

func restrictedPod() map[string]any {
	return map[string]any{
		"metadata": map[string]any{"labels": map[string]any{"app": "x"}},
		"spec": map[string]any{
			"securityContext": map[string]any{"runAsNonRoot": true, "seccompProfile": map[string]any{"type": "RuntimeDefault"}},
			"containers": []any{map[string]any{
				"name": "app", "image": "registry.example/app@sha256:00",
				"securityContext": map[string]any{"allowPrivilegeEscalation": false, "capabilities": map[string]any{"drop": []any{"ALL"}}},
			}},
		},
	}
}

func privilegedPod() map[string]any {
	return map[string]any{
		"spec": map[string]any{
			"hostPID": true,
			"containers": []any{map[string]any{
				"name": "agent", "image": "registry.example/agent@sha256:00",
				"securityContext": map[string]any{"privileged": true},
			}},
		},
	}
}

func deployment(name, ns string, pod any) map[string]any {
	meta := map[string]any{"name": name}
	if ns != "" {
		meta["namespace"] = ns
	}
	return map[string]any{"metadata": meta, "spec": map[string]any{"template": pod}}
}

var falcoExemption = []podsecurity.Exemption{{Namespace: "falco", Level: "privileged", Justification: "eBPF driver needs host access on every node", Control: "ISM-1034"}}

func TestDecidePodSecurity_AdmitsExemptsSkipsAndRefuses(t *testing.T) {
	withUnknownImage := restrictedPod()
	withUnknownImage["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["image"] = podsecurity.Unknown
	cases := []struct {
		name, typ string
		props     map[string]any
		ex        []podsecurity.Exemption
		want      podsecurity.Outcome
		wantErr   []string
	}{
		{"compliant deployment", "kubernetes:apps/v1:Deployment", deployment("web", "team-a", restrictedPod()), nil, podsecurity.Admitted, nil},
		{"compliant pod", "kubernetes:core/v1:Pod", func() map[string]any {
			p := restrictedPod()
			p["metadata"] = map[string]any{"name": "p", "namespace": "team-a"}
			return p
		}(), nil, podsecurity.Admitted, nil},
		{"privileged deployment in a restricted namespace", "kubernetes:apps/v1:Deployment", deployment("agent", "team-a", privilegedPod()), nil, "",
			[]string{`kubernetes:apps/v1:Deployment "agent" in namespace "team-a"`, "restricted", "privileged", "host namespaces", "runAsNonRoot", "seccompProfile"}},
		{"privileged daemonset without namespace is checked in default", "kubernetes:apps/v1:DaemonSet", deployment("agent", "", privilegedPod()), falcoExemption, "",
			[]string{`in namespace "default"`, "privileged"}},
		{"privileged cronjob", "kubernetes:batch/v1:CronJob", map[string]any{"metadata": map[string]any{"name": "c", "namespace": "team-a"},
			"spec": map[string]any{"jobTemplate": map[string]any{"spec": map[string]any{"template": privilegedPod()}}}}, nil, "", []string{"kubernetes:batch/v1:CronJob", "privileged"}},
		{"privileged in the exempted namespace", "kubernetes:apps/v1:DaemonSet", deployment("falco", "falco", privilegedPod()), falcoExemption, podsecurity.Exempted, nil},
		{"compliant in the exempted namespace needs no exemption", "kubernetes:apps/v1:Deployment", deployment("web", "falco", restrictedPod()), falcoExemption, podsecurity.Admitted, nil},
		{"privileged in a baseline exemption is still refused", "kubernetes:apps/v1:Deployment", deployment("agent", "falco", privilegedPod()),
			[]podsecurity.Exemption{{Namespace: "falco", Level: "baseline", Justification: "x", Control: "y"}}, "", []string{"baseline", "privileged"}},
		{"unknown namespace is skipped", "kubernetes:apps/v1:Deployment", deployment("agent", "", privilegedPod()), nil, podsecurity.Skipped, nil},
		{"unknown container field is skipped", "kubernetes:apps/v1:Deployment", deployment("web", "team-a", withUnknownImage), nil, podsecurity.Skipped, nil},
		{"unknown template is skipped", "kubernetes:apps/v1:StatefulSet", deployment("db", "team-a", podsecurity.Unknown), nil, podsecurity.Skipped, nil},
		{"not a pod", "kubernetes:core/v1:ConfigMap", map[string]any{"data": map[string]any{"privileged": "true"}}, nil, podsecurity.NotAPod, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "unknown namespace is skipped" {
				tc.props["metadata"].(map[string]any)["namespace"] = podsecurity.Unknown
			}
			d, err := podsecurity.Decide(tc.typ, "logical", tc.props, tc.ex)
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("admitted (%+v), want a violation", d)
				}
				for _, w := range tc.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not mention %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if d.Outcome != tc.want {
				t.Fatalf("outcome %q, want %q (%+v)", d.Outcome, tc.want, d)
			}
			if tc.want == podsecurity.Exempted && (d.Level != "privileged" || !strings.Contains(d.Detail, "ISM-1034")) {
				t.Errorf("exemption not reported with its level and control: %+v", d)
			}
			if tc.want == podsecurity.Skipped && !strings.Contains(d.Detail, "not known yet") {
				t.Errorf("skip does not say why: %+v", d)
			}
		})
	}
}
