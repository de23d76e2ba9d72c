// Package version says which build of Rampart is running: the release
// version and commit a release build stamps in with -ldflags, or, for a
// plain `go build`/`go run`/`go install`, what the Go toolchain recorded in
// the binary (module version, VCS revision, whether the tree was modified),
// plus the Go version and the Pulumi SDK the binary was linked with.
//
// A release build sets both variables:
//
//	go build -ldflags "-X github.com/rampart-dev/rampart/helpers/version.Version=v0.4.0 \
//	  -X github.com/rampart-dev/rampart/helpers/version.Commit=$(git rev-parse HEAD)" ./cmd/rampart
package version

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Version is the release version, set by -ldflags -X. Empty (the default)
// means "use the module version from the build info", which is "(devel)"
// for a build from a checkout.
var Version = ""

// Commit is the release commit, set by -ldflags -X. Empty (the default)
// means "use vcs.revision from the build info", which Go records when it
// builds inside a git checkout (unless -buildvcs=false).
var Commit = ""

// PulumiSDKModule is the module whose version Info reports as PulumiSDK.
const PulumiSDKModule = "github.com/pulumi/pulumi/sdk/v3"

// Unknown stands for a field neither -ldflags nor the build info provides.
const Unknown = "unknown"

// Info is one build's identity.
type Info struct {
	// Version is the release version, or the main module's version.
	Version string `json:"version"`
	// Commit is the git revision the binary was built from.
	Commit string `json:"commit"`
	// Modified is true when the checkout had uncommitted changes.
	Modified bool `json:"modified"`
	// GoVersion is the toolchain that built the binary.
	GoVersion string `json:"goVersion"`
	// PulumiSDK is the version of github.com/pulumi/pulumi/sdk/v3 linked in.
	PulumiSDK string `json:"pulumiSdk"`
}

// Get returns the running binary's Info. Fields nothing provides are
// Unknown, never empty.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return fromBuildInfo(bi, Version, Commit)
}

// fromBuildInfo fills Info from bi (nil when the binary has none) and the
// -ldflags overrides.
func fromBuildInfo(bi *debug.BuildInfo, version, commit string) Info {
	info := Info{Version: version, Commit: commit, GoVersion: runtime.Version()}
	if bi != nil {
		if bi.GoVersion != "" {
			info.GoVersion = bi.GoVersion
		}
		if info.Version == "" {
			info.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				if info.Commit == "" {
					info.Commit = s.Value
				}
			case "vcs.modified":
				info.Modified = s.Value == "true"
			}
		}
		for _, d := range bi.Deps {
			if d.Path != PulumiSDKModule {
				continue
			}
			info.PulumiSDK = d.Version
			if r := d.Replace; r != nil {
				// A replace to a local directory has no version.
				info.PulumiSDK = strings.TrimSuffix(r.Path+"@"+r.Version, "@")
			}
		}
	}
	for _, f := range []*string{&info.Version, &info.Commit, &info.GoVersion, &info.PulumiSDK} {
		if *f == "" {
			*f = Unknown
		}
	}
	return info
}

// String is the multi-line text `rampart version` prints.
func (i Info) String() string {
	commit := i.Commit
	if i.Modified {
		commit += " (modified)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "rampart     %s\n", i.Version)
	fmt.Fprintf(&b, "commit      %s\n", commit)
	fmt.Fprintf(&b, "go          %s\n", i.GoVersion)
	fmt.Fprintf(&b, "pulumi sdk  %s\n", i.PulumiSDK)
	return b.String()
}
