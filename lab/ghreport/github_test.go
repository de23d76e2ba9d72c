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
	labels   []string // the repository's labels
}

// bot and someone are the authors the fake's comments and issues carry.
var (
	bot     = user{Login: "github-actions[bot]", Type: "Bot"}
	someone = user{Login: "mallory", Type: "User"}
)

// botIssue is an open drift issue as ghreport opens it.
func botIssue(n int, title string) map[string]any {
	return map[string]any{"number": n, "title": title, "user": bot, "labels": []map[string]any{{"name": DriftLabel}}}
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
	case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/repos/o/r/labels/"):
		for _, l := range f.labels {
			if l == strings.TrimPrefix(r.URL.Path, "/repos/o/r/labels/") {
				reply(map[string]any{"name": l})
				return
			}
		}
		http.Error(w, `{"message":"Not Found"}`, 404)
	case r.Method == "POST" && r.URL.Path == "/repos/o/r/labels":
		f.labels = append(f.labels, fmt.Sprint(in["name"]))
		reply(in)
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
	f.comments[120].User = bot
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
	f := &fakeGitHub{comments: []comment{{ID: 1, Body: "looks good", User: bot}}}
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
	if len(f.writes) != 2 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/labels ") ||
		!strings.HasPrefix(f.writes[1], "POST /repos/o/r/issues ") || !strings.Contains(f.writes[1], `"title":"Drift in prod"`) ||
		!strings.Contains(f.writes[1], `"labels":["`+DriftLabel+`"]`) {
		t.Fatalf("first run: writes = %q, want the label created, then one new issue carrying it", f.writes)
	}
	f.writes = nil
	f.issues = append(f.issues, botIssue(12, "Drift in prod"))
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

// TestComment_FakeAPI_LeavesAMarkerPlantedByAnotherAuthor: anyone can write
// a comment holding the marker; only the bot's own is updated.
func TestComment_FakeAPI_LeavesAMarkerPlantedByAnotherAuthor(t *testing.T) {
	planted := comment{ID: 1, Body: Marker + "\nplanted", User: someone}
	impostor := comment{ID: 2, Body: Marker + "\nfake bot", User: user{Login: "github-actions[bot]", Type: "User"}}
	other := comment{ID: 3, Body: Marker + "\nother app", User: user{Login: "other-app[bot]", Type: "Bot"}}
	ours := comment{ID: 4, Body: Marker + "\nold preview", User: bot}

	f := &fakeGitHub{comments: []comment{planted, impostor, other, ours}}
	if _, err := runWith(t, f, "comment", "--pr", "7", "--body", bodyFile(t, Marker+"\nnew")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "PATCH /repos/o/r/issues/comments/4 ") {
		t.Errorf("writes = %q, want one PATCH of the bot's comment 4", f.writes)
	}

	f = &fakeGitHub{comments: []comment{planted, impostor, other}}
	if _, err := runWith(t, f, "comment", "--pr", "7", "--body", bodyFile(t, Marker+"\nnew")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues/7/comments ") {
		t.Errorf("writes = %q, want a new comment (none of the marked ones is the bot's)", f.writes)
	}
}

// TestComment_FakeAPI_BotLoginFromTheEnvironment: with a GitHub App's
// token the author is the app; RAMPART_BOT_LOGIN names it.
func TestComment_FakeAPI_BotLoginFromTheEnvironment(t *testing.T) {
	f := &fakeGitHub{comments: []comment{
		{ID: 1, Body: Marker, User: bot},
		{ID: 2, Body: Marker, User: user{Login: "Rampart-App[bot]", Type: "Bot"}},
	}}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	env := map[string]string{"GITHUB_API_URL": srv.URL, "GITHUB_REPOSITORY": "o/r", "GITHUB_TOKEN": fakeToken,
		"RAMPART_BOT_LOGIN": "rampart-app[bot]"}
	if err := run([]string{"comment", "--pr", "7", "--body", bodyFile(t, Marker+"\nnew")}, &bytes.Buffer{}, func(k string) string { return env[k] }); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "PATCH /repos/o/r/issues/comments/2 ") {
		t.Errorf("writes = %q, want one PATCH of the app's comment 2", f.writes)
	}
}

// TestIssue_FakeAPI_OnlyTheBotsLabelledIssueIsTouched: an issue with the
// title opened by someone else, or by the bot without the label, is not the
// drift issue: it is neither updated nor closed.
func TestIssue_FakeAPI_OnlyTheBotsLabelledIssueIsTouched(t *testing.T) {
	byUser := botIssue(5, "Drift in prod")
	byUser["user"] = someone
	unlabelled := botIssue(6, "Drift in prod")
	unlabelled["labels"] = []map[string]any{{"name": "bug"}}
	f := &fakeGitHub{issues: []map[string]any{byUser, unlabelled}, labels: []string{DriftLabel}}
	if _, err := runWith(t, f, "issue", "--title", "Drift in prod", "--body", bodyFile(t, "drifted")); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 1 || !strings.HasPrefix(f.writes[0], "POST /repos/o/r/issues ") {
		t.Fatalf("writes = %q, want one new issue (the label exists already; issues 5 and 6 untouched)", f.writes)
	}
	f.writes = nil
	out, err := runWith(t, f, "issue", "--title", "Drift in prod", "--close")
	if err != nil || len(f.writes) != 0 || out != "" {
		t.Errorf("close: out %q, err %v, writes %q; want nothing closed", out, err, f.writes)
	}
	f.issues = append(f.issues, botIssue(12, "Drift in prod"))
	if _, err := runWith(t, f, "issue", "--title", "Drift in prod", "--close"); err != nil {
		t.Fatal(err)
	}
	if len(f.writes) != 2 || !strings.HasPrefix(f.writes[1], "PATCH /repos/o/r/issues/12 ") {
		t.Errorf("close: writes = %q, want the bot's issue 12 closed", f.writes)
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
