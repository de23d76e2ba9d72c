package report

import (
	"strings"

	"github.com/rampart-dev/rampart/compliance"
)

// The ISM's controls are ASD's: the export references them by the control
// ids of ASD's OSCAL catalog ("ism-1182", statement "ism-1182_smt"), and
// its back-matter cites that catalog's release, so a tool holding the
// catalog resolves every ISM target. The other frameworks have no OSCAL
// catalog: their tokens are Rampart's ("nis2_art-21-2-h").

// oscalISMFramework is the framework whose controls come from ASD's catalog.
const oscalISMFramework = "ISM"

// oscalISMControlID is the catalog's control id of an ISM label, and
// false for a label that is not one of the catalog release's controls.
func oscalISMControlID(framework, control string) (string, bool) {
	if framework != oscalISMFramework {
		return "", false
	}
	c, ok := compliance.ISM(control)
	return c.ID, ok
}

// oscalISMCatalog is the back-matter record of the ISM catalog release,
// present when the assessment rolls up an ISM control.
func (a assessment) oscalISMCatalog() []oscalResource {
	for _, c := range a.Controls {
		if c.Framework == oscalISMFramework {
			version, url := compliance.ISMRelease()
			return []oscalResource{{UUID: a.oscalID("ism-catalog", version),
				Title:       "Information security manual, OSCAL catalog, release " + version,
				Description: "ASD's ISM catalog (github.com/AustralianCyberSecurityCentre/ism-oscal, tag v" + version + "): the ISM control ids of the reviewed controls and findings are this release's.",
				Props:       []oscalProp{oscalNSProp("ism-release", version)},
				RLinks:      []oscalRLink{{Href: url, MediaType: "application/oscal.catalog+json"}}}}
		}
	}
	return nil
}

// oscalISMLinks links the ISM control selection to the catalog record.
func (a assessment) oscalISMLinks(framework string) []oscalLink {
	if framework != oscalISMFramework {
		return nil
	}
	for _, r := range a.oscalISMCatalog() {
		return []oscalLink{{Href: "#" + r.UUID, Rel: "reference", Text: strings.TrimSpace(r.Title)}}
	}
	return nil
}
