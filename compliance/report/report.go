// Package report renders a compliance.Assessment for its readers: Markdown
// for a terminal or a PR comment, JSON for machines, a self-contained HTML
// page for people and print, and an OSCAL assessment-results document for
// GRC tools. It judges nothing: every verdict and fact comes from the
// assessment as given.
package report

import (
	"encoding/json"
	"io"

	"github.com/rampart-dev/rampart/compliance"
)

// assessment is the renderers' view of an Assessment: their helpers are
// its methods.
type assessment struct{ *compliance.Assessment }

// JSON writes the assessment for machines, indented.
func JSON(w io.Writer, a *compliance.Assessment) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(a)
}
