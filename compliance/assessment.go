package compliance

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// Verdict is what the deployed state (and the live cluster, when read) says about one checklist item.
type Verdict string

// Verdicts.
const (
	// Pass: every resource the item looks at is there with the right values.
	Pass Verdict = "pass"
	// Fail: a resource is missing or a value is wrong; Evidence says which.
	Fail Verdict = "fail"
	// Exempt: the item does not hold on any object it looks at, each under
	// a typed exemption whose justification is in Evidence. An item that
	// holds on some objects and is exempted on the others passes, its
	// exempted facts marked Evidence.Exempt.
	Exempt Verdict = "exempt"
	// NotDeployed: the stack does not enable what the item looks at.
	NotDeployed Verdict = "not deployed"
	// Partial is a framework control's verdict only, never an item's: the
	// stack deploys some of the control's items, none fails, and it does
	// not deploy the others (ControlResult.Undeployed). What is deployed
	// holds, but the control is not shown whole, so it never reads pass.
	Partial Verdict = "partial"
)

// Evidence is one fact read from the state, the live cluster or observed
// behaviour: which resource or object, which field, which value, and
// whether it satisfies the item.
type Evidence struct {
	URN   string `json:"urn"`
	Field string `json:"field"`
	Value string `json:"value"` // "[secret]" for a secret, never its plaintext
	OK    bool   `json:"ok"`
	Note  string `json:"note,omitempty"` // why it fails, or the exemption's justification
	// Exempt: the fact does not hold, under a typed exemption (Note carries
	// its control and justification).
	Exempt bool `json:"exempt,omitempty"`
	// Source is what the fact stands on: the stack's state, the live
	// cluster read through the Kubernetes API, or behaviour observed by
	// traffic and requests (rampart verify).
	Source Source `json:"source"`
	// Object names a live object ("RoleBinding team-b/x") when the fact
	// was read from the cluster; URN is then the declaring resource's URN,
	// or empty for an object the stack does not declare.
	Object string `json:"object,omitempty"`
	// Origin is a live object's inventory origin (declared, owned,
	// known-controller, unmanaged) and Creator its earliest field manager
	// and creation time (inventory.Object.Provenance); the JSON key stays
	// "creator", but the manager is not proof of who created it.
	Origin  string `json:"origin,omitempty"`
	Creator string `json:"creator,omitempty"`
}

// Source is what a piece of evidence stands on.
type Source string

// Sources.
const (
	// FromState: read from the stack's Pulumi state (refreshed or not).
	FromState Source = "state"
	// FromLive: read from the live cluster through the Kubernetes API.
	FromLive Source = "live"
	// FromBehaviour: observed by exercising the cluster (connections,
	// server-side dry runs) with rampart verify.
	FromBehaviour Source = "behaviour"
)

// Result is one checklist item's verdict on a stack.
type Result struct {
	Item     Item       `json:"item"`
	Verdict  Verdict    `json:"verdict"`
	Evidence []Evidence `json:"evidence"`
}

// ControlResult is one framework control rolled up from its items.
type ControlResult struct {
	Framework string   `json:"framework"`
	Control   string   `json:"control"`
	Verdict   Verdict  `json:"verdict"`
	Items     []string `json:"items"`
	// Undeployed are the items of Items the stack does not deploy, when it
	// deploys some of the others (a partial control's missing part); empty
	// when it deploys all of them or none.
	Undeployed []string `json:"undeployed,omitempty"`
}

// Assessment is a stack's evidence-based compliance report.
type Assessment struct {
	Stack     string          `json:"stack"`
	Profile   string          `json:"profile"`
	Generated time.Time       `json:"generated"`
	Refreshed bool            `json:"refreshed"` // the state was refreshed from the live cluster first
	Results   []Result        `json:"results"`
	Controls  []ControlResult `json:"controls"`
	// Live sums up the read of the live cluster the items were judged on
	// too (AssessLive); nil when only the state was read.
	Live *LiveSummary `json:"live,omitempty"`
	// Behaviour is the rampart verify run added by AddBehaviour, if any.
	Behaviour *Behaviour `json:"behaviour,omitempty"`
	// Exemptions are the stack's typed exemptions with their owner,
	// approver, ticket and end date (the stack output "exemptions").
	Exemptions []ExemptionRecord `json:"exemptions,omitempty"`
	// Export is the state export the items were judged on: the deployment
	// as `pulumi stack export` printed it (FromStack sets it, with
	// ExportVersion). Not rendered: the evidence pack records its digest.
	Export        json.RawMessage `json:"-"`
	ExportVersion int             `json:"-"`
}

