// Package compliance is Rampart's control catalog: the STOA security hardening checklist's production
// hardening checklist, each item mapped to the framework controls it
// supports (the sovereign-cloud hardening guide's mapping table: UK Cyber Essentials Plus, EU NIS2,
// Canada ITSG-33, Australia ISM, plus DORA) and to the code that implements
// it.
//
// An item's Status says which items a stack built from this repository CAN
// satisfy; it is never a verdict on a stack. The verdict comes from the
// stack's deployed state: Assess and FromStack evaluate every item against
// the resources actually in the state (`rampart check --stack <name>`), and
// AssessLive against the live cluster too (`rampart check --live`).
// compliance/report renders an Assessment (Markdown, JSON, HTML, OSCAL).
package compliance

//go:generate go run ./controlsgen -o ../docs/reference/controls.md

// Status is what this repository lets a stack satisfy, not whether a given
// stack does (see Assess for that).
type Status string

// Statuses.
const (
	// Enforced: every stack can satisfy it: its code is in the baseline
	// every stack composes, and tested.
	Enforced Status = "enforced"
	// Component: a stack can satisfy it once it enables the component (and
	// its provider plugin is installed); until then Assess says not deployed.
	Component Status = "component"
	// Planned: no stack can satisfy it yet.
	Planned Status = "planned"
	// OutOfScope: a repository or organisational setting, not
	// infrastructure: no stack's state can show it.
	OutOfScope Status = "out of scope"
)

// Item is one checklist line.
type Item struct {
	// ID is stable for reports and diffs.
	ID string `json:"id"`
	// Title is the STOA security hardening checklist's checklist wording.
	Title string `json:"title"`
	// Status is what a stack built from this repository can satisfy.
	Status Status `json:"status"`
	// Implementation names the files that implement it.
	Implementation []string `json:"implementation,omitempty"`
	// Controls by framework.
	Controls map[string][]string `json:"controls"`
}

// Frameworks in report order.
var Frameworks = []string{"NIS2", "DORA", "CE+", "ITSG-33", "ISM"}

