package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/helpers/version"
)

// commands are the subcommands Rampart defines (completion and help are
// cobra's).
var commands = []string{"check", "drift", "preview", "apiserver", "version"}

func TestHelp_ListsEveryCommandWithSummaryAndExamples(t *testing.T) {
	code, stdout, _ := cli(t, "", "--help")
	if code != exitOK {
		t.Fatalf("--help: exit %d", code)
	}
	_, list, ok := strings.Cut(stdout, "Available Commands:\n")
	if !ok {
		t.Fatalf("--help has no command list:\n%s", stdout)
	}
	for _, name := range append(slices.Clone(commands), "completion") {
		found := false
		for _, line := range strings.Split(list, "\n") {
			f := strings.Fields(line)
			if len(f) > 1 && f[0] == name {
				found = true
			}
		}
		if !found {
			t.Errorf("--help does not list %q with a summary", name)
		}
	}
	for _, want := range []string{"Examples:\n", "Exit codes:\n", "  2  finding"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	for _, name := range commands {
		code, stdout, _ := cli(t, "", name, "--help")
		_, ex, ok := strings.Cut(stdout, "Examples:\n")
		if code != exitOK || !ok || !strings.Contains(ex, "rampart "+name) {
			t.Errorf("%s --help: exit %d, want an Examples section running `rampart %s`:\n%s", name, code, name, stdout)
		}
	}
}

func TestStackCommands_ShareStackAndDirDefaults(t *testing.T) {
	root := newRootCmd()
	for _, name := range []string{"check", "drift", "preview"} {
		cmd, _, err := root.Find([]string{name})
		if err != nil {
			t.Fatal(err)
		}
		for flag, want := range map[string]string{"stack": defaultStack, "dir": defaultDir} {
			f := cmd.Flags().Lookup(flag)
			if f == nil || f.DefValue != want {
				t.Errorf("%s --%s: %+v, want default %q", name, flag, f, want)
			}
		}
	}
}

func TestVersion_TextHasEveryField(t *testing.T) {
	code, stdout, _ := cli(t, "", "version")
	if code != exitOK {
		t.Fatalf("version: exit %d", code)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	var keys []string
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "  ")
		if strings.TrimSpace(v) == "" {
			t.Errorf("version line %q has no value", l)
		}
		keys = append(keys, k)
	}
	if want := []string{"rampart", "commit", "go", "pulumi sdk"}; !slices.Equal(keys, want) {
		t.Errorf("version keys = %q, want %q", keys, want)
	}
}

func TestVersion_JSONIsValidWithEveryField(t *testing.T) {
	code, stdout, _ := cli(t, "", "version", "--json")
	if code != exitOK {
		t.Fatalf("version --json: exit %d", code)
	}
	var got version.Info
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("version --json is not the Info JSON: %v\n%s", err, stdout)
	}
	if got.Version == "" || got.Commit == "" || got.GoVersion == "" {
		t.Errorf("version --json has an empty field: %+v", got)
	}
	// The test binary links the SDK through the Automation API, so its
	// build info names it: "unknown" here would mean the lookup broke.
	if !strings.HasPrefix(got.PulumiSDK, "v3.") {
		t.Errorf("pulumiSdk = %q, want the linked github.com/pulumi/pulumi/sdk/v3 version", got.PulumiSDK)
	}
	if !strings.HasPrefix(got.GoVersion, "go1.") {
		t.Errorf("goVersion = %q, want a go1.x toolchain", got.GoVersion)
	}
}

func TestCompletion_BashScript(t *testing.T) {
	code, stdout, _ := cli(t, "", "completion", "bash")
	if code != exitOK {
		t.Fatalf("completion bash: exit %d", code)
	}
	for _, want := range []string{"__start_rampart()", "complete -o default -F __start_rampart rampart"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("completion bash lacks %q", want)
		}
	}
}

func TestJoinOutputValues_GivesFormatFlagsTheirFile(t *testing.T) {
	root := newRootCmd()
	for _, tc := range []struct{ in, want string }{
		{"drift --json d.json --markdown d.md --fix", "drift --json=d.json --markdown=d.md --fix"},
		{"drift --json - --stack s", "drift --json=- --stack s"},
		{"drift --json --stack s", "drift --json --stack s"},
		{"-q drift --json=d.json", "-q drift --json=d.json"},
		{"check --html r.html -- --json x", "check --html=r.html -- --json x"},
		{"check --stack json --json", "check --stack json --json"},
		{"version --json extra", "version --json extra"}, // a bool flag, not a format flag
		{"audit-policy --out p.yaml", "audit-policy --out p.yaml"},
		{"apiserver render --out d", "apiserver render --out d"},
	} {
		got := strings.Join(joinOutputValues(root, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("joinOutputValues(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
