// Package sources names the two documents Rampart's controls come from, by
// their titles, for every text a reader sees (the generated references); the
// documents are never named by a number (tests/docs keeps it so).
package sources

// The two source documents, as prose names.
const (
	// Checklist is "Security Hardening — Production security checklist
	// and hardening guide for STOA Platform": the checklist items.
	Checklist = "the STOA security hardening checklist"
	// Guide is "08c. Security Hardening Guidelines" for sovereign cloud
	// infrastructure: the framework mapping, the audit policy, TLS 1.3.
	Guide = "the sovereign-cloud hardening guide"
)
