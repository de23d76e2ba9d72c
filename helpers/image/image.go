// Package image is the one model of a container image Rampart renders: a
// typed reference (registry / repository : tag @ digest), the one digest
// rule, and rampart:images — a registry mirror that rewrites the registry of
// every image, and per-image replacements pinned by digest. Components pin
// their upstream images as Pins and render Images.Resolve(pin); nothing else
// in Rampart builds, checks or rewrites an image reference.
//
// Supply chain: NIS2 Art. 21(2)(d); ISM-1493 (software is pinned and
// verified). A tag can be repointed to another image (Trivy's release tags
// were, GHSA-69fq-xp46-6x23); a digest names the content.
package image

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// DefaultRegistry is the registry a reference without one names (Docker's
// rule, which every container runtime applies).
const DefaultRegistry = "docker.io"

// Ref is an OCI image reference split into its parts. String() is the
// reference a runtime pulls.
type Ref struct {
	// Registry is the host[:port] the image comes from, optionally with a
	// path (a mirror's project, e.g. "harbor.example.org/hub").
	Registry string
	// Repository is the image's path in the registry, e.g. "aquasec/trivy".
	Repository string
	// Tag is the release's name; informative once Digest is set (the
	// runtime pulls the digest).
	Tag string
	// Digest is "sha256:<64 hex>": the content the runtime pulls.
	Digest string
}

// The grammar of github.com/distribution/reference (reference.go), which
// containerd and Docker parse with.
var (
	digestRE     = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	tagRE        = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
	pathRE       = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)
	hostRE       = regexp.MustCompile(`^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::[0-9]+)?$`)
	errNoRepo    = errors.New("no repository")
	digestFormat = "sha256:<64 lower-case hex digits>"
)

// ValidDigest is the one digest rule: "sha256:" and 64 lower-case hex
// digits, the form registries and runtimes print.
func ValidDigest(d string) bool { return digestRE.MatchString(d) }

// Pinned reports whether r names its content by a valid digest.
func (r Ref) Pinned() bool { return ValidDigest(r.Digest) }

// Name is registry/repository, without tag or digest.
func (r Ref) Name() string { return r.Registry + "/" + r.Repository }

// String is the full reference: registry/repository[:tag][@digest].
func (r Ref) String() string {
	s := r.Name()
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	if r.Digest != "" {
		s += "@" + r.Digest
	}
	return s
}

// ChartTag is the tag as charts without a digest key take it, the digest
// riding in the tag ("<tag>@sha256:…"): they render
// registry/repository:<ChartTag>, which the runtime pulls by digest.
func (r Ref) ChartTag() string {
	if r.Digest == "" {
		return r.Tag
	}
	return r.Tag + "@" + r.Digest
}

// Values is the reference as the charts that split it take it:
// {registry, repository, tag: ChartTag()}.
func (r Ref) Values() map[string]any {
	return map[string]any{"registry": r.Registry, "repository": r.Repository, "tag": r.ChartTag()}
}

// Parse splits a full reference ("quay.io/org/name:tag@sha256:…"). A
// reference whose first path element is not a host (no dot, no port, not
// "localhost") is on DefaultRegistry, and a one-element Docker Hub name is
// under library/, as every runtime reads it. Parse checks the shape only;
// Validate applies the digest rule.
func Parse(s string) (Ref, error) {
	var r Ref
	if s != strings.TrimSpace(s) || s == "" || strings.ContainsAny(s, " \t\n\"'") {
		return r, errors.New("not an image reference")
	}
	rest := s
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest, r.Digest = rest[:i], rest[i+1:]
		if !ValidDigest(r.Digest) {
			return r, fmt.Errorf("the digest is not %s", digestFormat)
		}
	}
	if i := strings.LastIndex(rest, ":"); i > strings.LastIndex(rest, "/") {
		rest, r.Tag = rest[:i], rest[i+1:]
		if !tagRE.MatchString(r.Tag) {
			return r, fmt.Errorf("%q is not a tag", r.Tag)
		}
	}
	first, path, hasSlash := strings.Cut(rest, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Registry, r.Repository = first, path
	} else {
		r.Registry, r.Repository = DefaultRegistry, rest
		if !hasSlash {
			r.Repository = "library/" + rest
		}
	}
	if r.Repository == "" {
		return r, errNoRepo
	}
	if !hostRE.MatchString(r.Registry) {
		return r, fmt.Errorf("%q is not a registry host", r.Registry)
	}
	if !pathRE.MatchString(r.Repository) {
		return r, fmt.Errorf("%q is not a repository (lower-case path elements)", r.Repository)
	}
	return r, nil
}

// Validate reports at path what makes r unusable as a rendered image: a
// registry or repository that is not one, a malformed tag, and a missing or
// malformed digest (the one digest rule: an image is pinned by digest).
func (r Ref) Validate(l *verr.List, path string) {
	if err := checkRegistry(r.Registry); err != nil {
		l.Add(path, r.String(), err.Error(), "use host[:port][/path], e.g. registry.example.org")
		return
	}
	if !pathRE.MatchString(r.Repository) {
		l.Add(path, r.String(), "no repository, or not lower-case path elements", "use registry/repository[:tag]@sha256:…")
		return
	}
	if r.Tag != "" && !tagRE.MatchString(r.Tag) {
		l.Add(path, r.String(), "not a tag", "use a release name such as 1.2.3")
	}
	if !r.Pinned() {
		l.Add(path, r.String(), "not pinned by digest: a tag can be repointed to another image",
			"append the image's digest, @"+digestFormat+" (`crane digest <image>`)")
	}
}

