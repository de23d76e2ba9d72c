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

// TestConfigReference_MatchesTheGoTypes fails when docs/reference/config.md
// differs from a fresh rendering of infra/config's types and comments: run
// `go generate ./infra/config` and commit the result.
func TestConfigReference_MatchesTheGoTypes(t *testing.T) {
	_, root, want := freshReference(t)
	got, err := os.ReadFile(rel(root, "docs", "reference", "config.md"))
	if err != nil {
		t.Fatalf("%v: run `go generate ./infra/config`", err)
	}
	if string(got) != want {
		t.Errorf("docs/reference/config.md is stale: run `go generate ./infra/config` and commit the result")
	}
}

// TestConfigReference_ListsEveryKeyPulumiYAMLDeclares: the reference and
// Pulumi.yaml's schema come from the same types; every top-level key of one
// is a row of the other.
func TestConfigReference_ListsEveryKeyPulumiYAMLDeclares(t *testing.T) {
	src, _, ref := freshReference(t)
	gen, err := Render(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(gen, "\n") {
		if !strings.HasPrefix(line, "  ") || strings.HasPrefix(line, "   ") || !strings.HasSuffix(line, ":") {
			continue
		}
		key := strings.TrimSuffix(strings.TrimSpace(line), ":")
		if !strings.Contains(ref, "| `"+key+"` |") && !strings.Contains(ref, "| [`"+key+"`](#") {
			t.Errorf("the configuration reference has no row for %s", key)
		}
	}
}

// TestConfigReference_DescribesEveryNestedKey: a nested key without a doc
// comment on its Go field shows an empty description; say what it is.
func TestConfigReference_DescribesEveryNestedKey(t *testing.T) {
	_, _, ref := freshReference(t)
	var missing []string
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "| `rampart:") && strings.HasSuffix(line, "|  |") {
			missing = append(missing, strings.Split(line, "`")[1])
		}
	}
	for _, k := range missing {
		t.Errorf("%s has no doc comment on its Go field: add one (it becomes its description)", k)
	}
}

// TestConfigurationDoc_KeyTableListsExactlyTheConfigKeys: the hand-written
// key table of docs/configuration.md names every key Pulumi.yaml declares
// and no other.
func TestConfigurationDoc_KeyTableListsExactlyTheConfigKeys(t *testing.T) {
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
	doc, err := os.ReadFile(rel("..", "..", "..", "docs", "configuration.md"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(doc)
	start := strings.Index(text, "| key | type | default |")
	if start < 0 {
		t.Fatal("docs/configuration.md has no key table (| key | type | default | …)")
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
			t.Errorf("docs/configuration.md's key table lacks %s", k)
		}
	}
	for k := range listed {
		if !declared[k] {
			t.Errorf("docs/configuration.md's key table lists %s, which no config type declares", k)
		}
	}
}

// freshReference renders the configuration reference from config.go's
// source as `go generate` would: the source, the repository root and the
// rendering.
func freshReference(t *testing.T) (src []byte, root, ref string) {
	t.Helper()
	src, err := configSource()
	if err != nil {
		t.Fatal(err)
	}
	if root, err = repoRoot(); err != nil {
		t.Fatal(err)
	}
	if ref, err = RenderReference(src, root); err != nil {
		t.Fatal(err)
	}
	return src, root, ref
}
