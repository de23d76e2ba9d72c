package compliance

import (
	"regexp"
	"strings"
)

//go:generate go run ./ismgen -catalog=$ISM_CATALOG -o ismcatalog.go

// ISM identifiers are ASD's own: each ISM-NNNN Rampart cites, in the
// checklist or anywhere in the repository, is a control of the Information
// security manual's official OSCAL catalog, release ISMRelease
// (ismcatalog.go, generated from that catalog by ismgen). The NIS2, DORA,
// Cyber Essentials Plus and ITSG-33 identifiers are Rampart's reading of
// those texts: no OSCAL catalog of theirs exists to cite.

// ISMControl is one control of ASD's ISM OSCAL catalog, as that release
// states it.
type ISMControl struct {
	// ID is the catalog's control id ("ism-1182"), which the OSCAL export
	// references.
	ID string
	// Section is the control's topic in the manual: guideline / section /
	// topic.
	Section string
	// Statement is the control's statement, verbatim.
	Statement string
	// Revision and Updated are the catalog's revision and last-updated
	// properties of the control.
	Revision, Updated string
	// Applicability lists the classifications it applies to (NC, OS, P, S,
	// TS) and Essential Eight maturity levels (ML1-ML3) where marked.
	Applicability []string
}

// ISMRelease names the catalog release the ISM identifiers come from.
func ISMRelease() (version, catalogURL string) { return ismRelease, ismCatalogURL }

// ismLabel matches an ISM identifier as Rampart writes it.
var ismLabel = regexp.MustCompile(`^ISM-[0-9]{4}$`)

// ISM looks up an ISM identifier written "ISM-1182" in the catalog
// release; false if it is not one.
func ISM(label string) (ISMControl, bool) {
	if !ismLabel.MatchString(label) {
		return ISMControl{}, false
	}
	c, ok := ismCatalog[strings.ToLower(label)]
	return c, ok
}
