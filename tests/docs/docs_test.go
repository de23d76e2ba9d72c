// Package docs keeps the Markdown honest about the repository: every
// relative link and anchor resolves, every backticked repository path
// exists, the README stays a front door, and the source documents are named
// by their titles.
package docs

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// root is the repository root seen from this package.
var root = filepath.Join("..", "..")

// maxREADMELines keeps the README a front door: detail goes to docs/.
const maxREADMELines = 250

// markdown lists the hand-written and generated Markdown files checked.
func markdown(t *testing.T) []string {
	t.Helper()
	files := []string{"README.md", "CONTRIBUTING.md"}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func read(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// prose is text outside fenced code blocks.
func prose(text string) string {
	var b strings.Builder
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

var (
	link    = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	heading = regexp.MustCompile(`(?m)^#{1,6} (.+)$`)
	code    = regexp.MustCompile("`([^`\n]+)`")
	repoDir = regexp.MustCompile(`^(cmd|stacks|infra|components|helpers|compliance|inventory|verify|drift|preview|lab|tests|bench|internal|docs|\.github)/[A-Za-z0-9_./{},-]*$`)
	seedN   = regexp.MustCompile(`(?i)\bseeds? ?[0-9]{3}`)
	// textFile is what a reader reads: code, scripts, config, docs.
	textFile = regexp.MustCompile(`\.(go|sh|ya?ml|md|tmpl|env)$`)
)

// slug is the anchor GitHub gives a heading.
func slug(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
	}
	return b.String()
}

func anchors(text string) map[string]bool {
	out := map[string]bool{}
	for _, m := range heading.FindAllStringSubmatch(prose(text), -1) {
		out[slug(m[1])] = true
	}
	return out
}

// expand turns components/audit/{args,audit}.go into both paths.
func expand(p string) []string {
	i, j := strings.Index(p, "{"), strings.Index(p, "}")
	if i < 0 || j < i {
		return []string{p}
	}
	var out []string
	for _, alt := range strings.Split(p[i+1:j], ",") {
		out = append(out, expand(p[:i]+alt+p[j+1:])...)
	}
	return out
}

// TestMarkdown_LinksResolve: every relative link points at a file of the
// repository, and an anchor at a heading of that file.
func TestMarkdown_LinksResolve(t *testing.T) {
	for _, file := range markdown(t) {
		text := read(t, file)
		for _, m := range link.FindAllStringSubmatch(prose(text), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				t.Errorf("%s links outside the repository: %s (name the upstream project in words)", file, target)
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			dest := file
			if path != "" {
				dest = filepath.Join(filepath.Dir(file), path)
				if _, err := os.Stat(filepath.Join(root, dest)); err != nil {
					t.Errorf("%s links to %s, which does not exist", file, target)
					continue
				}
			}
			if anchor != "" && strings.HasSuffix(dest, ".md") && !anchors(read(t, dest))[anchor] {
				t.Errorf("%s links to %s: %s has no heading with that anchor", file, target, dest)
			}
		}
	}
}

// TestMarkdown_RepositoryPathsExist: a backticked path into the repository
// (`components/netpol/ssrf.go`, `components/audit/{args,audit}.go`) names
// something that exists, so a table row never points at a moved file.
func TestMarkdown_RepositoryPathsExist(t *testing.T) {
	checked := 0
	for _, file := range markdown(t) {
		for _, m := range code.FindAllStringSubmatch(prose(read(t, file)), -1) {
			if !repoDir.MatchString(m[1]) {
				continue
			}
			for _, p := range expand(m[1]) {
				checked++
				if _, err := os.Stat(filepath.Join(root, strings.TrimSuffix(p, "/"))); err != nil {
					t.Errorf("%s names `%s`, which does not exist", file, p)
				}
			}
		}
	}
	t.Logf("%d repository paths checked", checked)
	if checked < 50 {
		t.Fatalf("only %d repository paths checked: the pattern no longer matches the docs", checked)
	}
}

// TestRepository_NamesTheSourceDocumentsByTitle: a reader has never heard
// of a source document's number; the documents are the STOA security
// hardening checklist and the sovereign-cloud hardening guide, in the docs
// and in the code, its comments, messages and scripts alike.
func TestRepository_NamesTheSourceDocumentsByTitle(t *testing.T) {
	out, err := exec.Command("git", "-C", root, "ls-files").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	var files []string
	for _, f := range strings.Fields(string(out)) {
		if textFile.MatchString(f) && f != "tests/docs/docs_test.go" {
			files = append(files, f)
		}
	}
	if len(files) < 100 {
		t.Fatalf("only %d text files listed: the check would check nothing", len(files))
	}
	for _, file := range files {
		for i, line := range strings.Split(read(t, file), "\n") {
			if seedN.MatchString(line) {
				t.Errorf("%s:%d names a source document by number: %q", file, i+1, seedN.FindString(line))
			}
		}
	}
}

// TestREADME_StaysAFrontDoor: what, who, the two commands, a tour, the
// control table and links; anything longer belongs in docs/.
func TestREADME_StaysAFrontDoor(t *testing.T) {
	lines := strings.Count(read(t, "README.md"), "\n")
	if lines > maxREADMELines {
		t.Errorf("README.md has %d lines, more than %d: move detail to a page of docs/", lines, maxREADMELines)
	}
}
