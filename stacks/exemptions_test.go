package stacks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/helpers/exemption"
	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/stacks"
)

// inDays is the date n days from today (UTC), as expires spells it.
func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(exemption.DateLayout) }

// approveNamespace gives n's exemption, if any, an approval running six
// months from today.
func approveNamespace(n namespace.NamespaceArgs) namespace.NamespaceArgs {
	if n.Exemption != nil {
		e := *n.Exemption
		e.Approval = exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "SEC-7", Expires: inDays(180)}
		n.Exemption = &e
	}
	return n
}

// withClock runs the test with config.Clock fixed at now.
func withClock(t *testing.T, now time.Time) {
	t.Helper()
	prev := config.Clock
	config.Clock = func() time.Time { return now }
	t.Cleanup(func() { config.Clock = prev })
}

// falcoWith is rampart:namespaces: the defaults, Falco's exemption with
// the approval a.
func falcoWith(a exemption.Approval) string {
	list := []any{}
	for _, n := range config.DefaultPlatformNamespaces() {
		if n.Exemption != nil {
			e := *n.Exemption
			e.Approval = a
			n.Exemption = &e
		}
		list = append(list, n)
	}
	return js(list)
}

var fixedNow = time.Date(2027, 3, 15, 9, 30, 0, 0, time.UTC)

func TestProgram_RefusesAnExemptionThatExpiredYesterday(t *testing.T) {
	withClock(t, fixedNow)
	cfg := validConfig()
	cfg["rampart:namespaces"] = falcoWith(exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "SEC-1", Expires: "2027-03-14"})
	rec := recmock.New()
	err := rec.Run(func(ctx *pulumi.Context) error { return stacks.Program(ctx) }, recmock.WithConfig(cfg))
	want := `rampart:namespaces[7].exemption.expires: "2027-03-14": expired on 2027-03-14 (expired 1 day ago) — renew it (new expires, approvedBy, ticket) or remove the exemption`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant it to contain %q", err, want)
	}
	if rec.Len() != 0 {
		t.Fatalf("registered %v despite an expired exemption", rec.Names())
	}
}

func TestProgram_WarnsOfAnExemptionEndingInTenDaysAndDeploys(t *testing.T) {
	withClock(t, fixedNow)
	cfg := validConfig()
	a := exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "SEC-1", Expires: "2027-03-25"}
	cfg["rampart:namespaces"] = falcoWith(a)
	rec := recmock.New()
	var got *config.Config
	err := rec.Run(func(ctx *pulumi.Context) error {
		c, err := config.LoadFor(ctx, stubResolver, nil)
		if err != nil {
			return err
		}
		got = c
		return stacks.Run(ctx, c)
	}, recmock.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Len() == 0 {
		t.Fatal("nothing registered")
	}
	// The mock engine's logger is not reachable from outside the SDK: the
	// warnings stacks.Run logs through ctx.Log.Warn are checked at their
	// source.
	w := got.ExemptionWarnings(config.Clock())
	want := "rampart:namespaces[7].exemption: exemption expires in 10 days (last day 2027-03-25, owner platform-team, ticket SEC-1)"
	if len(w) != 1 || !strings.HasPrefix(w[0], want) {
		t.Fatalf("warnings = %q\nwant one starting %q", w, want)
	}
	if w := got.ExemptionWarnings(fixedNow.AddDate(0, 0, -5)); len(w) != 0 {
		t.Fatalf("15 days ahead: warnings = %q, want none", w)
	}
}

func TestProgram_RequiresTheApprovalOutsideLocal(t *testing.T) {
	withClock(t, fixedNow)
	for _, tc := range []struct {
		name string
		a    exemption.Approval
		want string
	}{
		{"no owner", exemption.Approval{ApprovedBy: "CISO", Ticket: "SEC-1", Expires: "2027-06-01"}, `rampart:namespaces[7].exemption.owner: "": required outside the local profile`},
		{"no ticket", exemption.Approval{Owner: "p", ApprovedBy: "CISO", Expires: "2027-06-01"}, `rampart:namespaces[7].exemption.ticket: "": required outside the local profile`},
		{"not a date", exemption.Approval{Owner: "p", ApprovedBy: "CISO", Ticket: "SEC-1", Expires: "31/12/2027"}, `rampart:namespaces[7].exemption.expires: "31/12/2027": not a date`},
		{"over a year", exemption.Approval{Owner: "p", ApprovedBy: "CISO", Ticket: "SEC-1", Expires: "2028-06-01"}, `rampart:namespaces[7].exemption.expires: "2028-06-01": more than a year ahead`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := validConfig()
			cfg["rampart:namespaces"] = falcoWith(tc.a)
			rec := recmock.New()
			err := rec.Run(func(ctx *pulumi.Context) error { return stacks.Program(ctx) }, recmock.WithConfig(cfg))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}

func TestProgram_ExportsEveryExemptionWithItsApproval(t *testing.T) {
	withClock(t, fixedNow)
	cfg := validConfig()
	cfg["rampart:namespaces"] = falcoWith(exemption.Approval{Owner: "platform-team", ApprovedBy: "CISO", Ticket: "https://jira.example/SEC-1", Expires: "2027-09-30"})
	rec := recmock.New()
	var c *config.Config
	err := rec.Run(func(ctx *pulumi.Context) error {
		var err error
		if c, err = config.LoadFor(ctx, stubResolver, nil); err != nil {
			return err
		}
		return stacks.Run(ctx, c)
	}, recmock.WithConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	r := c.ExemptionRecords()
	if len(r) != 1 || r[0].Subject != "falco" || r[0].Owner != "platform-team" || r[0].Ticket != "https://jira.example/SEC-1" || r[0].BuiltIn {
		t.Fatalf("records = %+v", r)
	}
}
