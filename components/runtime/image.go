package runtime

import (
	"strings"

	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// TrivyAdvisory is the advisory of the March 2026 Trivy supply-chain
// compromise: images v0.69.4, v0.69.5, v0.69.6 and `latest` on Docker Hub
// were malicious during the window, and release tags were repointed, so a
// Trivy image is trusted only by digest.
const TrivyAdvisory = "GHSA-69fq-xp46-6x23"

// CompromisedTrivyVersions are the Trivy releases published by the attacker.
var CompromisedTrivyVersions = []string{"0.69.4", "0.69.5", "0.69.6"}

// Pins are the images the component renders, the keys
// rampart:images.overrides takes for it. The charts take the digest in the
// tag (they have no digest key), so a replacement names its tag; a Trivy
// replacement must also name a release that is not compromised.
func Pins() []image.Pin {
	return []image.Pin{
		{Ref: DefaultOperatorImage, Check: image.RequireTag},
		{Ref: DefaultTrivyImage, Check: checkTrivyImage},
		{Ref: DefaultFalcoImage, Check: image.RequireTag},
		{Ref: DefaultSidekickImage, Check: image.RequireTag},
		{Ref: DefaultFalcoctlImage, Check: image.RequireTag},
	}
}

// checkTrivyImage refuses the compromised Trivy releases and a Trivy
// replacement that names no release (GHSA-69fq-xp46-6x23).
func checkTrivyImage(l *verr.List, path string, r image.Ref) {
	if r.Tag == "" {
		image.RequireTag(l, path, r)
		return
	}
	// Normalise every spelling of a release: V0.69.4, v0.69.4, 0.69.4-amd64,
	// 0.69.4_linux all name the same compromised build.
	v := strings.TrimPrefix(strings.ToLower(r.Tag), "v")
	if cut := strings.IndexAny(v, "-_+"); cut > 0 {
		v = v[:cut]
	}
	for _, bad := range CompromisedTrivyVersions {
		if v == bad {
			l.Add(path, r.String(), "Trivy "+bad+" is a compromised release ("+TrivyAdvisory+")",
				"use a release published after the incident (e.g. 0.72.0) pinned by digest")
			return
		}
	}
	if v == "latest" {
		l.Add(path, r.String(), "a floating Trivy tag: `latest` served the compromised image during the incident ("+TrivyAdvisory+")",
			"name an exact release, pinned by digest: \"<registry>/aquasec/trivy:0.72.0@sha256:…\"")
	}
}
