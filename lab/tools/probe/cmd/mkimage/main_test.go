package main

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// layerFiles reads the only layer of the docker-archive at p: each entry by
// name (no leading "./" or "/", no trailing "/"), with the file bodies.
func layerFiles(t *testing.T, p string) (v1.Image, map[string]*tar.Header, map[string][]byte) {
	t.Helper()
	img, err := tarball.ImageFromPath(p, nil)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("layers = %d (%v), want 1", len(ls), err)
	}
	rc, err := ls[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = rc.Close() }()
	hs, data := map[string]*tar.Header{}, map[string][]byte{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n := strings.Trim(h.Name, "/")
		if n == "" {
			n = "."
		}
		if _, dup := hs[n]; dup {
			t.Errorf("entry %q twice in the layer", n)
		}
		hs[n] = h
		if data[n], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	return img, hs, data
}

// resolve follows symlinks inside the layer, component by component, as the
// container's kernel would, and returns the regular file's entry name.
func resolve(t *testing.T, hs map[string]*tar.Header, p string) string {
	t.Helper()
	for hops := 0; hops < 40; hops++ {
		parts := strings.Split(strings.Trim(path.Clean(p), "/"), "/")
		cur, moved := "/", false
		for i, c := range parts {
			n := strings.TrimPrefix(path.Join(cur, c), "/")
			h, ok := hs[n]
			if !ok {
				t.Fatalf("%s: /%s is not in the layer", p, n)
			}
			if h.Typeflag == tar.TypeSymlink {
				tgt := h.Linkname
				if !path.IsAbs(tgt) {
					tgt = path.Join(cur, tgt)
				}
				p, moved = path.Join(append([]string{tgt}, parts[i+1:]...)...), true
				break
			}
			cur = "/" + n
		}
		if !moved {
			if hs[strings.TrimPrefix(cur, "/")].Typeflag != tar.TypeReg {
				t.Fatalf("%s resolves to /%s, not a regular file", p, cur)
			}
			return strings.TrimPrefix(cur, "/")
		}
	}
	t.Fatalf("%s: symlink loop in the layer", p)
	return ""
}

func build(t *testing.T, opts options, files ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "img.tar")
	if err := run("rampart.invalid/test/mkimage:t", out, false, opts, files); err != nil {
		t.Fatal(err)
	}
	return out
}

// dynamicTrue is /bin/true when it is a dynamically linked ELF of this
// machine (Debian's is); the test is skipped elsewhere.
func dynamicTrue(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("-libs reads the host's libraries: linux only")
	}
	if _, ok := libDirs[runtime.GOARCH]; !ok {
		t.Skipf("no library folders known for %s", runtime.GOARCH)
	}
	interp, needed, _, _, err := elfDeps("/bin/true")
	if err != nil || interp == "" || len(needed) == 0 {
		t.Skipf("/bin/true is not a dynamically linked ELF here (%v)", err)
	}
	return "/bin/true"
}

