// Package labenv gives tests the local lab's addresses and credentials from
// lab.env, written by `lab/lab.sh up`, and what else the lab scripts
// resolve: the cache folder, lab/versions.env and the toolchain's tools.
//
// A test that needs a lab server calls Require. Under `make test`
// (RAMPART_REQUIRE_LAB=1) a missing server is a test failure, never a skip;
// a bare `go test ./...` on a machine without the lab skips with the reason.
package labenv

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Path is lab.env's location: $RAMPART_LAB_ENV, else
// $RAMPART_LAB_STATE/lab.env, else Cache()/lab/lab.env (lab/lib.sh's LAB_STATE).
func Path() string {
	if p := os.Getenv("RAMPART_LAB_ENV"); p != "" {
		return p
	}
	state := os.Getenv("RAMPART_LAB_STATE")
	if state == "" {
		state = filepath.Join(Cache(), "lab")
	}
	return filepath.Join(state, "lab.env")
}

// Cache is the lab's cache folder, resolved as lab/lib.sh and
// lab/toolchain.sh do: $RAMPART_CACHE, else $XDG_CACHE_HOME/rampart, else
// ~/.cache/rampart (an empty variable counts as unset, like bash's :-).
func Cache() string {
	if c := os.Getenv("RAMPART_CACHE"); c != "" {
		return c
	}
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, _ := os.UserHomeDir()
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "rampart")
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
		unavailable(t, "lab not ready ("+why+"): run `make lab-up`",
			"lab not ready ("+why+"): run `make lab-up`, or `make test` which starts it")
	}
	return env
}

// unavailable fails the test with fatal under RAMPART_REQUIRE_LAB=1 (make
// test, where nothing may be silently left out) and skips it with skip
// elsewhere (a bare `go test ./...` on a machine without the lab).
func unavailable(t testing.TB, fatal, skip string) {
	t.Helper()
	if os.Getenv("RAMPART_REQUIRE_LAB") == "1" {
		t.Fatal(fatal)
	}
	t.Skip(skip)
}
