package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo_ReadsModuleVCSAndPulumiSDK(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.99.1",
		Main:      debug.Module{Path: "github.com/rampart-dev/rampart", Version: "v0.3.0"},
		Deps: []*debug.Module{
			{Path: "github.com/spf13/cobra", Version: "v1.10.2"},
			{Path: PulumiSDKModule, Version: "v3.263.0"},
		},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.modified", Value: "true"}},
	}
	got := fromBuildInfo(bi, "", "")
	want := Info{Version: "v0.3.0", Commit: "abc123", Modified: true, GoVersion: "go1.99.1", PulumiSDK: "v3.263.0"}
	if got != want {
		t.Fatalf("fromBuildInfo = %+v, want %+v", got, want)
	}
	if s := got.String(); !strings.Contains(s, "abc123 (modified)") || !strings.Contains(s, "pulumi sdk  v3.263.0") {
		t.Errorf("String() = %q, want the modified commit and the SDK version", s)
	}
}

func TestFromBuildInfo_LdflagsWinOverBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		Main:     debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "fromvcs"}},
	}
	got := fromBuildInfo(bi, "v1.2.3", "fromldflags")
	if got.Version != "v1.2.3" || got.Commit != "fromldflags" {
		t.Errorf("fromBuildInfo = %+v, want the -ldflags version and commit", got)
	}
}

func TestFromBuildInfo_NoBuildInfoIsUnknownNotEmpty(t *testing.T) {
	got := fromBuildInfo(nil, "", "")
	if got.Version != Unknown || got.Commit != Unknown || got.PulumiSDK != Unknown {
		t.Errorf("fromBuildInfo(nil) = %+v, want %q for what nothing provides", got, Unknown)
	}
	if got.GoVersion == "" || got.GoVersion == Unknown {
		t.Errorf("GoVersion = %q, want runtime.Version()", got.GoVersion)
	}
}

func TestFromBuildInfo_ReplacedSDKNamesTheReplacement(t *testing.T) {
	bi := &debug.BuildInfo{Deps: []*debug.Module{{
		Path: PulumiSDKModule, Version: "v3.263.0",
		Replace: &debug.Module{Path: "github.com/fork/pulumi/sdk/v3", Version: "v3.263.1"},
	}}}
	if got := fromBuildInfo(bi, "", "").PulumiSDK; got != "github.com/fork/pulumi/sdk/v3@v3.263.1" {
		t.Errorf("PulumiSDK = %q, want the replacement module", got)
	}
}
