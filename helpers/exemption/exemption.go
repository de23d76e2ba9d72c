// Package exemption is the lifecycle every typed exemption carries: who
// answers for it, who approved it, the ticket that records the decision
// and the date it ends. A namespace's Pod Security exemption, the
// gateway's publicEgress and the break-glass binding embed Approval (and
// any later typed exception, such as a sovereignty one, embeds it too), so
// one validation, one expiry rule and one report shape serve them all.
package exemption

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// DateLayout is the layout of Approval.Expires (YYYY-MM-DD).
const DateLayout = "2006-01-02"

// WarnWithinDays is how many days before its last day an exemption is
// warned about at every preview and up: two weeks leave one sprint to renew
// or remove it.
const WarnWithinDays = 14

// MaxTermDays is the longest an exemption may run from today: a year, so every
// exemption is reviewed at least once a year (NIS2 Art. 21(2)(f) asks for
// the effectiveness of measures to be assessed; ISO 27001 and ITSG-33 CA-7
// review risk acceptances annually). A longer decision is renewed, not
// written once.
const MaxTermDays = 366

// Approval is the lifecycle of one exemption. Embed it (without a json
// tag) in the exemption's args: its keys owner, approvedBy, ticket and
// expires then sit beside the exemption's own.
type Approval struct {
	// Owner is who answers for the exemption and renews or removes it (a
	// team or a person, e.g. "platform-team"). Required outside the local
	// profile.
	Owner string `json:"owner,omitempty"`
	// ApprovedBy is who accepted the risk (e.g. "CISO"). Required outside
	// the local profile.
	ApprovedBy string `json:"approvedBy,omitempty"`
	// Ticket records the decision: a reference such as "SEC-123" or an
	// https URL. Required outside the local profile.
	Ticket string `json:"ticket,omitempty"`
	// Expires is the last day the exemption holds (YYYY-MM-DD, UTC), at
	// most MaxTermDays ahead. From the next day preview and up fail; within
	// WarnWithinDays they warn. Required outside the local profile.
	Expires string `json:"expires,omitempty"`
}

// Set reports whether any field is written.
func (a Approval) Set() bool { return a != Approval{} }

// Day is Expires as a date (00:00 UTC); ok is false when Expires is empty
// or malformed.
func (a Approval) Day() (time.Time, bool) {
	d, err := time.Parse(DateLayout, strings.TrimSpace(a.Expires))
	return d, err == nil
}

// DaysLeft is the number of days from now's date (UTC) to Expires: 0 on
// the last day, negative once it has expired (-1: its last day was
// yesterday). ok is false without a valid Expires.
func (a Approval) DaysLeft(now time.Time) (int, bool) {
	d, ok := a.Day()
	if !ok {
		return 0, false
	}
	u := now.UTC()
	today := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
	return int(math.Round(d.Sub(today).Hours() / 24)), true
}

// Age says where the exemption stands on now: "expires in N days", "last
// day today", "expired N days ago", or "no end date".
func (a Approval) Age(now time.Time) string {
	n, ok := a.DaysLeft(now)
	switch {
	case !ok:
		return "no end date"
	case n == 0:
		return "last day today"
	case n == 1:
		return "expires in 1 day"
	case n > 1:
		return fmt.Sprintf("expires in %d days", n)
	case n == -1:
		return "expired 1 day ago"
	}
	return fmt.Sprintf("expired %d days ago", -n)
}

// Expired reports whether now's date is past Expires.
func (a Approval) Expired(now time.Time) bool {
	n, ok := a.DaysLeft(now)
	return ok && n < 0
}

// EndsSoon reports whether the exemption still holds on now but its last
// day is at most WarnWithinDays away.
func (a Approval) EndsSoon(now time.Time) bool {
	n, ok := a.DaysLeft(now)
	return ok && n >= 0 && n <= WarnWithinDays
}

// Check adds the problems of an approval written at path (the exemption's
// key path) that do not depend on the stack or the date: a malformed
// expires, a blank or control-character field. Components call it from
// their Validate.
func (a Approval) Check(l *verr.List, path string) {
	for _, f := range []struct{ key, v string }{{"owner", a.Owner}, {"approvedBy", a.ApprovedBy}, {"ticket", a.Ticket}} {
		if f.v != "" && (strings.TrimSpace(f.v) == "" || strings.IndexFunc(f.v, unicode.IsControl) >= 0) {
			l.Add(verr.Path(path, f.key), f.v, "blank or holds control characters", "write it on one line, or remove the key")
		}
	}
	if a.Ticket != "" && strings.ContainsAny(strings.TrimSpace(a.Ticket), " \t") {
		l.Add(verr.Path(path, "ticket"), a.Ticket, "not a ticket reference", `use a reference such as "SEC-123" or an https URL`)
	}
	if a.Expires != "" {
		if _, ok := a.Day(); !ok {
			l.Add(verr.Path(path, "expires"), a.Expires, "not a date", "use YYYY-MM-DD, e.g. 2027-03-31 (the last day the exemption holds)")
		}
	}
}

// Validate adds the stack's rules at path: when required, every field
// must be written; a written expires must not have passed on now (the
// exemption has run out: the stack refuses to deploy until it is renewed
// or removed) nor lie more than MaxTermDays ahead. It adds Check's problems
// too.
func (a Approval) Validate(l *verr.List, path string, required bool, now time.Time) {
	a.Check(l, path)
	if required {
		for _, f := range []struct{ key, v, fix string }{
			{"owner", a.Owner, `name who answers for the exemption, e.g. "platform-team"`},
			{"approvedBy", a.ApprovedBy, `name who accepted the risk, e.g. "CISO"`},
			{"ticket", a.Ticket, `reference the decision, e.g. "SEC-123" or an https URL`},
			{"expires", a.Expires, "set the last day it holds (YYYY-MM-DD, at most a year ahead)"},
		} {
			if f.v == "" {
				l.Add(verr.Path(path, f.key), "", "required outside the local profile: every exemption has an owner, an approver, a ticket and an end date", f.fix)
			}
		}
	}
	n, ok := a.DaysLeft(now)
	switch {
	case !ok:
	case n < 0:
		l.Add(verr.Path(path, "expires"), a.Expires, fmt.Sprintf("expired on %s (%s)", a.Expires, a.Age(now)),
			"renew it (new expires, approvedBy, ticket) or remove the exemption")
	case n > MaxTermDays:
		l.Add(verr.Path(path, "expires"), a.Expires, "more than a year ahead: an exemption is reviewed at least once a year",
			"set a date within a year and renew it then")
	}
}

// Warning is the message preview and up log for an exemption at path that
// ends within WarnWithinDays of now; "" otherwise.
func (a Approval) Warning(path string, now time.Time) string {
	if !a.EndsSoon(now) {
		return ""
	}
	return fmt.Sprintf("%s: exemption %s (last day %s, owner %s, ticket %s): renew it (new expires, approvedBy, ticket) or remove it before then",
		path, a.Age(now), a.Expires, or(a.Owner, "(none)"), or(a.Ticket, "(none)"))
}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
