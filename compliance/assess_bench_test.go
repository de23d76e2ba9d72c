package compliance_test

import (
	"fmt"
	"io"
	"testing"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
)

// BenchmarkAssess measures judging a state and rendering every format for
// the local stack with N tenants (4 policies and a quota each); `make bench`
// runs it. Figures are printed, never asserted.
func BenchmarkAssess(b *testing.B) {
	for _, n := range []int{2, 100, 1000} {
		// team-a and team-b are the local stack's route backends.
		tenants := []any{map[string]any{"name": "team-a"}, map[string]any{"name": "team-b"}}
		for i := 2; i < n; i++ {
			tenants = append(tenants, map[string]any{"name": fmt.Sprintf("tenant-%04d", i)})
		}
		dep := renderedWith(b, "Pulumi.local.yaml", map[string]any{"rampart:tenants": tenants}, nil)
		b.Run(fmt.Sprintf("tenants=%d,resources=%d", n, len(dep.Resources)), func(b *testing.B) {
			for b.Loop() {
				a := compliance.Assess("bench", dep, now)
				for _, render := range []func(io.Writer, *compliance.Assessment) error{report.Markdown, report.JSON, report.HTML, report.OSCAL} {
					if err := render(io.Discard, a); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
