// Command ghreport posts Rampart's reports to GitHub from the workflows
// (.github/workflows): one sticky pull-request comment holding every
// environment's preview, and one issue per environment with drift.
//
//	ghreport combine ENV=FILE...              the comment body (stdout): the
//	                                          hidden marker, then one section
//	                                          per environment, folded and cut
//	                                          to fit GitHub's 65,536 characters
//	ghreport comment --pr N --body FILE       creates the pull request's
//	                                          comment holding the marker, or
//	                                          updates it
//	ghreport issue --title T --body FILE      opens the open issue titled T or
//	                                          updates it (body + a comment)
//	ghreport issue --title T --close          closes it with a comment, if open
//
// The API calls read GITHUB_TOKEN, GITHUB_REPOSITORY (owner/name) and
// GITHUB_API_URL (default https://api.github.com), which Actions sets. It is
// a Go command rather than an inline github-script so that `make test`
// exercises it (ghreport's tests run it against a fake API).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
)

// Marker is the hidden line that identifies Rampart's preview comment.
const Marker = "<!-- rampart-preview -->"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Getenv); err != nil {
		fmt.Fprintln(os.Stderr, "ghreport:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer, getenv func(string) string) error {
	if len(args) == 0 {
		return errors.New("usage: ghreport combine ENV=FILE... | comment --pr N --body FILE | issue --title T (--body FILE | --close)")
	}
	switch args[0] {
	case "combine":
		fs := flag.NewFlagSet("combine", flag.ContinueOnError)
		limit := fs.Int("limit", MaxBody, "largest body in characters (GitHub's comment limit)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		sections, err := readSections(fs.Args())
		if err != nil {
			return err
		}
		body, err := Combine(sections, *limit)
		if err != nil {
			return err
		}
		_, err = io.WriteString(stdout, body)
		return err
	case "comment":
		fs := flag.NewFlagSet("comment", flag.ContinueOnError)
		pr := fs.Int("pr", 0, "pull request number (github.event.pull_request.number)")
		bodyFile := fs.String("body", "", "file holding the comment body (from ghreport combine)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *pr <= 0 || *bodyFile == "" {
			return errors.New("comment: --pr N (the pull request number) and --body FILE are required")
		}
		body, err := os.ReadFile(*bodyFile)
		if err != nil {
			return fmt.Errorf("comment: --body: %w", err)
		}
		c, err := newClient(getenv)
		if err != nil {
			return err
		}
		url, err := c.UpsertComment(*pr, Marker, Fit(string(body), MaxBody))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, url)
		return err
	case "issue":
		fs := flag.NewFlagSet("issue", flag.ContinueOnError)
		title := fs.String("title", "", "issue title, e.g. \"Drift in prod\"")
		bodyFile := fs.String("body", "", "file holding the issue body (the drift report)")
		closeIt := fs.Bool("close", false, "close the open issue with this title (drift is gone)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *title == "" || (*bodyFile == "") == !*closeIt {
			return errors.New("issue: --title T and exactly one of --body FILE or --close are required")
		}
		c, err := newClient(getenv)
		if err != nil {
			return err
		}
		run := getenv("GITHUB_SERVER_URL") + "/" + getenv("GITHUB_REPOSITORY") + "/actions/runs/" + getenv("GITHUB_RUN_ID")
		if *closeIt {
			n, err := c.CloseIssue(*title, "No drift found by "+run+".")
			if err == nil && n > 0 {
				_, err = fmt.Fprintln(stdout, "closed #"+strconv.Itoa(n))
			}
			return err
		}
		body, err := os.ReadFile(*bodyFile)
		if err != nil {
			return fmt.Errorf("issue: --body: %w", err)
		}
		url, err := c.UpsertIssue(*title, Fit(string(body), MaxBody), "Drift still present: "+run)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(stdout, url)
		return err
	default:
		return fmt.Errorf("unknown command %q (known: combine, comment, issue)", args[0])
	}
}
