// Command reportpng renders a compliance report to a PNG in headless
// Chromium, for people who want to see the report without a browser:
//
//	go run ./tests/reportrender/reportpng [-width 1280] [-height 4000] INPUT OUT.png
//
// INPUT is the report's HTML, or the assessment's JSON (the fields of
// compliance.Assessment, as `rampart check` writes them), which is rendered
// to HTML first. The browser is $RAMPART_CHROMIUM or chromium on PATH
// (lab/deps.sh installs Debian's).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rampart-dev/rampart/compliance"
	"github.com/rampart-dev/rampart/compliance/report"
	"github.com/rampart-dev/rampart/tests/reportrender"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "reportpng:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("reportpng", flag.ContinueOnError)
	width := fs.Int("width", 1280, "window width in CSS pixels")
	height := fs.Int("height", 4000, "window height in CSS pixels (the PNG shows this much of the page)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		return fmt.Errorf("usage: reportpng [-width N] [-height N] REPORT.html|ASSESSMENT.json OUT.png")
	}
	in, out := fs.Arg(0), fs.Arg(1)
	bin, err := reportrender.Find()
	if err != nil {
		return err
	}
	src := in
	if strings.EqualFold(filepath.Ext(in), ".json") {
		if src, err = htmlFromJSON(in); err != nil {
			return err
		}
		defer func() { _ = os.RemoveAll(filepath.Dir(src)) }()
	}
	start := time.Now()
	br := reportrender.Browser{Path: bin, Width: *width, Height: *height}
	if err := br.Screenshot(context.Background(), src, out); err != nil {
		return err
	}
	fmt.Printf("%s: %dx%d, rendered in %v\n", out, *width, *height, time.Since(start).Round(time.Millisecond))
	return nil
}

func htmlFromJSON(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var a compliance.Assessment
	if err := json.Unmarshal(b, &a); err != nil {
		return "", fmt.Errorf("%s: not an assessment's JSON (want the output of `rampart check` as JSON): %w", path, err)
	}
	dir, err := os.MkdirTemp("", "reportpng-")
	if err != nil {
		return "", err
	}
	src := filepath.Join(dir, "report.html")
	f, err := os.Create(src)
	if err != nil {
		return "", err
	}
	if err := report.HTML(f, &a); err != nil {
		_ = f.Close()
		return "", err
	}
	return src, f.Close()
}
