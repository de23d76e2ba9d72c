package compliance

import "time"

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
