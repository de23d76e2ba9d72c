// Package sources names the two documents Rampart's controls come from, by
// their titles, for every text a reader sees (the generated references, the
// CLI's help): a reader has never heard of "seed 000".
package sources

import "strings"

// The two source documents, as prose names.
const (
	// Checklist is "Security Hardening — Production security checklist
	// and hardening guide for STOA Platform": the checklist items.
	Checklist = "the STOA security hardening checklist"
	// Guide is "08c. Security Hardening Guidelines" for sovereign cloud
	// infrastructure: the framework mapping, the audit policy, TLS 1.3.
	Guide = "the sovereign-cloud hardening guide"
)

// titles rewrites the old short names; longer forms first so a possessive
// or a pair is rewritten whole.
var titles = strings.NewReplacer(
	"Seed 000/004", "The STOA security hardening checklist and the sovereign-cloud hardening guide",
	"seed 000/004", Checklist+" and "+Guide,
	"Seed 000", "The STOA security hardening checklist",
	"Seed 004", "The sovereign-cloud hardening guide",
	"seed 000", Checklist,
	"seed 004", Guide,
)

// Name replaces "seed 000" and "seed 004" in text by the documents'
// titles. It leaves text that already names them unchanged.
func Name(text string) string { return titles.Replace(text) }
