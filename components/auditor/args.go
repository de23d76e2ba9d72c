package auditor

import (
	"cmp"
	"fmt"
	"strings"
	"unicode"

	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// SubjectKind is the kind of an RBAC subject.
type SubjectKind string

// The three RBAC subject kinds.
const (
	SubjectUser           SubjectKind = "User"
	SubjectGroup          SubjectKind = "Group"
	SubjectServiceAccount SubjectKind = "ServiceAccount"
)

// Subject is one identity bound to a checker's role: a user or group as the
// API server authenticates it (an OIDC login, with its claim prefix, e.g.
// "oidc:alice@example.gov.uk"), or a ServiceAccount.
type Subject struct {
	// Kind is User, Group or ServiceAccount. Required.
	Kind SubjectKind `json:"kind"`
	// Name is the user name, group name or ServiceAccount name. Required.
	Name string `json:"name"`
	// Namespace is the ServiceAccount's namespace: required for a
	// ServiceAccount, refused for a user or group (they have none).
	Namespace string `json:"namespace,omitempty"`
}

// Username is the name the API server gives the subject's requests
// (request.userInfo.username): the name of a user,
// system:serviceaccount:<namespace>:<name> for a ServiceAccount, and ""
// for a group (a group is matched on request.userInfo.groups).
func (s Subject) Username() string {
	switch s.Kind {
	case SubjectUser:
		return s.Name
	case SubjectServiceAccount:
		return "system:serviceaccount:" + s.Namespace + ":" + s.Name
	}
	return ""
}

// String is "Kind name" or "ServiceAccount namespace/name".
func (s Subject) String() string {
	if s.Kind == SubjectServiceAccount {
		return string(s.Kind) + " " + s.Namespace + "/" + s.Name
	}
	return string(s.Kind) + " " + s.Name
}

// IdentityArgs says who holds one checker role (keys auditor and verifier).
type IdentityArgs struct {
	// ServiceAccount creates the role's own ServiceAccount (rampart-auditor
	// or rampart-verifier) in CheckersArgs.Namespace, without token
	// automount, and binds it. Default true: a short-lived token minted for
	// it (`kubectl create token`) is the least a CI job or an operator needs.
	// false with no subjects is refused: nobody would hold the role.
	ServiceAccount *bool `json:"serviceAccount,omitempty"`
	// Subjects are further identities bound to the role, e.g. an OIDC group
	// of compliance officers for the auditor. Never a group that takes in
	// everyone (system:authenticated, system:unauthenticated,
	// system:serviceaccounts[:<namespace>]) nor another Kubernetes system
	// identity. A verifier subject is held by the admission policy in
	// everything it writes to pods, namespaces and RoleBindings: name an
	// identity used for nothing else. Default none.
	Subjects []Subject `json:"subjects,omitempty"`
}

// CheckersArgs configures Rampart's own least-privilege identities: the
// read-only auditor (rampart check --refresh/--live, rampart drift) and the
// verifier (rampart verify). ITSG-33 AC-6; NIS2 Art. 21(2)(i).
type CheckersArgs struct {
	// Namespace holds the ServiceAccounts; default "rampart-system". It also
	// names the cluster-scoped objects ("<namespace>-auditor", …), so two
	// stacks on one cluster never share one. Anyone who can create pods in
	// it can run as its ServiceAccounts: keep it a platform namespace.
	Namespace string `json:"namespace,omitempty"`
	// Auditor holds the read-only roles: get/list on exactly the live
	// inventory's kinds (helpers/inventorykinds) and get on the kinds the
	// stack declares (a refresh reads them back), never a Secret.
	Auditor IdentityArgs `json:"auditor,omitempty"`
	// Verifier holds what rampart verify needs: probe pods (and their logs)
	// in the managed namespaces, a throwaway rampart-verify-* namespace, and
	// /readyz; an admission policy refuses any write of its that is not a
	// labelled probe.
	Verifier IdentityArgs `json:"verifier,omitempty"`
	// ManagedNamespaces are the stack's namespaces (the stack passes them;
	// not a config key): the auditor reads namespaced kinds and the verifier
	// runs probes in these only.
	ManagedNamespaces []string `json:"-"`
}

// DefaultNamespace holds the checkers' ServiceAccounts by default.
const DefaultNamespace = "rampart-system"

// ServiceAccount names (in CheckersArgs.Namespace).
const (
	AuditorServiceAccount  = "rampart-auditor"
	VerifierServiceAccount = "rampart-verifier"
)

// Enabled reports a *bool that defaults to true.
func Enabled(b *bool) bool { return b == nil || *b }

func (a *CheckersArgs) withDefaults() *CheckersArgs {
	out := *a
	out.Namespace = cmp.Or(out.Namespace, DefaultNamespace)
	return &out
}

// Names are the Kubernetes names of the objects NewCheckers renders.
type Names struct {
	// AuditorClusterRole reads the cluster-scoped kinds; bound cluster-wide.
	AuditorClusterRole string
	// AuditorNamespacedRole reads the namespaced kinds; bound in each
	// managed namespace by a RoleBinding of the same name.
	AuditorNamespacedRole string
	// VerifierClusterRole: the throwaway namespace, its RoleBinding, /readyz.
	VerifierClusterRole string
	// VerifierProbeRole: probe pods and their logs in one namespace; bound
	// in each managed namespace by a RoleBinding of the same name, and by
	// rampart verify in its throwaway namespace.
	VerifierProbeRole string
	// Policy is the ValidatingAdmissionPolicy (and its binding) that holds
	// the verifier to labelled probes.
	Policy string
}

// ObjectNames are the names of the objects for a checkers namespace.
// Cluster-scoped names start with the namespace: stacks sharing a cluster
// (the lab's local and e2e stacks) each get their own.
func ObjectNames(namespace string) Names {
	return Names{
		AuditorClusterRole:    kname.Join(namespace, "auditor"),
		AuditorNamespacedRole: kname.Join(namespace, "auditor", "namespaced"),
		VerifierClusterRole:   kname.Join(namespace, "verifier"),
		VerifierProbeRole:     kname.Join(namespace, "verifier", "probes"),
		Policy:                kname.Join(namespace, "verifier", "probes-only"),
	}
}

// broadGroups take in identities nobody chose: binding a role to one hands
// it to every such identity.
var broadGroups = map[string]string{
	"system:authenticated":   "every authenticated user and ServiceAccount",
	"system:unauthenticated": "every anonymous request",
	"system:serviceaccounts": "every ServiceAccount of the cluster",
}

// Validate reports every problem with the args, each under path (the
// config key of these args, e.g. "rampart:checkers"). It checks the args as
// NewCheckers uses them (defaults applied to a copy).
func (a *CheckersArgs) Validate(path string) error {
	d := a.withDefaults()
	var l verr.List
	p := func(s string) string { return verr.Path(path, s) }
	kname.CheckNamespace(&l, p("namespace"), d.Namespace)
	seen := map[string]int{}
	for i, ns := range d.ManagedNamespaces {
		key := p(fmt.Sprintf("managedNamespaces[%d]", i))
		kname.CheckNamespace(&l, key, ns)
		if j, dup := seen[ns]; dup {
			l.Add(key, ns, fmt.Sprintf("duplicate of managedNamespaces[%d]", j), "pass each namespace once")
		}
		seen[ns] = i
	}
	for _, id := range []struct {
		key, sa string
		args    IdentityArgs
	}{{"auditor", AuditorServiceAccount, d.Auditor}, {"verifier", VerifierServiceAccount, d.Verifier}} {
		validateIdentity(&l, p(id.key), id.args, Subject{SubjectServiceAccount, id.sa, d.Namespace})
	}
	return l.Err()
}

// validateIdentity checks one role's holders; own is its ServiceAccount.
func validateIdentity(l *verr.List, path string, a IdentityArgs, own Subject) {
	p := func(s string) string { return verr.Path(path, s) }
	if !Enabled(a.ServiceAccount) && len(a.Subjects) == 0 {
		l.Add(p("subjects"), verr.Raw("[]"), "serviceAccount is false and no subject is named: nobody would hold the role",
			"name a subject {kind, name[, namespace]} or remove serviceAccount: false")
	}
	seen := map[Subject]string{}
	if Enabled(a.ServiceAccount) {
		seen[own] = p("serviceAccount") + " (the default " + own.String() + ")"
	}
	for i, s := range a.Subjects {
		at := p(fmt.Sprintf("subjects[%d]", i))
		validateSubject(l, at, s)
		if prev, dup := seen[s]; dup {
			l.Add(at, verr.Raw(s.String()), "duplicate of "+prev, "name each subject once")
			continue
		}
		seen[s] = at
	}
}

// validateSubject checks one subject: a known kind, a name, a namespace
// exactly for a ServiceAccount, and no identity that takes in everyone.
func validateSubject(l *verr.List, path string, s Subject) {
	p := func(sub string) string { return verr.Path(path, sub) }
	switch s.Kind {
	case SubjectUser, SubjectGroup, SubjectServiceAccount:
	default:
		l.Add(p("kind"), string(s.Kind), "not an RBAC subject kind", "use User, Group or ServiceAccount")
		return
	}
	if strings.TrimSpace(s.Name) == "" {
		l.Add(p("name"), s.Name, "missing", "name the "+strings.ToLower(string(s.Kind)))
		return
	}
	if strings.IndexFunc(s.Name, unicode.IsControl) >= 0 || strings.TrimSpace(s.Name) != s.Name {
		l.Add(p("name"), s.Name, "holds control characters or surrounding spaces, which no authenticator issues", "write the name as the API server reports it")
		return
	}
	if s.Kind == SubjectServiceAccount {
		if s.Namespace == "" {
			l.Add(p("namespace"), s.Namespace, "missing: a ServiceAccount lives in a namespace", "set namespace to the ServiceAccount's namespace")
		} else {
			kname.CheckNamespace(l, p("namespace"), s.Namespace)
		}
		if msgs := validation.IsDNS1123Subdomain(s.Name); len(msgs) > 0 {
			l.Add(p("name"), s.Name, "not a ServiceAccount name: "+strings.Join(msgs, "; "), "use lower-case letters, digits, '-' and '.'")
		}
		return
	}
	if s.Namespace != "" {
		l.Add(p("namespace"), s.Namespace, "only a ServiceAccount has a namespace; a "+strings.ToLower(string(s.Kind))+" is cluster-wide",
			"remove namespace, or use kind ServiceAccount")
	}
	const fix = "name a dedicated identity, e.g. an OIDC group mapped with a prefix (oidc:rampart-auditors) or a ServiceAccount"
	switch {
	case s.Kind == SubjectGroup && broadGroups[s.Name] != "":
		l.Add(p("name"), s.Name, "binds the role to "+broadGroups[s.Name], fix)
	case s.Kind == SubjectGroup && strings.HasPrefix(s.Name, "system:serviceaccounts:"):
		l.Add(p("name"), s.Name, "binds the role to every ServiceAccount of namespace "+strings.TrimPrefix(s.Name, "system:serviceaccounts:")+
			", and so to anyone who can run a pod there", fix)
	case s.Kind == SubjectGroup && strings.HasPrefix(s.Name, "system:"):
		l.Add(p("name"), s.Name, "a Kubernetes system group (its members are cluster components, e.g. every node)", fix)
	case s.Kind == SubjectUser && strings.HasPrefix(s.Name, "system:serviceaccount:"):
		l.Add(p("name"), s.Name, "a ServiceAccount written as a user", "use kind ServiceAccount with its namespace and name")
	case s.Kind == SubjectUser && s.Name == "system:anonymous":
		l.Add(p("name"), s.Name, "binds the role to every anonymous request", fix)
	case s.Kind == SubjectUser && strings.HasPrefix(s.Name, "system:"):
		l.Add(p("name"), s.Name, "a Kubernetes component's own identity", fix)
	}
}