func TestMkimage_LibsAddsTheInterpreterAndLibcAtTheirPaths(t *testing.T) {
	src := dynamicTrue(t)
	img, hs, data := layerFiles(t, build(t, options{libs: true, entrypoint: []string{"/usr/local/bin/true"}},
		src+"=/usr/local/bin/true"))
	interp, _, _, _, _ := elfDeps(src)
	libc, err := findLib("libc.so.6", libDirs[runtime.GOARCH], elf.ELFCLASS64, map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[runtime.GOARCH])
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{interp, libc} {
		got := resolve(t, hs, p)
		want, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(data[got], want) {
			t.Errorf("%s resolves in the layer to /%s, whose bytes are not the host's %s", p, got, p)
		}
		if hs[got].Mode&0o555 != 0o555 {
			t.Errorf("/%s has mode %o; want it readable and executable by all", got, hs[got].Mode)
		}
	}
	// The path the binary names is in the layer as on the host: a symlink
	// stays a symlink (with its target stored too), a file a file.
	// (Debian: /lib64 -> usr/lib64, /usr/lib64/ld-linux-x86-64.so.2 ->
	// /lib/x86_64-linux-gnu/ld-linux-x86-64.so.2, /lib -> usr/lib.)
	for _, p := range []string{interp, path.Dir(interp)} {
		link, err := os.Readlink(p)
		if err != nil {
			continue // not a symlink on this host
		}
		dir, err := filepath.EvalSymlinks(path.Dir(p))
		if err != nil {
			t.Fatal(err)
		}
		n := strings.TrimPrefix(path.Join(dir, path.Base(p)), "/")
		if h := hs[n]; h == nil || h.Typeflag != tar.TypeSymlink || h.Linkname != link {
			t.Errorf("%s is a symlink to %s on the host; /%s in the layer is %+v", p, link, n, h)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Config.Entrypoint, ",") != "/usr/local/bin/true" {
		t.Errorf("entrypoint = %v", cf.Config.Entrypoint)
	}
}

func TestMkimage_NestedDestinationGetsItsParentFolders(t *testing.T) {
	_, hs, _ := layerFiles(t, build(t, options{}, "/bin/true=/usr/local/bin/true"))
	for _, d := range []string{"usr", "usr/local", "usr/local/bin"} {
		if h := hs[d]; h == nil || h.Typeflag != tar.TypeDir || h.Mode != 0o755 || h.Uid != 0 {
			t.Errorf("/%s = %+v; want a folder, mode 0755, owned by root", d, h)
		}
	}
	if h := hs["usr/local/bin/true"]; h == nil || h.Typeflag != tar.TypeReg || h.Mode != 0o755 {
		t.Errorf("/usr/local/bin/true = %+v; want a file, mode 0755", h)
	}
	if h := hs["tmp"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("/tmp = %+v; want mode 1777", h)
	}
	for n := range hs {
		if strings.HasPrefix(n, "lib") {
			t.Errorf("/%s in the layer without -libs", n)
		}
	}
}

func TestMkimage_SameInputsGiveTheSameDigest(t *testing.T) {
	src := dynamicTrue(t)
	digest := func(files ...string) v1.Hash {
		img, _, _ := layerFiles(t, build(t, options{libs: true, env: []string{"PATH=/usr/local/bin"}, user: "65532:65532"}, files...))
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The arguments' order does not show: entries are written sorted.
	a, b := digest(src+"=/usr/local/bin/true", "/etc/hostname=/etc/x"), digest("/etc/hostname=/etc/x", src+"=/usr/local/bin/true")
	if a != b {
		t.Errorf("digests differ for the same inputs: %s, %s", a, b)
	}
}

func TestMkimage_EnvAndUserSetTheConfig(t *testing.T) {
	img, _, _ := layerFiles(t, build(t, options{env: []string{"PATH=/usr/local/bin:/bin", "A=b"}, user: "65532:65532"},
		"/bin/true=/true"))
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cf.Config.Env, " "); got != "PATH=/usr/local/bin:/bin A=b" || cf.Config.User != "65532:65532" {
		t.Errorf("env = %q, user = %q", got, cf.Config.User)
	}
	img, _, _ = layerFiles(t, build(t, options{}, "/bin/true=/true"))
	if cf, err = img.ConfigFile(); err != nil || strings.Join(cf.Config.Env, " ") != "PATH=/" || cf.Config.User != "" {
		t.Errorf("default env = %v, user = %q (%v); want PATH=/ and none", cf.Config.Env, cf.Config.User, err)
	}
}

func TestMkimage_RejectsBadDestinations(t *testing.T) {
	for _, f := range []string{"/bin/true=true", "/bin/true=/", "/bin/true", "=/x"} {
		if err := run("rampart.invalid/test/mkimage:t", filepath.Join(t.TempDir(), "x.tar"), false, options{}, []string{f}); err == nil {
			t.Errorf("%q accepted", f)
		}
	}
	// A file where a folder is needed, and the same destination twice.
	for _, files := range [][]string{{"/bin/true=/a", "/bin/true=/a/b"}, {"/bin/true=/a", "/bin/true=/a"}, {"/bin/true=/etc"}} {
		if err := run("rampart.invalid/test/mkimage:t", filepath.Join(t.TempDir(), "x.tar"), false, options{}, files); err == nil {
			t.Errorf("%q accepted", files)
		}
	}
}
