package exemption_test

import (
	"strings"
	"testing"
	"time"

	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/helpers/verr"
)

var now = time.Date(2027, 3, 15, 23, 59, 0, 0, time.UTC)

func TestApproval_AgeCountsWholeDaysToTheLastDay(t *testing.T) {
	for expires, want := range map[string]string{
		"2027-03-25": "expires in 10 days", "2027-03-16": "expires in 1 day", "2027-03-15": "last day today",
		"2027-03-14": "expired 1 day ago", "2027-03-01": "expired 14 days ago", "": "no end date", "soon": "no end date",
	} {
		if got := (exemption.Approval{Expires: expires}).Age(now); got != want {
			t.Errorf("Age(%q) = %q, want %q", expires, got, want)
		}
	}
}

func TestApproval_ValidateRefusesExpiredAndWarnsWithinTwoWeeks(t *testing.T) {
	full := func(expires string) exemption.Approval {
		return exemption.Approval{Owner: "o", ApprovedBy: "a", Ticket: "SEC-1", Expires: expires}
	}
	for _, tc := range []struct {
		expires, err string
		warn         bool
	}{
		{"2027-03-14", `x.expires: "2027-03-14": expired on 2027-03-14`, false},
		{"2027-03-15", "", true},
		{"2027-03-25", "", true},
		{"2027-03-30", "", false},
		{"2028-03-16", `x.expires: "2028-03-16": more than a year ahead`, false},
	} {
		var l verr.List
		full(tc.expires).Validate(&l, "x", true, now)
		if err := l.Err(); (tc.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("%s: err = %v, want %q", tc.expires, err, tc.err)
		}
		if got := full(tc.expires).Warning("x", now) != ""; got != tc.warn {
			t.Errorf("%s: warning %v, want %v", tc.expires, got, tc.warn)
		}
	}
	var l verr.List
	exemption.Approval{}.Validate(&l, "x", false, now)
	if l.Len() != 0 {
		t.Errorf("optional and empty: %v", l.Err())
	}
}