// evaluator reads the state for one item: whether the stack enables what
// the item looks at, and the evidence.
type evaluator func(s *state) (deployed bool, ev []Evidence)

// evaluators by item ID; each lives in a file named after what it checks.
var evaluators = map[string]evaluator{
	"tls-ingress":           checkTLSIngress,
	"netpol":                checkNetworkPolicies,
	"pss-restricted":        checkPodSecurity,
	"keycloak-bruteforce":   checkBruteForce,
	"token-lifespans":       checkTokenLifespans,
	"ssrf-blocklist":        checkSSRFBlocklist,
	"security-headers":      checkSecurityHeaders,
	"secrets-vault":         checkSecretsVault,
	"secrets-kms":           checkSecretsKMS,
	"rbac-no-default-admin": checkRBAC,
	"audit-trail":           checkAuditTrail,
	"alerting":              checkAlerting,
	"image-scanning":        checkImageScanning,
	"signed-commits":        checkSignedCommits,
	"admission-webhooks":    checkAdmissionWebhooks,
	"rbac-bindings":         checkRBACBindings,
	"sovereignty":           checkSovereignty,
}

// Assess evaluates every checklist item against a stack's deployment. It
// reads the state only: a secret stays "[secret]", never decrypted. It is
// AssessLive without a read of the live cluster.
func Assess(stack string, dep apitype.DeploymentV3, now time.Time) *Assessment {
	return AssessLive(stack, dep, nil, now)
}

// verdict: not deployed when the stack does not enable the item; fail when
// a fact fails; exempt when nothing holds but under an exemption; pass
// otherwise (exempted objects then show in the evidence and the report).
func verdict(deployed bool, ev []Evidence) Verdict {
	if !deployed {
		return NotDeployed
	}
	var ok, exempt bool
	for _, e := range ev {
		switch {
		case e.Exempt:
			exempt = true
		case !e.OK:
			return Fail
		default:
			ok = true
		}
	}
	if exempt && !ok {
		return Exempt
	}
	return Pass
}

// checkSignedCommits: commit signing is a repository setting (branch
// protection), not infrastructure; no stack state can show it.
func checkSignedCommits(*state) (bool, []Evidence) {
	return false, []Evidence{{Field: "repository", Value: "out of scope", OK: true,
		Note: "a branch-protection setting of the repository, not in any stack's state"}}
}

// Failed is true when an item the stack enables fails (not deployed never
// fails).
func (a *Assessment) Failed() bool {
	for _, r := range a.Results {
		if r.Verdict == Fail {
			return true
		}
	}
	return false
}

// Result returns the result of item id.
func (a *Assessment) Result(id string) (Result, bool) {
	for _, r := range a.Results {
		if r.Item.ID == id {
			return r, true
		}
	}
	return Result{}, false
}

// Counts returns how many items got each verdict.
func (a *Assessment) Counts() map[Verdict]int {
	n := map[Verdict]int{}
	for _, r := range a.Results {
		n[r.Verdict]++
	}
	return n
}

// Summary is the one-line count: "9 pass, 1 fail, 0 exempt, 3 not deployed".
func (a *Assessment) Summary() string {
	n := a.Counts()
	return fmt.Sprintf("%d pass, %d fail, %d exempt, %d not deployed", n[Pass], n[Fail], n[Exempt], n[NotDeployed])
}

// ControlCounts returns how many framework controls got each verdict.
func (a *Assessment) ControlCounts() map[Verdict]int {
	n := map[Verdict]int{}
	for _, c := range a.Controls {
		n[c.Verdict]++
	}
	return n
}

// ControlSummary is the one-line count of the framework controls:
// "20 pass, 3 partial, 1 fail, 0 exempt, 9 not deployed".
func (a *Assessment) ControlSummary() string {
	n := a.ControlCounts()
	return fmt.Sprintf("%d pass, %d partial, %d fail, %d exempt, %d not deployed", n[Pass], n[Partial], n[Fail], n[Exempt], n[NotDeployed])
}
