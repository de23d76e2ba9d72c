// Package labenv gives tests the local lab's addresses and credentials from
// lab.env, written by `lab/lab.sh up`.
//
// A test that needs a lab server calls Require. Under `make test`
// (RAMPART_REQUIRE_LAB=1) a missing server is a test failure, never a skip;
// a bare `go test ./...` on a machine without the lab skips with the reason.
package labenv

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Path is lab.env's location: $RAMPART_LAB_ENV, else the lab's default.
func Path() string {
	if p := os.Getenv("RAMPART_LAB_ENV"); p != "" {
		return p
	}
	state := os.Getenv("RAMPART_LAB_STATE")
	if state == "" {
		cache := os.Getenv("RAMPART_CACHE")
		if cache == "" {
			base := os.Getenv("XDG_CACHE_HOME")
			if base == "" {
				home, _ := os.UserHomeDir()
				base = filepath.Join(home, ".cache")
			}
			cache = filepath.Join(base, "rampart")
		}
		state = filepath.Join(cache, "lab")
	}
	return filepath.Join(state, "lab.env")
}

// Load parses lab.env ("export KEY=value" lines, values shell-quoted by %q).
func Load() (map[string]string, error) {
	f, err := os.Open(Path())
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	env := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimPrefix(strings.TrimSpace(sc.Text()), "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if uq, err := strconv.Unquote(v); err == nil {
			v = uq
		} else if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env, sc.Err()
}

// RequireCommand finds name on PATH, with the same fail-or-skip rule as
// Require (the lab's tools are on PATH only through lab/pulumi-env.sh).
func RequireCommand(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err == nil {
		return p
	}
	if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
		t.Fatalf("%s not on PATH (%v): `make test` puts the lab toolchain there", name, err)
	}
	t.Skipf("%s not on PATH: run `make test`, which puts the lab toolchain there", name)
	return ""
}

// Require returns the lab env holding every key in keys; otherwise it fails
// the test under RAMPART_REQUIRE_LAB=1 and skips it (with the reason) elsewhere.
func Require(t testing.TB, keys ...string) map[string]string {
	t.Helper()
	env, err := Load()
	var missing []string
	if err == nil {
		for _, k := range keys {
			if env[k] == "" {
				missing = append(missing, k)
			}
		}
	}
	if err != nil || len(missing) > 0 {
		why := "lab.env has no " + strings.Join(missing, ", ")
		if err != nil {
			why = err.Error()
		}
		if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
			t.Fatalf("lab not ready (%s): run `make lab-up`", why)
		}
		t.Skipf("lab not ready (%s): run `make lab-up`, or `make test` which starts it", why)
	}
	return env
}
