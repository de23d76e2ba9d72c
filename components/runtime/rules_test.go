package runtime_test

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/rampart-dev/rampart/components/runtime"
)

// parsedRulesFile reads the rendered rules file back as Falco would: a YAML
// sequence of list and rule items.
func parsedRulesFile(t *testing.T, f *runtime.FalcoArgs) (map[string][]string, map[string]map[string]any) {
	t.Helper()
	src, err := runtime.RulesYAML(f)
	if err != nil {
		t.Fatal(err)
	}
	var items []map[string]any
	if err := yaml.Unmarshal([]byte(src), &items); err != nil {
		t.Fatalf("rules file is not YAML: %v\n%s", err, src)
	}
	lists, rules := map[string][]string{}, map[string]map[string]any{}
	for _, it := range items {
		switch {
		case it["list"] != nil:
			var xs []string
			for _, x := range it["items"].([]any) {
				xs = append(xs, x.(string))
			}
			lists[it["list"].(string)] = xs
		case it["rule"] != nil:
			rules[it["rule"].(string)] = it
		default:
			t.Errorf("item is neither a list nor a rule: %v", it)
		}
	}
	return lists, rules
}

func TestRulesYAML_EveryRuleHasItsFieldsAndConditions(t *testing.T) {
	f := &runtime.FalcoArgs{RestrictedNamespaces: []string{"team-a", "openbao"}, TokenReaders: []string{"trivy-operator"}, MetadataAddress: "169.254.169.254"}
	lists, rules := parsedRulesFile(t, f)
	if got := strings.Join(lists["rampart_restricted_namespaces"], ","); got != "team-a,openbao" {
		t.Errorf("restricted namespaces list %q", got)
	}
	if got := strings.Join(lists["rampart_token_readers"], ","); got != "trivy-operator" {
		t.Errorf("token readers list %q", got)
	}
	if !strings.Contains(strings.Join(lists["rampart_shells"], ","), "bash") {
		t.Errorf("shells list %v", lists["rampart_shells"])
	}
	want := map[string]struct {
		priority  string
		condition []string
		tag       string
	}{
		runtime.RuleShellInRestricted: {"WARNING", []string{"spawned_process", "container", "proc.name in (rampart_shells)", "k8s.ns.name in (rampart_restricted_namespaces)"}, "mitre_execution"},
		runtime.RuleWriteBelowEtc:     {"ERROR", []string{"open_write", "container", "fd.name startswith /etc/"}, "mitre_persistence"},
		runtime.RuleSATokenRead: {"WARNING", []string{"open_read", "fd.name startswith /var/run/secrets/kubernetes.io/serviceaccount/",
			"fd.name startswith /run/secrets/kubernetes.io/serviceaccount/", "fd.filename = token", "not proc.name in (rampart_token_readers)"}, "mitre_credential_access"},
		runtime.RuleMetadataConnect: {"CRITICAL", []string{"outbound", "container", `fd.sip = "169.254.169.254"`}, "T1552.005"},
	}
	if len(rules) != len(want) {
		t.Errorf("rules %d, want %d", len(rules), len(want))
	}
	for name, w := range want {
		r, ok := rules[name]
		if !ok {
			t.Errorf("rule %q missing", name)
			continue
		}
		for _, field := range []string{"rule", "desc", "condition", "output", "priority", "tags"} {
			if r[field] == nil || r[field] == "" {
				t.Errorf("rule %q: field %s empty", name, field)
			}
		}
		if r["priority"] != w.priority {
			t.Errorf("rule %q: priority %v, want %s", name, r["priority"], w.priority)
		}
		cond, _ := r["condition"].(string)
		for _, c := range w.condition {
			if !strings.Contains(cond, c) {
				t.Errorf("rule %q: condition %q lacks %q", name, cond, c)
			}
		}
		out, _ := r["output"].(string)
		for _, field := range []string{"%k8s.ns.name", "%k8s.pod.name", "%container.name", "%proc.name"} {
			if !strings.Contains(out, field) {
				t.Errorf("rule %q: output %q lacks %s", name, out, field)
			}
		}
		tags := map[string]bool{}
		for _, tg := range r["tags"].([]any) {
			tags[tg.(string)] = true
		}
		if !tags["rampart"] || !tags[w.tag] {
			t.Errorf("rule %q: tags %v lack rampart and %s", name, r["tags"], w.tag)
		}
	}
}

func TestRulesYAML_EmptyNamespaceListStaysValid(t *testing.T) {
	lists, _ := parsedRulesFile(t, &runtime.FalcoArgs{MetadataAddress: "169.254.169.254"})
	if got := lists["rampart_restricted_namespaces"]; len(got) != 1 || got[0] != `"<none>"` {
		t.Errorf("empty namespace list rendered as %v", got)
	}
}