// Checklist is the STOA security hardening checklist's production hardening checklist.
func Checklist() []Item {
	return []Item{
		{"tls-ingress", "TLS on all ingress endpoints", Enforced,
			[]string{"components/ingress/gateway.go", "components/ingress/args.go", "infra/config/ingress.go", "stacks/ingress.go", "lab/services/crds.sh", "tests/e2e/ingress_test.go", "tests/egtranslate"},
			ctl("Art. 21(2)(h)", "Art. 9(4)(d)", "CE-3", "SC-8, SC-13", "ISM-1552", "ISM-0469")},
		{"netpol", "NetworkPolicy applied to every namespace (default-deny, DNS, tenant isolation)", Enforced,
			[]string{"components/netpol/netpol.go", "stacks/baseline.go"},
			ctl("Art. 21(2)(e)", "Art. 9(4)(c)", "AC-1..AC-5", "SC-7", "ISM-1182")},
		// ISM-1584: a restricted pod cannot escalate or drop the kernel's
		// protections (no privilege, capabilities or host namespaces);
		// ISM-1604: the container isolation's configuration hardened by
		// removing what the workload does not need.
		{"pss-restricted", "Pod Security Standard set to restricted (typed, justified exemptions)", Enforced,
			[]string{"components/namespace/namespace.go", "helpers/hardening/pss.go", "compliance/podslive.go", "compliance/serviceaccounts.go"},
			ctl("Art. 21(2)(e)", "Art. 9(2)", "CE-4 (secure configuration)", "CM-6, CM-7", "ISM-1584", "ISM-1604")},
		{"keycloak-bruteforce", "Keycloak brute force protection enabled", Component,
			[]string{"components/keycloak"}, ctl("Art. 21(2)(i)", "Art. 9(4)(c)", "AC-1..AC-5", "AC-7", "ISM-1403")},
		{"token-lifespans", "Token lifespans shortened (5 min access, 15 min idle)", Component,
			[]string{"components/keycloak"}, ctl("Art. 21(2)(i)", "Art. 9(4)(c)", "AC-1..AC-5", "AC-12", "ISM-0428")},
		// ISM-1416: each node enforces the pods' egress to an approved set
		// (NetworkPolicy), the host-level firewall of a container platform.
		{"ssrf-blocklist", "SSRF blocklist active (egress ipBlocks except it; backend URLs checked)", Enforced,
			[]string{"components/netpol/blocklist.go", "infra/config/validate.go"},
			ctl("Art. 21(2)(e)", "Art. 9(4)(c)", "N/A", "SC-7(5)", "ISM-1416")},
		// Not ISM-1424: it needs a Content-Security-Policy, which Rampart
		// does not set (the application's to write). HSTS and the redirect
		// keep browsers on HTTPS: ISM-1552.
		{"security-headers", "Security headers active (default)", Enforced,
			[]string{"components/ingress/gateway.go", "components/ingress/args.go", "tests/egtranslate"},
			ctl("Art. 21(2)(e)", "Art. 9(4)(d)", "CE-3", "SC-8", "ISM-1552")},
		{"secrets-vault", "Secrets in OpenBao (not in env or ConfigMap); HSM seal", Component,
			[]string{"components/openbao", "components/pki"}, ctl("Art. 21(2)(h)", "Art. 9(4)(d)", "CE-3", "SC-12, SC-13, SC-28", "ISM-1402")},
		// The sovereign-cloud hardening guide's Kubernetes secrets
		// encryption: etcd holds Secrets wrapped by a key that never leaves
		// the platform's OpenBao. Encryption at rest with managed keys (NIS2
		// (h), DORA 9(4)(d), ITSG-33 SC-12/SC-28) mapped as secrets-vault,
		// its sibling; ISM-1769 because the key is AES-256.
		{"secrets-kms", "Kubernetes secrets encryption (KMS v2 on an OpenBao transit key: aes256-gcm96, not exportable, not deletable; the plugin's token limited to encrypt/decrypt with it; the API server's kms-providers check healthy)", Component,
			[]string{"components/kms", "infra/config/kms.go", "stacks/platform.go", "helpers/kmsplugin", "cmd/rampart-kms", "apiserver/encryption", "apiserver/encryption.go", "compliance/kms.go", "tests/kmsserver"},
			ctl("Art. 21(2)(h)", "Art. 9(4)(d)", "CE-3", "SC-12, SC-28", "ISM-1402", "ISM-1769")},
		{"rbac-no-default-admin", "RBAC roles assigned (no default admin access)", Component,
			[]string{"components/keycloak", "compliance/rbac.go", "helpers/inventorykinds/kinds.go"}, ctl("Art. 21(2)(i)", "Art. 9(4)(c)", "AC-1..AC-5", "AC-2, AC-6", "ISM-1508")},
		{"audit-trail", "Audit trail enabled (API-server audit policy of the sovereign-cloud hardening guide; WORM storage)", Component,
			[]string{"apiserver/auditpolicy", "apiserver/audit.go", "apiserver/snippets.go", "cmd/rampart/apiserver.go", "lab/services/kube.sh", "components/audit/audit.go", "components/audit/args.go", "components/audit/loki.go", "components/audit/agent.go", "infra/config/audit.go", "infra/providers/aws.go", "tests/s3server"}, ctl("Art. 21(2)(b)", "Art. 12", "CE-5", "AU-2, AU-9, AU-11", "ISM-1405", "ISM-1815")},
		// ISM-1906/1907: Falco analyses the servers' events as they happen
		// and its alerts reach Loki (and Alertmanager) for response.
		{"alerting", "Alerting configured (Falco → Loki; Alertmanager only when configured)", Component, []string{"components/runtime/falco.go", "components/runtime/rules.go"}, ctl("Art. 23", "Art. 17, 19", "CE-6", "IR-4, IR-6", "ISM-1906", "ISM-1907")},
		// ISM-1808: Trivy's vulnerability database is kept current (online,
		// or the mirrored one in air-gap mode). ISM-1034 (HIPS or EDR on
		// critical servers) is Falco's runtime detection on every node.
		{"image-scanning", "Container images scanned (Trivy) and runtime detection (Falco)", Enforced,
			[]string{"components/runtime", "helpers/podsecurity", "tests/e2e/podsecurity_test.go", "tests/trivyscan"},
			ctl("Art. 21(2)(d)", "Art. 28", "N/A", "SA-12, SI-3", "ISM-1808", "ISM-1034")},
		// An undeclared webhook sees (and a mutating one rewrites) every
		// matching request: logical access to the cluster's objects
		// (NIS2 (i), DORA 9(4)(c)), an unlisted component in the request
		// path and a threat to the objects' integrity (CM-8, SI-7), and a
		// change to the secure configuration (CE+, ISM as pss-restricted).
		{"admission-webhooks", "No undeclared admission webhook intercepts managed namespaces", Enforced,
			[]string{"compliance/webhooks.go", "inventory/inventory.go", "helpers/inventorykinds/kinds.go"},
			ctl("Art. 21(2)(i)", "Art. 9(4)(c)", "CE-4 (secure configuration)", "CM-8, SI-7", "ISM-1584")},
		// The platform's own roles: least privilege per role (ISM-1508
		// privileged, ISM-1852 unprivileged access), account management
		// by group (AC-2), cluster-admin only as a typed, approved
		// break-glass.
		{"rbac-bindings", "RBAC: least-verb roles bound per tenant to its OIDC groups; cluster-admin only as typed break-glass; nothing bound to the broad system groups", Component,
			[]string{"components/rbac", "infra/config/rbac.go", "stacks/rbac.go", "compliance/rbacbindings.go", "inventory/reach.go"},
			ctl("Art. 21(2)(i)", "Art. 9(4)(c)", "User access control", "AC-2, AC-6", "ISM-1508", "ISM-1852")},
		// Who runs every external endpoint and where: supply-chain
		// security (NIS2 (d)) and ICT third-party risk (DORA Art. 28),
		// external system services (SA-9) and the supply chain (SA-12);
		// ISM-1631, suppliers identified. CE+ has no such requirement.
		{"sovereignty", "Every external endpoint (images, charts, ACME, issuers, IdP, transit, audit store, alert sinks, scanner DBs) listed with operator and jurisdiction; none outside rampart:sovereignty.allowedJurisdictions without a typed exception", Enforced,
			[]string{"helpers/sovereignty", "infra/config/sovereignty.go", "stacks/sovereignty.go", "compliance/sovereignty.go"},
			ctl("Art. 21(2)(d)", "Art. 28", "N/A", "SA-9, SA-12", "ISM-1631")},
		{"signed-commits", "Signed commits enforced", OutOfScope, nil, ctl("Art. 21(2)(d)", "Art. 28", "N/A", "SA-12", "ISM-1816")},
	}
}

// ctl maps an item to its controls: one label each for NIS2, DORA, CE+ and
// ITSG-33 (Rampart's identifiers), and the ISM controls it supports, each
// an identifier of ASD's catalog (ism.go).
func ctl(nis2, dora, ce, itsg string, ism ...string) map[string][]string {
	return map[string][]string{"NIS2": {nis2}, "DORA": {dora}, "CE+": {ce}, "ITSG-33": {itsg}, "ISM": ism}
}
