package trivyscan

import (
	"fmt"
	"strings"

	"github.com/rampart-dev/rampart/components/auditor"
	"github.com/rampart-dev/rampart/components/rbac"
	"github.com/rampart-dev/rampart/helpers/identity"
	"github.com/rampart-dev/rampart/infra/config"
)

// allowance exempts one Trivy check on one object. Object is the table's
// object column ("Kind namespace/name"). Keep this list short: a finding
// belongs fixed in the component that renders the object; an entry is for a
// finding that is right about the object but wrong about the risk here.
type allowance struct {
	CheckID       string
	Object        string
	Justification string // at least 20 characters: why the finding does not apply
}

// allowList is the scan's own exemptions, beside the stack's namespace
// exemptions: the verifier's ClusterRole as components/auditor names it for
// the checkers namespaces the scans render (the prod stack's rampart-system
// and the live scan's prefixed one).
var allowList = append(verifierAllowances("rampart-system", livePrefix+"rampart-system"),
	rbacAllowances(rbac.DefaultNamePrefix, liveRBACPrefix)...)

// rbacAllowances exempts, on the platform roles' ClusterRoles of each
// components/rbac name prefix, the findings that are what each role is for:
// Trivy flags any role that touches Secrets, exec, networking, RBAC or
// admission, and these roles exist to hand exactly those duties to the
// people the realm's groups name (the compliance item rbac-bindings judges
// the same roles for least verbs and their bindings).
func rbacAllowances(prefixes ...string) []allowance {
	const (
		tenantScoped = "bound only by RoleBinding in its own tenant's namespace to that tenant's OIDC group, never cluster-wide"
		hardwareKey  = "; the realm asks a user-verifying hardware key of this role"
	)
	var out []allowance
	for _, p := range prefixes {
		n := rbac.ObjectNames(p)
		role := func(r identity.Role) string { return "ClusterRole " + n.Roles[r] }
		out = append(out,
			allowance{"KSV-0041", role(identity.DevOps), "Secrets are create and delete only for devops (a pipeline supplies a credential without reading it back); " + tenantScoped},
			allowance{"KSV-0056", role(identity.DevOps), "Services and Gateway API routes of the tenant's apps; NetworkPolicies stay read-only; " + tenantScoped},
			allowance{"KSV-0041", role(identity.TenantAdmin), "the tenant's administrator reads and writes its Secrets; " + tenantScoped + hardwareKey},
			allowance{"KSV-0053", role(identity.TenantAdmin), "exec into the tenant's own pods for operations; " + tenantScoped + hardwareKey},
			allowance{"KSV-0056", role(identity.TenantAdmin), "Services and Gateway API routes of the tenant's apps; NetworkPolicies stay read-only; " + tenantScoped + hardwareKey},
		)
		for _, id := range []string{"KSV-0041", "KSV-0050", "KSV-0053", "KSV-0056", "KSV-0114"} {
			out = append(out, allowance{id, role(identity.PlatformAdmin), "platform-admin operates the platform in place of cluster-admin: bound only to the platform-admins group" + hardwareKey +
				"; without escalate, bind or impersonate it can grant only rights it holds"})
		}
	}
	return out
}

// verifierAllowances exempts KSV-0050 ("Manage Kubernetes RBAC resources")
// on the verifier's ClusterRole of each checkers namespace. The finding is
// right about the object — it may create RoleBindings — and wrong about
// the risk here: its `bind` is narrowed by resourceNames to the probe role
// (pods and pods/log only), so RBAC's escalation check lets it bind nothing
// else, and the verifier's ValidatingAdmissionPolicy (Deny, failurePolicy
// Fail) admits its RoleBindings only in labelled rampart-verify-*
// namespaces, to that role, for its own subjects. `rampart check --live`
// fails the binding the moment that policy is missing or no longer denies
// (compliance/rbacpolicy.go), so the exemption stands only while the
// control behind it does.
func verifierAllowances(namespaces ...string) []allowance {
	var out []allowance
	for _, ns := range namespaces {
		out = append(out, allowance{CheckID: "KSV-0050", Object: "ClusterRole " + auditor.ObjectNames(ns).VerifierClusterRole,
			Justification: "bind is narrowed to the probe role and the verifier's admission policy holds its RoleBindings to rampart-verify-* namespaces; check --live fails it when that policy stops denying"})
	}
	return out
}

// minJustification is the shortest justification an exemption may carry.
const minJustification = 20

// workloadKinds carry a pod template: the only objects a namespace's Pod
// Security exemption speaks for.
var workloadKinds = map[string]bool{"Pod": true, "Deployment": true, "StatefulSet": true, "DaemonSet": true,
	"ReplicaSet": true, "Job": true, "CronJob": true, "ReplicationController": true}

// exemptions is what may cover a blocking finding: the stack's typed
// namespace exemptions (config.Config.Exemptions: a namespace at a Pod
// Security level below restricted, e.g. Falco's privileged one), which cover
// findings on workloads in that namespace only, and the allow-list.
type exemptions struct {
	namespaces []config.Exemption
	allow      []allowance
}

// cover names the exemption that covers f, or "" when none does.
func (e exemptions) cover(f finding) string {
	for _, a := range e.allow {
		if a.CheckID == f.ID && a.Object == f.Object {
			return "allow-list: " + a.Justification
		}
	}
	if !workloadKinds[f.Kind] {
		return ""
	}
	for _, n := range e.namespaces {
		if n.Namespace == f.Namespace {
			return fmt.Sprintf("namespace %s (%s, %s)", n.Namespace, n.Level, n.Control)
		}
	}
	return ""
}

// problems lists exemptions that cannot stand: a justification too short to
// say why.
func (e exemptions) problems() []string {
	var out []string
	for _, a := range e.allow {
		if len(strings.TrimSpace(a.Justification)) < minJustification || a.CheckID == "" || a.Object == "" {
			out = append(out, fmt.Sprintf("allow-list entry %+v: needs a check ID, an object and a justification of at least %d characters", a, minJustification))
		}
	}
	for _, n := range e.namespaces {
		if len(strings.TrimSpace(n.Justification)) < minJustification {
			out = append(out, fmt.Sprintf("namespace exemption %s: justification %q is shorter than %d characters", n.Namespace, n.Justification, minJustification))
		}
	}
	return out
}

// String prints the exemptions in force, printed with the findings table.
func (e exemptions) String() string {
	var b strings.Builder
	b.WriteString("exemptions in force:\n")
	if len(e.namespaces)+len(e.allow) == 0 {
		b.WriteString("  (none)\n")
	}
	for _, n := range e.namespaces {
		fmt.Fprintf(&b, "  namespace %s: Pod Security %s, control %s, workloads only: %s\n", n.Namespace, n.Level, n.Control, n.Justification)
	}
	for _, a := range e.allow {
		fmt.Fprintf(&b, "  %s on %s: %s\n", a.CheckID, a.Object, a.Justification)
	}
	return b.String()
}
