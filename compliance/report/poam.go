package report

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/compliance"
)

// The subset of NIST OSCAL 1.1.x's plan-of-action-and-milestones model
// Rampart writes
// (https://pages.nist.gov/OSCAL/reference/1.1.3/plan-of-action-and-milestones/json-reference/).

type poamDocument struct {
	POAM poamRoot `json:"plan-of-action-and-milestones"`
}

type poamRoot struct {
	UUID       string           `json:"uuid"`
	Metadata   oscalMetadata    `json:"metadata"`
	Risks      []poamRisk       `json:"risks,omitempty"`
	POAMItems  []poamItem       `json:"poam-items"`
	BackMatter *oscalBackMatter `json:"back-matter,omitempty"`
}

type poamRisk struct {
	UUID        string      `json:"uuid"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Statement   string      `json:"statement"`
	Props       []oscalProp `json:"props,omitempty"`
	Links       []oscalLink `json:"links,omitempty"`
	Status      string      `json:"status"`
	Deadline    string      `json:"deadline,omitempty"`
}

type poamItem struct {
	UUID         string            `json:"uuid"`
	Title        string            `json:"title"`
	Description  string            `json:"description"`
	Props        []oscalProp       `json:"props,omitempty"`
	RelatedRisks []poamRelatedRisk `json:"related-risks,omitempty"`
	Remarks      string            `json:"remarks,omitempty"`
}

type poamRelatedRisk struct {
	RiskUUID string `json:"risk-uuid"`
}

// POAM writes the OSCAL 1.1.3 plan of action and milestones of the
// stack's exemptions: one risk per exemption (its justification, owner,
// approver, ticket and its last day as the deadline; status
// deviation-approved while it is approved and running, open when it has
// expired or lacks its approval) and one poam-item pointing at it. The
// assessment results (OSCAL) link to it by its UUID in back-matter.
func POAM(w io.Writer, a *compliance.Assessment) error {
	as := assessment{a}
	if a.Generated.IsZero() {
		return fmt.Errorf("compliance report: POA&M for stack %q: Assessment.Generated is zero; set it to the time the state was read (Assess does)", a.Stack)
	}
	b, err := json.MarshalIndent(as.poamDoc(), "", "  ")
	if err != nil {
		return fmt.Errorf("compliance report: POA&M for stack %q: %w", a.Stack, err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("compliance report: write POA&M for stack %q: %w", a.Stack, err)
	}
	return nil
}

// poamUUID is the POA&M document's UUID, the same in the assessment
// results that link to it.
func (a assessment) poamUUID() string { return a.oscalRunID("poam") }

func (a assessment) poamDoc() poamDocument {
	when := a.Generated.UTC().Format(time.RFC3339)
	root := poamRoot{
		UUID: a.poamUUID(),
		Metadata: oscalMetadata{
			Title:        oscalLine(fmt.Sprintf("Rampart plan of action and milestones: exemptions of stack %s", a.Stack)),
			LastModified: when, Version: when, OSCALVersion: OSCALVersion,
			Props: []oscalProp{oscalNSProp("stack", a.Stack)},
		},
		POAMItems: []poamItem{},
	}
	for i, e := range a.Exemptions {
		id := fmt.Sprint(i)
		risk := poamRisk{
			UUID:        a.oscalRunID("poam-risk", e.Kind, e.Key, id),
			Title:       oscalLine(fmt.Sprintf("Exemption (%s): %s", e.Kind, e.Subject)),
			Description: cmpOr(e.Justification, "(no justification recorded)"),
			Statement:   poamStatement(e),
			Props: []oscalProp{oscalNSProp("exemption-kind", e.Kind), oscalNSProp("config-key", cmpOr(e.Key, "(unknown)")),
				oscalNSProp("owner", poamField(e.Owner, e.BuiltIn)), oscalNSProp("approved-by", poamField(e.ApprovedBy, e.BuiltIn)),
				oscalNSProp("ticket", poamField(e.Ticket, e.BuiltIn)), oscalNSProp("age", registerAge(e, a.Generated))},
			Status: "deviation-approved",
		}
		if e.Control != "" {
			risk.Props = append(risk.Props, oscalNSProp("control", e.Control))
		}
		if strings.HasPrefix(e.Ticket, "https://") || strings.HasPrefix(e.Ticket, "http://") {
			risk.Links = []oscalLink{{Href: e.Ticket, Rel: "reference", Text: "ticket"}}
		}
		if d, ok := e.Approval.Day(); ok {
			risk.Deadline = d.Add(24*time.Hour - time.Second).UTC().Format(time.RFC3339)
		}
		if e.Approval.Expired(a.Generated) || e.Owner == "" || e.ApprovedBy == "" || e.Expires == "" {
			risk.Status = "open"
		}
		root.Risks = append(root.Risks, risk)
		root.POAMItems = append(root.POAMItems, poamItem{
			UUID:         a.oscalRunID("poam-item", e.Kind, e.Key, id),
			Title:        oscalLine(fmt.Sprintf("Renew or remove the exemption %s", cmpOr(e.Key, e.Subject))),
			Description:  fmt.Sprintf("%s; owner %s, approved by %s, ticket %s; last day %s (%s).", poamStatement(e), poamField(e.Owner, e.BuiltIn), poamField(e.ApprovedBy, e.BuiltIn), poamField(e.Ticket, e.BuiltIn), poamField(e.Expires, e.BuiltIn), registerAge(e, a.Generated)),
			Props:        []oscalProp{oscalNSProp("owner", poamField(e.Owner, e.BuiltIn))},
			RelatedRisks: []poamRelatedRisk{{RiskUUID: risk.UUID}},
		})
	}
	if len(root.POAMItems) == 0 {
		// poam-items is required and may not be empty: the plan says there
		// is nothing to track.
		root.POAMItems = append(root.POAMItems, poamItem{UUID: a.oscalRunID("poam-item", "none"),
			Title: "No exemptions", Description: fmt.Sprintf("Stack %s carries no typed exemption: nothing to renew or remove.", a.Stack)})
	}
	return poamDocument{POAM: root}
}

// poamStatement says what the exemption accepts.
func poamStatement(e compliance.ExemptionRecord) string {
	s := fmt.Sprintf("Accepted deviation: %s", e.Subject)
	if e.Level != "" {
		s += fmt.Sprintf(" enforces Pod Security %s instead of restricted", e.Level)
	}
	if e.Control != "" {
		s += ", under " + e.Control
	}
	return s
}

// poamField is a lifecycle field, or why it is absent.
func poamField(v string, builtIn bool) string {
	switch {
	case v != "":
		return v
	case builtIn:
		return "none (Rampart default)"
	}
	return "missing"
}

func cmpOr(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}

// oscalPOAMResource is the assessment results' back-matter entry for the
// POA&M of the same run (nil without exemptions).
func (a assessment) oscalPOAMResource() []oscalResource {
	if len(a.Exemptions) == 0 {
		return nil
	}
	return []oscalResource{{
		UUID:        a.oscalRunID("poam-resource"),
		Title:       "Plan of action and milestones of the stack's exemptions",
		Description: fmt.Sprintf("The OSCAL plan-of-action-and-milestones document written by rampart check --poam in the same run (document UUID %s): each exemption with its owner, approver, ticket and deadline.", a.poamUUID()),
		Props:       []oscalProp{oscalNSProp("exemptions", fmt.Sprint(len(a.Exemptions)))},
		DocumentIDs: []oscalDocumentID{{Scheme: "http://ietf.org/rfc/rfc4122", Identifier: a.poamUUID()}},
	}}
}

// oscalPOAMLinks link the assessment results' metadata to the POA&M's
// back-matter entry.
func (a assessment) oscalPOAMLinks() []oscalLink {
	r := a.oscalPOAMResource()
	if len(r) == 0 {
		return nil
	}
	return []oscalLink{{Href: "#" + r[0].UUID, Rel: "related", Text: "plan of action and milestones"}}
}
