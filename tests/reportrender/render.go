// Package reportrender renders the compliance report's HTML in headless
// Chromium: a PNG screenshot to look at, and the DOM after layout to check.
// Its test proves the report displays (and shows a failure) in a real
// browser; its reportpng command renders a real report for people.
package reportrender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Timeout bounds one Chromium run (one render takes about 1 s warm on the
// lab VM); a hung browser fails instead of blocking the test tier.
const Timeout = 90 * time.Second

// ErrNoChromium is returned by Find when no browser is installed.
var ErrNoChromium = errors.New("no chromium on PATH and RAMPART_CHROMIUM is unset: run lab/deps.sh (Debian's chromium package)")

// Find returns the browser to use: $RAMPART_CHROMIUM, else chromium or
// chromium-browser on PATH.
func Find() (string, error) {
	if p := os.Getenv("RAMPART_CHROMIUM"); p != "" {
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("RAMPART_CHROMIUM=%s: %w (unset it to use chromium from PATH)", p, err)
		}
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoChromium
}

// Browser runs one Chromium binary with a throw-away profile.
type Browser struct {
	// Path is the chromium binary (see Find).
	Path string
	// Width and Height are the window, hence the screenshot, in CSS pixels
	// (default 1280x2400: a desktop width, tall enough for the summary and
	// the items table).
	Width, Height int
}

// flags isolate the render: a fresh profile in a temp dir, no GPU, no
// network (every host resolves to nothing and background services are off),
// so the picture shows only what the file itself holds. JavaScript stays on:
// --blink-settings=scriptEnabled=false makes --dump-dom print nothing, and
// the report has no script anyway (compliance's TestHTML_IsSelfContained).
func (b Browser) flags(profile string) []string {
	w, h := b.Width, b.Height
	if w == 0 || h == 0 {
		w, h = 1280, 2400
	}
	f := []string{
		"--headless",
		"--disable-gpu",
		"--hide-scrollbars",
		"--user-data-dir=" + profile,
		fmt.Sprintf("--window-size=%d,%d", w, h),
		"--force-device-scale-factor=1",
		"--host-resolver-rules=MAP * ~NOTFOUND",
		"--disable-background-networking",
		"--disable-component-update",
		"--disable-extensions",
		"--disable-sync",
		"--no-first-run",
		"--no-default-browser-check",
		"--noerrdialogs",
	}
	// Chromium refuses to start as root with its sandbox on; the page is our
	// own script-free file, so running it unsandboxed there is acceptable.
	if os.Geteuid() == 0 {
		f = append(f, "--no-sandbox")
	}
	return f
}

func (b Browser) run(ctx context.Context, extra ...string) (stdout []byte, err error) {
	profile, err := os.MkdirTemp("", "rampart-chromium-profile-")
	if err != nil {
		return nil, fmt.Errorf("chromium profile dir: %w", err)
	}
	defer func() { _ = os.RemoveAll(profile) }()
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.Path, append(b.flags(profile), extra...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), "HOME="+profile) // no write to the user's ~/.config or ~/.cache
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", b.Path, strings.Join(extra, " "), err, tail(errb.String(), 1500))
	}
	return out.Bytes(), nil
}

// Screenshot renders the HTML file htmlPath to the PNG file pngPath.
func (b Browser) Screenshot(ctx context.Context, htmlPath, pngPath string) error {
	src, dst, err := absPaths(htmlPath, pngPath)
	if err != nil {
		return err
	}
	if _, err := b.run(ctx, "--screenshot="+dst, fileURL(src)); err != nil {
		return err
	}
	if st, err := os.Stat(dst); err != nil || st.Size() == 0 {
		return fmt.Errorf("chromium wrote no screenshot to %s (%v)", dst, err)
	}
	return nil
}

// DumpDOM returns the document Chromium built from htmlPath, serialised.
func (b Browser) DumpDOM(ctx context.Context, htmlPath string) (string, error) {
	src, _, err := absPaths(htmlPath, "")
	if err != nil {
		return "", err
	}
	out, err := b.run(ctx, "--dump-dom", fileURL(src))
	return string(out), err
}

func absPaths(paths ...string) (src, dst string, err error) {
	abs := make([]string, 2)
	for i, p := range paths {
		if p == "" {
			continue
		}
		if abs[i], err = filepath.Abs(p); err != nil {
			return "", "", err
		}
	}
	return abs[0], abs[1], nil
}

func fileURL(abs string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
