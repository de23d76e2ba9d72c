package compliance

import (
	"cmp"
	"time"
)

// Check is one behaviour check of rampart verify: a connection between two
// probe pods, a server-side dry run, a health check. Its expectation comes
// from the stack's declared intent, never from a hand-written table.
type Check struct {
	// Item is the checklist item the check proves ("netpol",
	// "pss-restricted", "ssrf-blocklist", …).
	Item string `json:"item"`
	// Name says what was exercised: "team-a → team-b 10.244.0.7:8080/TCP".
	Name string `json:"name"`
	// Expected and Observed are words: "open"/"closed" for a connection,
	// "refused"/"admitted" for a dry run, "ok"/"failing" for a health check.
	Expected string `json:"expected"`
	Observed string `json:"observed"`
	OK       bool   `json:"ok"`
	// Why is the declared intent behind the expectation
	// ("tenants are isolated: rampart:tenants[1]").
	Why string `json:"why"`
	// Detail is the raw observation (the probe's line, the API's answer).
	Detail string `json:"detail,omitempty"`
}

// Behaviour is one rampart verify run on a cluster.
type Behaviour struct {
	// Server is the API server the run exercised.
	Server string `json:"server"`
	// ProbeImage is the image the probe pods ran (by digest outside the lab).
	ProbeImage string    `json:"probeImage"`
	Started    time.Time `json:"started"`
	Finished   time.Time `json:"finished"`
	Checks     []Check   `json:"checks"`
	// Readyz is the API server's /readyz?verbose answer, recorded as is.
	Readyz string `json:"readyz,omitempty"`
	// Notes say what the run did not check and why (no private address
	// given, no sweep of dead runs possible): neither passes nor failures,
	// but a reader must see them next to the checks.
	Notes []string `json:"notes,omitempty"`
}

// Failed is the number of checks whose observation differs from the
// expectation.
func (b *Behaviour) Failed() int {
	n := 0
	for _, c := range b.Checks {
		if !c.OK {
			n++
		}
	}
	return n
}

// AddBehaviour adds a rampart verify run to the assessment (call it once):
// each check becomes a behaviour fact of its item (Check.Item), and an item
// the state deploys that has an API server health check (readyzChecks: the
// kms-providers check for secrets-kms) gets the fact of that check's line in
// b.Readyz, failing unless it reads "[+]<check> ok"; the item's verdict is
// recomputed — a failed check fails it, and an item the state does not
// deploy is judged on its behaviour facts — and the controls are rolled up
// again. A check naming no checklist item stays in
// a.Behaviour only, listed in the reports' behaviour section.
func (a *Assessment) AddBehaviour(b *Behaviour) {
	a.Behaviour = b
	if b == nil {
		return
	}
	for i := range a.Results {
		r := &a.Results[i]
		added := false
		if r.Verdict != NotDeployed {
			if e, ok := readyzEvidence(r.Item.ID, b.Readyz); ok {
				r.Evidence = append(r.Evidence, e)
				added = true
			}
		}
		for _, c := range b.Checks {
			if c.Item == r.Item.ID {
				r.Evidence = append(r.Evidence, behaviourEvidence(c))
				added = true
			}
		}
		if added {
			r.Verdict = verdict(true, r.Evidence)
		}
	}
	a.Controls = rollUp(a.Results)
}

// behaviourEvidence is the fact a check is: what was exercised, what was
// expected and observed, and the intent behind the expectation.
func behaviourEvidence(c Check) Evidence {
	note := c.Why
	if c.Detail != "" {
		if note != "" {
			note += "; "
		}
		note += "observed: " + c.Detail
	}
	return Evidence{Source: FromBehaviour, OK: c.OK, Field: c.Name,
		Value: "expected " + c.Expected + ", observed " + c.Observed, Note: note}
}

// Sources says what the result stands on: the sources of its evidence in
// the order state, live, behaviour (a fact without a source is the
// state's, as every fact was before the live read existed).
func (r Result) Sources() []Source {
	seen := map[Source]bool{}
	for _, e := range r.Evidence {
		seen[cmp.Or(e.Source, FromState)] = true
	}
	var out []Source
	for _, s := range []Source{FromState, FromLive, FromBehaviour} {
		if seen[s] {
			out = append(out, s)
		}
	}
	return out
}

// FailedFirst are the checks, failures first, each group in run order, as
// the reports list them.
func (b *Behaviour) FailedFirst() []Check {
	out := make([]Check, 0, len(b.Checks))
	for _, ok := range []bool{false, true} {
		for _, c := range b.Checks {
			if c.OK == ok {
				out = append(out, c)
			}
		}
	}
	return out
}
