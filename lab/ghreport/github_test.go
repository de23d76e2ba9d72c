package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

const fakeToken = "ghs_faketokenfortests0000000000000000"

// fakeGitHub is an in-memory stand-in for the issues and comments endpoints
// ghreport calls; it records every write.
type fakeGitHub struct {
	mu       sync.Mutex
	comments []comment // on pull request 7
	issues   []map[string]any
	writes   []string // "METHOD path body"
	status   int      // when set, every call answers this status
}

func (f *fakeGitHub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = w.Write([]byte(`{"message":"Resource not accessible by integration"}`))
		return
	}
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	if r.Method != "GET" {
		b, _ := json.Marshal(in)
		f.writes = append(f.writes, r.Method+" "+r.URL.Path+" "+string(b))
	}
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	reply := func(v any) { _ = json.NewEncoder(w).Encode(v) }
	switch {
	case r.Method == "GET" && r.URL.Path == "/repos/o/r/issues/7/comments":
		lo, hi := min((page-1)*100, len(f.comments)), min(page*100, len(f.comments))
		reply(f.comments[lo:hi])
	case r.Method == "PATCH" && strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/comments/"):
		reply(comment{HTMLURL: "https://example.test/c/" + strings.TrimPrefix(r.URL.Path, "/repos/o/r/issues/comments/")})
	case r.Method == "POST" && r.URL.Path == "/repos/o/r/issues/7/comments":
		reply(comment{HTMLURL: "https://example.test/c/new"})
	case r.Method == "GET" && r.URL.Path == "/repos/o/r/issues":
		reply(f.issues)
	case r.Method == "POST" && r.URL.Path == "/repos/o/r/issues":
		reply(issue{Number: 99, HTMLURL: "https://example.test/i/99"})
	case strings.HasPrefix(r.URL.Path, "/repos/o/r/issues/"):
		reply(issue{HTMLURL: "https://example.test" + r.URL.Path})
	default:
		http.Error(w, `{"message":"Not Found"}`, 404)
	}
}

// runWith runs ghreport against the fake, returning stdout and the error.
func runWith(t *testing.T, f *fakeGitHub, args ...string) (string, error) {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": fakeToken,
		"GITHUB_SERVER_URL": "https://github.example", "GITHUB_RUN_ID": "42"}
	var out bytes.Buffer
	err := run(args, &out, func(k string) string { return env[k] })
	return out.String(), err
}

func bodyFile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "body.md")
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestComment_FakeAPI_UpdatesTheMarkedCommentOnALaterPage(t *testing.T) {
	f := &fakeGitHub{}
	for i := 1; i <= 150; i++ {
		f.comments = append(f.comments, comment{ID: int64(i), Body: fmt.Sprintf("comment %d", i)})
	}
	f.comments[120].Body = "old preview\n" + Marker
	out, err := runWith(t, f, "comment", "--pr", "7", "--body", bodyFile(t, Marker+"\nnew preview"))
	if err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "PATCH /repos/o/r/issues/comments/121 ") || !strings.Contains(f.writes[0], "new preview") {
		t.Errorf("writes = %q, want one PATCH of comment 121 with the new body", f.writes)
	}
	if strings.TrimSpace(out) != "https://example.test/c/121" {
		t.Errorf("printed %q, want the comment's URL", out)
	}
}

func TestComment_FakeAPI_CreatesWhenNoCommentHasTheMarker(t *testing.T) {
	f := &fakeGitHub{comments: []comment{{ID: 1, Body: "looks good"}}}
	if _, err := runWith(t, f, "comment", "--pr", "7", "--body", bodyFile(t, Marker+"\npreview")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues/7/comments ") {
		t.Errorf("writes = %q, want one POST of a new comment", f.writes)
	}
}

func TestIssue_FakeAPI_OpensThenUpdatesThenCloses(t *testing.T) {
	f := &fakeGitHub{issues: []map[string]any{
		{"number": 3, "title": "Drift in prod", "pull_request": map[string]any{"url": "x"}}, // a PR with the same title: ignored
	}}
	if _, err := runWith(t, f, "issue", "--title", "Drift in prod", "--body", bodyFile(t, "1 resource drifted")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues ") || !strings.Contains(f.writes[0], `"title":"Drift in prod"`) {
		t.Fatalf("first run: writes = %q, want one new issue", f.writes)
	}
	f.writes = nil
	f.issues = append(f.issues, map[string]any{"number": 12, "title": "Drift in prod"})
	if _, err := runWith(t, f, "issue", "--title", "Drift in prod", "--body", bodyFile(t, "2 resources drifted")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 2 || !strings.HasPrefix(f.writes[0], "PATCH /repos/o/r/issues/12 ") || !strings.Contains(f.writes[0], "2 resources drifted") ||
		!strings.HasPrefix(f.writes[1], "POST /repos/o/r/issues/12/comments ") || !strings.Contains(f.writes[1], "actions/runs/42") {
		t.Fatalf("second run: writes = %q, want the body replaced and a comment naming the run", f.writes)
	}
	f.writes = nil
	if _, err := runWith(t, f, "issue", "--title", "Drift in prod", "--close"); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 2 || !strings.Contains(f.writes[1], `"state":"closed"`) {
		t.Fatalf("close: writes = %q, want a comment then state closed", f.writes)
	}
}

func TestAPI_FakeAPI_ErrorsNameThePermissionAndNeverTheToken(t *testing.T) {
	f := &fakeGitHub{status: 403}
	_, err := runWith(t, f, "comment", "--pr", "7", "--body", bodyFile(t, "x"))
	if err == nil {
		t.Fatal("a 403 answer was not an error")
	}
	if !strings.Contains(err.Error(), "pull-requests: write") || !strings.Contains(err.Error(), "403") {
		t.Errorf("error does not name the status and the permission: %v", err)
	}
	if strings.Contains(err.Error(), fakeToken) {
		t.Error("error prints the token")
	}
}

func TestRun_RejectsMissingEnvironmentAndFlags(t *testing.T) {
	empty := func(string) string { return "" }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"comment", "--pr", "7", "--body", bodyFile(t, "x")}, "GITHUB_TOKEN"},
		{[]string{"comment", "--body", "x"}, "--pr"},
		{[]string{"issue", "--title", "Drift in prod"}, "--body"},
		{[]string{"issue", "--title", "Drift in prod", "--body", "x", "--close"}, "exactly one"},
		{[]string{"publish"}, "unknown command"},
	} {
		err := run(tc.args, &bytes.Buffer{}, empty)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("run(%q) = %v, want an error naming %q", tc.args, err, tc.want)
		}
	}
}
