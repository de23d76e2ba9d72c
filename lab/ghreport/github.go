package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client calls GitHub's REST API for one repository.
type client struct {
	api, repo, token string
	// bot is the login whose comments and issues ghreport may update.
	bot  string
	http *http.Client
}

// DefaultBotLogin is the author of everything the workflows' GITHUB_TOKEN
// writes. ghreport updates only comments and issues with this author (or
// $RAMPART_BOT_LOGIN's, for a GitHub App token): anyone can write a comment
// holding the marker or open an issue with the title, and ghreport must not
// edit theirs.
const DefaultBotLogin = "github-actions[bot]"

// DriftLabel marks the drift issues ghreport opens; an issue without it is
// not one of them, whatever its title and author. It is created with the
// first issue.
const DriftLabel = "rampart-drift"

// maxPages bounds the listing of comments or issues (100 a page).
const maxPages = 30

func newClient(getenv func(string) string) (*client, error) {
	c := &client{api: strings.TrimRight(getenv("GITHUB_API_URL"), "/"), repo: getenv("GITHUB_REPOSITORY"),
		token: getenv("GITHUB_TOKEN"), bot: getenv("RAMPART_BOT_LOGIN"), http: &http.Client{Timeout: 30 * time.Second}}
	if c.api == "" {
		c.api = "https://api.github.com"
	}
	if c.bot == "" {
		c.bot = DefaultBotLogin
	}
	var missing []string
	if c.token == "" {
		missing = append(missing, "GITHUB_TOKEN (env: GITHUB_TOKEN: ${{ github.token }})")
	}
	if strings.Count(c.repo, "/") != 1 {
		missing = append(missing, "GITHUB_REPOSITORY (owner/name, set by Actions)")
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("missing %s", strings.Join(missing, " and "))
	}
	return c, nil
}

// call sends one request; out, when not nil, receives the JSON answer. The
// token is sent in a header and never appears in an error.
func (c *client) call(method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.api+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct{ Message string }
		_ = json.Unmarshal(b, &e)
		hint := ""
		if resp.StatusCode == 403 || resp.StatusCode == 404 {
			hint = " (does the job grant the permission: pull-requests: write for comments, issues: write for issues?)"
		}
		return &apiError{status: resp.StatusCode, msg: fmt.Sprintf("%s %s: HTTP %d %s%s", method, path, resp.StatusCode, e.Message, hint)}
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

// user is a comment's or issue's author.
type user struct {
	Login string `json:"login"`
	Type  string `json:"type"` // "Bot" for github-actions[bot] and apps
}

// apiError is an answer outside 2xx; status lets a caller act on a 404.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
	User    user   `json:"user"`
}

type issue struct {
	Number  int    `json:"number"`
	Title   string `json:"title"`
	HTMLURL string `json:"html_url"`
	User    user   `json:"user"`
	Labels  []struct {
		Name string `json:"name"`
	} `json:"labels"`
	PullRequest *struct {
		URL string `json:"url"`
	} `json:"pull_request"`
}

// ours reports whether u is the bot ghreport writes as (GitHub logins are
// case-insensitive). A login ending in "[bot]" must also be of type Bot:
// no user account can take such a login, so both say the same; checking
// both guards against an API answer that lacks one.
func (c *client) ours(u user) bool {
	if !strings.EqualFold(u.Login, c.bot) {
		return false
	}
	return !strings.HasSuffix(c.bot, "[bot]") || u.Type == "Bot"
}

// UpsertComment updates the pull request's first comment containing marker
// and written by the bot, or creates one; it returns the comment's URL. A
// comment holding the marker written by anyone else is left alone.
func (c *client) UpsertComment(pr int, marker, body string) (string, error) {
	base := fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, pr)
	for page := 1; page <= maxPages; page++ {
		var list []comment
		if err := c.call("GET", fmt.Sprintf("%s?per_page=100&page=%d", base, page), nil, &list); err != nil {
			return "", err
		}
		for _, cm := range list {
			if strings.Contains(cm.Body, marker) && c.ours(cm.User) {
				var out comment
				err := c.call("PATCH", fmt.Sprintf("/repos/%s/issues/comments/%d", c.repo, cm.ID), map[string]string{"body": body}, &out)
				return out.HTMLURL, err
			}
		}
		if len(list) < 100 {
			break
		}
	}
	var out comment
	err := c.call("POST", base, map[string]string{"body": body}, &out)
	return out.HTMLURL, err
}

// findIssue returns the open issue (not pull request) titled title, opened
// by the bot and labelled DriftLabel, or nil.
func (c *client) findIssue(title string) (*issue, error) {
	for page := 1; page <= maxPages; page++ {
		var list []issue
		if err := c.call("GET", fmt.Sprintf("/repos/%s/issues?state=open&labels=%s&per_page=100&page=%d", c.repo, DriftLabel, page), nil, &list); err != nil {
			return nil, err
		}
		for i := range list {
			if list[i].PullRequest == nil && list[i].Title == title && c.ours(list[i].User) && list[i].labelled(DriftLabel) {
				return &list[i], nil
			}
		}
		if len(list) < 100 {
			break
		}
	}
	return nil, nil
}

func (is *issue) labelled(name string) bool {
	for _, l := range is.Labels {
		if l.Name == name {
			return true
		}
	}
	return false
}

// ensureLabel creates DriftLabel unless the repository has it.
func (c *client) ensureLabel() error {
	err := c.call("GET", fmt.Sprintf("/repos/%s/labels/%s", c.repo, DriftLabel), nil, nil)
	var ae *apiError
	if !errors.As(err, &ae) || ae.status != http.StatusNotFound {
		return err
	}
	return c.call("POST", fmt.Sprintf("/repos/%s/labels", c.repo), map[string]string{
		"name": DriftLabel, "color": "d93f0b", "description": "Opened by the drift workflow (rampart drift)"}, nil)
}

// UpsertIssue opens an issue titled title, or, when one is open, replaces
// its body and adds note as a comment (so its watchers hear of it again).
func (c *client) UpsertIssue(title, body, note string) (string, error) {
	found, err := c.findIssue(title)
	if err != nil {
		return "", err
	}
	var out issue
	if found == nil {
		if err := c.ensureLabel(); err != nil {
			return "", err
		}
		err := c.call("POST", fmt.Sprintf("/repos/%s/issues", c.repo), map[string]any{"title": title, "body": body, "labels": []string{DriftLabel}}, &out)
		return out.HTMLURL, err
	}
	if err := c.call("PATCH", fmt.Sprintf("/repos/%s/issues/%d", c.repo, found.Number), map[string]string{"body": body}, &out); err != nil {
		return "", err
	}
	err = c.call("POST", fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, found.Number), map[string]string{"body": note}, nil)
	return out.HTMLURL, err
}

// CloseIssue comments note on the open issue titled title and closes it;
// it returns the issue's number, 0 when none is open.
func (c *client) CloseIssue(title, note string) (int, error) {
	found, err := c.findIssue(title)
	if err != nil || found == nil {
		return 0, err
	}
	if err := c.call("POST", fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, found.Number), map[string]string{"body": note}, nil); err != nil {
		return 0, err
	}
	return found.Number, c.call("PATCH", fmt.Sprintf("/repos/%s/issues/%d", c.repo, found.Number), map[string]string{"state": "closed"}, nil)
}
