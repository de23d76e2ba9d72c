// Package chart is an upstream Helm chart as every component takes it: where
// it comes from (config keys chart.repository and chart.version), the one
// pinning rule, and the helm.v4.Chart arguments it becomes. Components own
// their Pin (name, upstream repository, pinned version); this package owns
// what is true of every chart.
package chart

import (
	"regexp"
	"strings"

	helmv4 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/helm/v4"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Source is a chart's origin as the stack config gives it. Both keys are
// optional: an empty one takes the component's Pin.
type Source struct {
	// Repository is an https:// chart repository or an oci:// registry path
	// (the chart's name is appended). Air-gapped sites point it at their OCI
	// mirror. Default: the component's upstream repository.
	Repository string `json:"repository,omitempty"`
	// Version pins the chart to one exact version, never a range: an
	// unpinned chart would change the cluster without a reviewed diff.
	// Default: the version the component's images are pinned for.
	Version string `json:"version,omitempty"`
}

// Pin is a component's upstream chart: its name in the repository, the
// repository and the version Rampart is tested with.
type Pin struct {
	// Name is the chart's name (appended to an oci:// repository).
	Name string
	// Repository is the upstream repository (https:// or oci://).
	Repository string
	// Version is the pinned chart version.
	Version string
	// OCIOnly is set for a chart published to an OCI registry only: an
	// https:// repository is refused.
	OCIOnly bool
	// LocalOK accepts an absolute path to a folder holding the chart's
	// folder (the lab's copy); the component decides when that is allowed.
	LocalOK bool
}

// exactVersion is a pinned semver (an optional v and pre-release suffix):
// no range, wildcard or tag such as latest.
var exactVersion = regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$`)

// WithDefaults fills the keys left unset from the pin.
func (s Source) WithDefaults(p Pin) Source {
	if s.Repository == "" {
		s.Repository = p.Repository
	}
	if s.Version == "" {
		s.Version = p.Version
	}
	return s
}

// Local reports whether the source is a local folder (an absolute path).
func (s Source) Local() bool { return strings.HasPrefix(s.Repository, "/") }

// OCI reports whether the source is an OCI registry path.
func (s Source) OCI() bool { return strings.HasPrefix(s.Repository, "oci://") }

// Validate reports, at path.repository and path.version, a repository that
// is neither https:// nor oci:// (oci:// only for an OCIOnly pin; a local
// folder only where LocalOK) and a version that is not one exact version.
// Call it on the source after WithDefaults.
func (s Source) Validate(l *verr.List, path string, p Pin) {
	switch {
	case s.OCI(), s.Local() && p.LocalOK:
	case p.OCIOnly:
		l.Add(verr.Path(path, "repository"), s.Repository, p.Name+" is published as an OCI chart only",
			"use "+p.Repository+" or your OCI mirror (oci://registry/path)")
	case !strings.HasPrefix(s.Repository, "https://"):
		l.Add(verr.Path(path, "repository"), s.Repository, "the chart must come over https:// or from an oci:// registry",
			"use "+p.Repository+" or your OCI mirror (oci://registry/path)")
	}
	if !exactVersion.MatchString(s.Version) {
		l.Add(verr.Path(path, "version"), s.Version, "the chart version must be pinned (one exact version, no range or tag)",
			"set an exact version, e.g. "+p.Version)
	}
}

// Args is the helm.v4.Chart of the source: release in namespace with
// values. An oci:// repository or a local folder is a path to the chart
// (the pin's name appended); an https:// repository is a repository option.
// The caller sets what else the component needs (SkipAwait, …).
func (s Source) Args(p Pin, release, namespace string, values pulumi.MapInput) *helmv4.ChartArgs {
	args := &helmv4.ChartArgs{
		Name:      pulumi.String(release),
		Namespace: pulumi.String(namespace),
		Version:   pulumi.String(s.Version),
		Values:    values,
	}
	if s.OCI() || s.Local() {
		args.Chart = pulumi.String(strings.TrimSuffix(s.Repository, "/") + "/" + p.Name)
	} else {
		args.Chart = pulumi.String(p.Name)
		args.RepositoryOpts = &helmv4.RepositoryOptsArgs{Repo: pulumi.String(s.Repository)}
	}
	return args
}
