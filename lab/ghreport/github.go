package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// client calls GitHub's REST API for one repository.
type client struct {
	api, repo, token string
	http             *http.Client
}

// maxPages bounds the listing of comments or issues (100 a page).
const maxPages = 30

func newClient(getenv func(string) string) (*client, error) {
	c := &client{api: strings.TrimRight(getenv("GITHUB_API_URL"), "/"), repo: getenv("GITHUB_REPOSITORY"),
		token: getenv("GITHUB_TOKEN"), http: &http.Client{Timeout: 30 * time.Second}}
	if c.api == "" {
		c.api = "https://api.github.com"
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
		return fmt.Errorf("%s %s: HTTP %d %s%s", method, path, resp.StatusCode, e.Message, hint)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return nil
}

type comment struct {
	ID      int64  `json:"id"`
	Body    string `json:"body"`
	HTMLURL string `json:"html_url"`
}

type issue struct {
	Number      int    `json:"number"`
	Title       string `json:"title"`
	HTMLURL     string `json:"html_url"`
	PullRequest *struct {
		URL string `json:"url"`
	} `json:"pull_request"`
}

// UpsertComment updates the pull request's first comment containing marker,
// or creates one; it returns the comment's URL.
func (c *client) UpsertComment(pr int, marker, body string) (string, error) {
	base := fmt.Sprintf("/repos/%s/issues/%d/comments", c.repo, pr)
	for page := 1; page <= maxPages; page++ {
		var list []comment
		if err := c.call("GET", fmt.Sprintf("%s?per_page=100&page=%d", base, page), nil, &list); err != nil {
			return "", err
		}
		for _, cm := range list {
			if strings.Contains(cm.Body, marker) {
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

// findIssue returns the open issue (not pull request) titled title, or nil.
func (c *client) findIssue(title string) (*issue, error) {
	for page := 1; page <= maxPages; page++ {
		var list []issue
		if err := c.call("GET", fmt.Sprintf("/repos/%s/issues?state=open&per_page=100&page=%d", c.repo, page), nil, &list); err != nil {
			return nil, err
		}
		for i := range list {
			if list[i].PullRequest == nil && list[i].Title == title {
				return &list[i], nil
			}
		}
		if len(list) < 100 {
			break
		}
	}
	return nil, nil
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
		err := c.call("POST", fmt.Sprintf("/repos/%s/issues", c.repo), map[string]string{"title": title, "body": body}, &out)
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
