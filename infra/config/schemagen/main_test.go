package main

import (
	"os"
	"strings"
	"testing"
)

// TestPulumiYAML_MatchesTheGoTypes fails when Pulumi.yaml's config schema
// drifts from infra/config's types and doc comments: run
// `go generate ./infra/config` and commit the result.
func TestPulumiYAML_MatchesTheGoTypes(t *testing.T) {
	src, err := configSource()
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Render(src)
	if err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(rel("..", "..", "..", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := Splice(string(file), gen)
	if err != nil {
		t.Fatal(err)
	}
	if string(file) != want {
		got := string(file)[strings.Index(string(file), Marker):]
		t.Errorf("Pulumi.yaml's config schema is stale: run `go generate ./infra/config`.\n--- generated:\n%s\n--- in Pulumi.yaml:\n%s", gen, got)
	}
}

// TestRender_EveryConfigFieldIsDocumented: a Config field without a
// "Name (rampart:key): …" comment has no description, so Render refuses it.
func TestRender_EveryConfigFieldIsDocumented(t *testing.T) {
	src, err := configSource()
	if err != nil {
		t.Fatal(err)
	}
	broken := strings.Replace(string(src), "// Domain (rampart:domain):", "// Domain is", 1)
	if broken == string(src) {
		t.Fatal("config.go no longer documents rampart:domain the expected way")
	}
	if _, err := Render([]byte(broken)); err == nil || !strings.Contains(err.Error(), `"domain"`) {
		t.Errorf("an undocumented field was accepted: %v", err)
	}
}

// TestREADME_KeyTableListsExactlyTheConfigKeys: the README's key table
// names every key Pulumi.yaml declares and no other.
func TestREADME_KeyTableListsExactlyTheConfigKeys(t *testing.T) {
	src, err := configSource()
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Render(src)
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, line := range strings.Split(gen, "\n") {
		if strings.HasPrefix(line, "  ") && !strings.HasPrefix(line, "   ") && strings.HasSuffix(line, ":") {
			declared[strings.TrimSuffix(strings.TrimSpace(line), ":")] = true
		}
	}
	readme, err := os.ReadFile(rel("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	start := strings.Index(text, "| key | type | default |")
	if start < 0 {
		t.Fatal("README has no key table (| key | type | default | …)")
	}
	listed := map[string]bool{}
	for _, line := range strings.Split(text[start:], "\n")[2:] {
		if !strings.HasPrefix(line, "|") {
			break
		}
		first := strings.Split(line, "|")[1]
		for _, part := range strings.Split(first, "`")[1:] {
			if k := strings.TrimSpace(part); k != "" && !strings.ContainsAny(k, " ,") {
				listed[k] = true
			}
		}
	}
	for k := range declared {
		if !listed[k] {
			t.Errorf("README key table lacks %s", k)
		}
	}
	for k := range listed {
		if !declared[k] {
			t.Errorf("README key table lists %s, which no config type declares", k)
		}
	}
}
