// Command mkimage writes a one-layer container image as a docker-archive
// tarball that `ctr images import` loads, so the lab node runs images built
// on this machine from the project's own binaries: no registry, no
// download. The layer holds the given files (mode 0755), an /etc/passwd
// and /etc/group naming root, nobody and the probe user (uid 10000, the uid
// Rampart's restricted pods run as) with its home /home/probe, and empty
// /tmp (1777), /proc, /sys, /dev and /etc mount points.
//
//	mkimage -ref nodeprobe.local/echo:probe -o echo.tar -entrypoint /probe -cmd serve bin/probe=/probe
//
// The reference must name a made-up registry host (e.g. nodeprobe.local)
// so that nothing resolves it to a public registry; pods use
// imagePullPolicy: Never.
//
// With -push instead of -o, the same image is pushed to the reference's
// registry (the release workflow's probe image for `rampart verify`) and
// its digest reference (REPO@sha256:…) is printed; credentials come from
// REGISTRY_USERNAME and REGISTRY_PASSWORD when set (anonymous otherwise).
// A registry on a loopback address is spoken to over plain HTTP.
//
//	mkimage -ref ghcr.io/owner/repo/probe:v1.2.3 -push -entrypoint /probe -cmd pause bin/probe=/probe
package main

import (
	"archive/tar"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func main() {
	ref := flag.String("ref", "", "image reference, e.g. nodeprobe.local/echo:probe (required)")
	out := flag.String("o", "", "output docker-archive tarball (this or -push)")
	push := flag.Bool("push", false, "push to the reference's registry and print the digest reference, instead of -o")
	entrypoint := flag.String("entrypoint", "", "comma-separated entrypoint, e.g. /probe")
	cmd := flag.String("cmd", "", "comma-separated default arguments, e.g. serve")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkimage -ref REF (-o OUT.tar | -push) [-entrypoint A,B] [-cmd C,D] SRC=/DST...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *ref == "" || (*out == "") == !*push || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*ref, *out, *push, split(*entrypoint), split(*cmd), flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "mkimage:", err)
		os.Exit(1)
	}
}

func split(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func run(ref, out string, push bool, entrypoint, cmd, files []string) error {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-ref %q: %w (use a full reference such as nodeprobe.local/echo:probe)", ref, err)
	}
	layerTar, err := layer(files)
	if err != nil {
		return err
	}
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerTar)), nil
	})
	if err != nil {
		return err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint, cf.Config.Cmd = entrypoint, cmd
	cf.Config.Env = []string{"PATH=/"}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return err
	}
	if push {
		return pushImage(tag, img)
	}
	if err := tarball.WriteToFile(out, tag, img); err != nil {
		return fmt.Errorf("writing %s: %w", out, err)
	}
	return nil
}

// pushImage pushes img as tag and prints its digest reference, the form
// `rampart verify --probe-image` wants (a tag can be moved; a digest not).
func pushImage(tag name.Tag, img v1.Image) error {
	auth := authn.Anonymous
	if u, p := os.Getenv("REGISTRY_USERNAME"), os.Getenv("REGISTRY_PASSWORD"); u != "" || p != "" {
		auth = authn.FromConfig(authn.AuthConfig{Username: u, Password: p})
	}
	if err := remote.Write(tag, img, remote.WithAuth(auth)); err != nil {
		return fmt.Errorf("push %s: %w", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		return err
	}
	_, err = fmt.Println(tag.Context().Digest(d.String()).String())
	return err
}

// layer builds the image's only layer: directories, account files, then
// each SRC=/DST file.
func layer(files []string) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	// "./" first: without it the runtime makes the image root 0700 and a
	// non-root user cannot even reach its entrypoint.
	dirs := map[string]int64{".": 0o755, "etc": 0o755, "tmp": 0o1777, "proc": 0o555, "sys": 0o555, "dev": 0o755}
	for _, d := range []string{".", "dev", "etc", "proc", "sys", "tmp"} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d + "/", Mode: dirs[d], ModTime: epoch}); err != nil {
			return nil, err
		}
	}
	// The probe user's home, writable by uid 10000 in the image itself: a
	// write there fails only because the root filesystem is mounted
	// read-only (probe write-test /home/probe/x), not for lack of permission.
	for _, d := range []string{"home/", "home/probe/"} {
		h := &tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch}
		if d == "home/probe/" {
			h.Uid, h.Gid = 10000, 10000
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
	}
	add := func(dst string, mode int64, data []byte) error {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: strings.TrimPrefix(path.Clean(dst), "/"), Mode: mode,
			Size: int64(len(data)), ModTime: epoch}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	if err := add("/etc/passwd", 0o644, []byte("root:x:0:0:root:/:/probe\n"+
		"probe:x:10000:10000:probe:/home/probe:/probe\nnobody:x:65534:65534:nobody:/:/probe\n")); err != nil {
		return nil, err
	}
	if err := add("/etc/group", 0o644, []byte("root:x:0:\nprobe:x:10000:\nnogroup:x:65534:\n")); err != nil {
		return nil, err
	}
	for _, f := range files {
		src, dst, ok := strings.Cut(f, "=")
		if !ok || !strings.HasPrefix(dst, "/") || strings.Count(strings.Trim(dst, "/"), "/") > 0 {
			return nil, fmt.Errorf("file argument %q: want SRC=/NAME (a file at the image root)", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		if err := add(dst, 0o755, data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
