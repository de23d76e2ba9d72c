package runtime

import (
	"regexp"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// TrivyAdvisory is the advisory of the March 2026 Trivy supply-chain
// compromise: images v0.69.4, v0.69.5, v0.69.6 and `latest` on Docker Hub
// were malicious during the window, and release tags were repointed, so a
// Trivy image is trusted only by digest.
const TrivyAdvisory = "GHSA-69fq-xp46-6x23"

// CompromisedTrivyVersions are the Trivy releases published by the attacker.
var CompromisedTrivyVersions = []string{"0.69.4", "0.69.5", "0.69.6"}

// Image is an OCI image reference split the way the charts take it. Charts
// without a digest key get the digest through the tag: Tag is
// "<version>@sha256:<64 hex>" and the chart renders
// registry/repository:<version>@sha256:…, which the runtime pulls by digest.
type Image struct {
	// Registry, e.g. "mirror.gcr.io" or an air-gapped mirror.
	Registry string `json:"registry,omitempty"`
	// Repository, e.g. "aquasec/trivy".
	Repository string `json:"repository,omitempty"`
	// Tag is "<version>@sha256:<digest>"; a tag without a digest is refused
	// (tags move; digests do not).
	Tag string `json:"tag,omitempty"`
}

// Ref is the reference the chart renders from these values.
func (i Image) Ref() string { return i.Registry + "/" + i.Repository + ":" + i.Tag }

// Version is the tag without its digest.
func (i Image) Version() string { v, _, _ := strings.Cut(i.Tag, "@"); return v }

// Values is the image as chart values (registry, repository, tag).
func (i Image) Values() map[string]any {
	return map[string]any{"registry": i.Registry, "repository": i.Repository, "tag": i.Tag}
}

// over fills i's unset fields from def, field by field.
func (i Image) over(def Image) Image {
	if i.Registry == "" {
		i.Registry = def.Registry
	}
	if i.Repository == "" {
		i.Repository = def.Repository
	}
	if i.Tag == "" {
		i.Tag = def.Tag
	}
	return i
}

var digestTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}@sha256:[0-9a-f]{64}$`)

// HasDigest reports whether a tag pins its image by sha256 digest.
func HasDigest(tag string) bool { return digestTag.MatchString(tag) }

// checkImage reports an image that is not pinned by digest.
func checkImage(l *verr.List, path string, i Image) {
	if i.Registry == "" || i.Repository == "" {
		l.Add(path+".repository", i.Registry+"/"+i.Repository, "registry and repository are required", "set image.registry and image.repository")
	}
	if !HasDigest(i.Tag) {
		l.Add(path+".tag", i.Tag, "not pinned by digest: a tag can be repointed to another image",
			`use "<version>@sha256:<64 hex digest>" as published by the project (or your mirror)`)
	}
}

// checkTrivyImage refuses the compromised Trivy releases and any Trivy
// reference that is not pinned by digest (GHSA-69fq-xp46-6x23).
func checkTrivyImage(l *verr.List, path string, i Image) {
	// Normalise every spelling of a release: V0.69.4, v0.69.4, 0.69.4-amd64,
	// 0.69.4_linux all name the same compromised build.
	v := strings.TrimPrefix(strings.ToLower(strings.TrimSpace(i.Version())), "v")
	if cut := strings.IndexAny(v, "-_+"); cut > 0 {
		v = v[:cut]
	}
	for _, bad := range CompromisedTrivyVersions {
		if v == strings.TrimPrefix(bad, "v") {
			l.Add(path+".tag", i.Tag, "Trivy "+bad+" is a compromised release ("+TrivyAdvisory+")",
				"use a release published after the incident (e.g. 0.72.0) pinned by digest")
			return
		}
	}
	if v == "latest" || v == "" {
		l.Add(path+".tag", i.Tag, "a floating Trivy tag: `latest` served the compromised image during the incident ("+TrivyAdvisory+")",
			"pin an exact release by digest: \"0.72.0@sha256:…\"")
		return
	}
	if !HasDigest(i.Tag) {
		l.Add(path+".tag", i.Tag, "a Trivy reference without a digest: release tags were repointed during the incident ("+TrivyAdvisory+")",
			"append the published digest: \""+v+"@sha256:…\"")
	}
	if i.Registry == "" || i.Repository == "" {
		l.Add(path+".repository", i.Registry+"/"+i.Repository, "registry and repository are required", "set registry and repository")
	}
}