// Require parses s and applies Validate: the one call for an image given
// as a string (a config value). It returns the reference and whether it is
// usable.
func Require(l *verr.List, path, s string) (Ref, bool) {
	r, err := Parse(s)
	if err != nil {
		l.Add(path, s, err.Error(), "use registry/repository[:tag]@"+digestFormat)
		return r, false
	}
	n := l.Len()
	r.Validate(l, path)
	return r, l.Len() == n
}

// checkRegistry accepts host[:port] optionally followed by a path.
func checkRegistry(reg string) error {
	host, path, hasPath := strings.Cut(reg, "/")
	if !hostRE.MatchString(host) {
		return errors.New("not a registry host")
	}
	if hasPath && !pathRE.MatchString(path) {
		return errors.New("the registry's path is not lower-case path elements")
	}
	return nil
}

// Pin is an image a component renders, as Rampart pins it upstream. Its
// Repository is its key in Images.Overrides.
type Pin struct {
	Ref
	// Check, when set, reports what the component refuses in a
	// replacement beyond the digest rule (a compromised release, a version
	// too old for the bucket, a tag the chart needs).
	Check func(l *verr.List, path string, r Ref)
}

// Images is rampart:images: how every image Rampart renders is obtained.
// The zero value renders the upstream pins as they are.
type Images struct {
	// Registry is a mirror that replaces the registry of every image
	// Rampart renders (upstream pins and the images a section names, such
	// as OpenBao's seal.clientImage); repository, tag and digest stay, as
	// a mirror serves the same content under the same digest. host[:port],
	// optionally with a path (a proxy project). Default "": each image's
	// own registry.
	Registry string `json:"registry,omitempty"`
	// Overrides replace one image each, keyed by the upstream repository
	// as Rampart pins it (e.g. "envoyproxy/gateway"); the value is a full
	// reference pinned by digest (tag optional), used as it is — the mirror
	// does not rewrite it. For a locally built or re-signed image: its
	// digest is its own, never an upstream digest aliased onto another
	// image. A key naming no image Rampart renders is refused.
	Overrides map[string]string `json:"overrides,omitempty"`
}

// Resolve is the image to render for an upstream pin: its override when
// one is set, else the pin on the mirror. Call it on a validated Images: an
// override that does not parse is ignored here.
func (im Images) Resolve(upstream Ref) Ref {
	if s, ok := im.Overrides[upstream.Repository]; ok {
		if r, err := Parse(s); err == nil {
			return r
		}
	}
	return im.Mirror(upstream)
}

// Mirror is r on the mirror's registry (r itself without a mirror): for an
// image a section names rather than an upstream pin (no override applies).
func (im Images) Mirror(r Ref) Ref {
	if im.Registry != "" {
		r.Registry = im.Registry
	}
	return r
}

// RequireTag is a Pin.Check for charts that take the digest in the tag
// (ChartTag): they render registry/repository:<tag>, and an empty tag
// falls back to the chart's appVersion without the digest.
func RequireTag(l *verr.List, path string, r Ref) {
	if r.Tag == "" {
		l.Add(path, r.String(), "the chart takes the digest in the tag (\"<tag>@sha256:…\"), so a replacement names its tag",
			"give the reference as registry/repository:<tag>@sha256:…")
	}
}

// Overridden reports whether upstream has an override.
func (im Images) Overridden(upstream Ref) bool {
	_, ok := im.Overrides[upstream.Repository]
	return ok
}

// Validate reports every problem of the section under path
// ("rampart:images"): a mirror that is not a registry, an override key
// that names none of known (the fix lists them: a key nothing reads is not
// a feature), and an override that does not parse, is not pinned by digest
// or fails its pin's own Check. known is every image the program renders.
func (im Images) Validate(l *verr.List, path string, known []Pin) {
	im.validate(l, path, known, true)
}

// ValidateFor is what a component checks of the Images it was given: the
// mirror and the overrides of its own pins. Other keys are other
// components' (the program's Validate refuses the unknown ones).
func (im Images) ValidateFor(l *verr.List, path string, pins []Pin) {
	im.validate(l, path, pins, false)
}

// Err is ValidateFor under "images", for a component's constructor.
func (im Images) Err(pins []Pin) error {
	var l verr.List
	im.ValidateFor(&l, "images", pins)
	return l.Err()
}

func (im Images) validate(l *verr.List, path string, known []Pin, strict bool) {
	if im.Registry != "" {
		if err := checkRegistry(im.Registry); err != nil {
			l.Add(verr.Path(path, "registry"), im.Registry, err.Error(), "use the mirror's host[:port][/path], e.g. harbor.example.org/hub")
		}
	}
	pins := map[string]Pin{}
	var keys []string
	for _, p := range known {
		if _, dup := pins[p.Repository]; !dup {
			keys = append(keys, p.Repository)
		}
		pins[p.Repository] = p
	}
	slices.Sort(keys)
	overrides := make([]string, 0, len(im.Overrides))
	for k := range im.Overrides {
		overrides = append(overrides, k)
	}
	slices.Sort(overrides)
	for _, k := range overrides {
		kp := verr.Key(verr.Path(path, "overrides"), k)
		p, ok := pins[k]
		switch {
		case !ok && strict:
			l.Add(kp, im.Overrides[k], "names no image Rampart renders",
				"key it by the upstream repository of one of: "+strings.Join(keys, ", "))
		case !ok:
		default:
			if r, ok := Require(l, kp, im.Overrides[k]); ok && p.Check != nil {
				p.Check(l, kp, r)
			}
		}
	}
}
