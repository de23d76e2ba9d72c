package runtime

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

// FalcoRule is one Falco rule as the rules file spells it.
type FalcoRule struct {
	Rule      string   `yaml:"rule"`
	Desc      string   `yaml:"desc"`
	Condition string   `yaml:"condition"`
	Output    string   `yaml:"output"`
	Priority  Priority `yaml:"priority"`
	Tags      []string `yaml:"tags"`
}

// FalcoList is a named Falco list.
type FalcoList struct {
	List  string   `yaml:"list"`
	Items []string `yaml:"items"`
}

// Names of Rampart's rules and lists.
const (
	RuleShellInRestricted = "Rampart shell in a restricted namespace"
	RuleWriteBelowEtc     = "Rampart write below /etc"
	RuleSATokenRead       = "Rampart ServiceAccount token read by an unexpected process"
	RuleMetadataConnect   = "Rampart connection to the cloud metadata address"

	listShells        = "rampart_shells"
	listRestrictedNS  = "rampart_restricted_namespaces"
	listTokenReaders  = "rampart_token_readers" //nolint:gosec // a Falco list name, not a credential
	rulesFileName     = "rampart_rules.yaml"
	saTokenDir        = "/var/run/secrets/kubernetes.io/serviceaccount" //nolint:gosec // a path Falco watches, not a credential
	saTokenDirRunLink = "/run/secrets/kubernetes.io/serviceaccount"     //nolint:gosec // a path Falco watches, not a credential
)

// DefaultTokenReaders are processes expected to read their own pod's
// ServiceAccount token (Kubernetes clients of the platform itself).
var DefaultTokenReaders = []string{"trivy-operator", "falcosidekick", "cert-manager", "cainjector", "envoy-gateway", "bao", "kubectl"}

// shells are the interactive shells watched in restricted namespaces.
var shells = []string{"sh", "bash", "dash", "ash", "zsh", "ksh", "csh", "tcsh", "fish", "busybox"}

// Rules returns Rampart's own Falco rules for the args. The conditions use
// the macros of Falco's default rules file (spawned_process, container,
// open_write, open_read, outbound), which the falco image ships in
// /etc/falco/falco_rules.yaml and which rules_files loads before
// rules.d, where the chart puts customRules.
func Rules(f *FalcoArgs) ([]FalcoList, []FalcoRule) {
	nss := f.RestrictedNamespaces
	if len(nss) == 0 {
		// An empty list would make the rule match nothing silently; the
		// placeholder keeps the syntax valid and the intent visible.
		nss = []string{"<none>"}
	}
	lists := []FalcoList{
		{List: listShells, Items: shells},
		{List: listRestrictedNS, Items: quoteAll(nss)},
		{List: listTokenReaders, Items: f.TokenReaders},
	}
	tags := func(extra ...string) []string { return append([]string{"rampart", "container"}, extra...) }
	rules := []FalcoRule{
		{
			Rule:      RuleShellInRestricted,
			Desc:      "An interactive shell started in a container of a namespace that enforces Pod Security restricted; restricted workloads have no reason to spawn one.",
			Condition: fmt.Sprintf("spawned_process and container and proc.name in (%s) and k8s.ns.name in (%s)", listShells, listRestrictedNS),
			Output:    "Shell in a restricted namespace (ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name shell=%proc.name parent=%proc.pname cmdline=%proc.cmdline user=%user.name image=%container.image.repository)",
			Priority:  PriorityWarning,
			Tags:      tags("shell", "mitre_execution", "T1059"),
		},
		{
			Rule:      RuleWriteBelowEtc,
			Desc:      "A file below /etc opened for writing inside a container; configuration is immutable at run time (read-only root filesystems).",
			Condition: "open_write and container and fd.name startswith /etc/",
			Output:    "File below /etc opened for writing (file=%fd.name ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name process=%proc.name cmdline=%proc.cmdline user=%user.name)",
			Priority:  PriorityError,
			Tags:      tags("filesystem", "mitre_persistence", "T1546"),
		},
		{
			Rule: RuleSATokenRead,
			Desc: "A ServiceAccount token read by a process not listed as a Kubernetes client; tokens are how a compromised container reaches the API server.",
			Condition: fmt.Sprintf("open_read and container and (fd.name startswith %s/ or fd.name startswith %s/) and fd.filename = token and not proc.name in (%s)",
				saTokenDir, saTokenDirRunLink, listTokenReaders),
			Output:   "ServiceAccount token read (file=%fd.name ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name process=%proc.name cmdline=%proc.cmdline)",
			Priority: PriorityWarning,
			Tags:     tags("credentials", "mitre_credential_access", "T1528"),
		},
		{
			Rule:      RuleMetadataConnect,
			Desc:      "An outbound connection from a container to the cloud metadata address, the classic SSRF target for node credentials (the STOA security hardening checklist's blocklist).",
			Condition: fmt.Sprintf("outbound and container and fd.sip = %q", f.MetadataAddress),
			Output:    "Connection to the cloud metadata address (connection=%fd.name ns=%k8s.ns.name pod=%k8s.pod.name container=%container.name process=%proc.name cmdline=%proc.cmdline)",
			Priority:  PriorityCritical,
			Tags:      tags("network", "mitre_credential_access", "T1552.005"),
		},
	}
	return lists, rules
}

// quoteAll quotes items for a Falco list of strings with characters Falco's
// tokenizer would split (none for DNS labels, but "<none>" needs it).
func quoteAll(items []string) []string {
	out := make([]string, len(items))
	for i, s := range items {
		if strings.ContainsAny(s, "<> ,()") {
			s = fmt.Sprintf("%q", s)
		}
		out[i] = s
	}
	return out
}

// RulesYAML renders Rampart's rules file (lists first: rules refer to them).
func RulesYAML(f *FalcoArgs) (string, error) {
	lists, rules := Rules(f)
	doc := make([]any, 0, len(lists)+len(rules))
	for _, l := range lists {
		doc = append(doc, l)
	}
	for _, r := range rules {
		doc = append(doc, r)
	}
	b, err := yaml.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("falco rules: %w", err)
	}
	return string(b), nil
}
