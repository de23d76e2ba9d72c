// Command mkimage writes a one-layer container image as a docker-archive
// tarball that `ctr images import` loads, so the lab node runs images built
// on this machine from the project's own binaries: no registry, no
// download. The layer holds the given files (mode 0755) at their
// destinations, parent folders included (mode 0755), an /etc/passwd and
// /etc/group naming root, nobody and the probe user (uid 10000, the uid
// Rampart's restricted pods run as) with its home /home/probe, and empty
// /tmp (1777), /proc, /sys, /dev and /etc mount points.
//
//	mkimage -ref nodeprobe.local/echo:probe -o echo.tar -entrypoint /probe -cmd serve bin/probe=/probe
//
// With -libs, every ELF file given also brings what the dynamic loader needs
// to start it: its interpreter (PT_INTERP) and its DT_NEEDED libraries,
// transitively, looked up by name in the host's multiarch library folders
// (for amd64: /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu, /lib64; no
// RPATH/RUNPATH, no ld.so.conf) and stored at the same paths. Every symlink
// met on the way, of a file or of a folder (merged-/usr hosts link /lib to
// usr/lib), is stored as that symlink and its target resolved in turn, so
// the paths the binary names (/lib64/ld-linux-x86-64.so.2) exist in the
// image as on the host. Static binaries bring nothing.
//
//	mkimage -ref rampart.invalid/envoyproxy/envoy:v1.39.1 -o envoy.tar -libs \
//	  -env PATH=/usr/local/bin:/usr/bin:/bin -user 65532:65532 \
//	  -entrypoint /usr/local/bin/envoy envoy=/usr/local/bin/envoy
//
// The output is deterministic: entries sorted by name, every time stamp the
// epoch, owners root (the probe home: 10000), so the same inputs give the
// same image digest. The config's environment is PATH=/ unless -env sets
// PATH; -env KEY=VALUE may be repeated; -user sets the default user (pods
// still set runAsUser).
//
// The reference must name a made-up registry host (e.g. nodeprobe.local,
// rampart.invalid) so that nothing resolves it to a public registry; pods
// use imagePullPolicy Never, or IfNotPresent once the image is imported.
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
	"debug/elf"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path"
	"runtime"
	"sort"
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

// options are the image's settings besides its files.
type options struct {
	entrypoint, cmd []string
	env             []string // KEY=VALUE, in order; a later key replaces an earlier one
	user            string
	libs            bool
}

// listFlag is a flag that may be given several times.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	ref := flag.String("ref", "", "image reference, e.g. nodeprobe.local/echo:probe (required)")
	out := flag.String("o", "", "output docker-archive tarball (this or -push)")
	push := flag.Bool("push", false, "push to the reference's registry and print the digest reference, instead of -o")
	entrypoint := flag.String("entrypoint", "", "comma-separated entrypoint, e.g. /probe")
	cmd := flag.String("cmd", "", "comma-separated default arguments, e.g. serve")
	user := flag.String("user", "", "default user of the image, e.g. 65532:65532 (none: root)")
	libs := flag.Bool("libs", false, "add each ELF file's interpreter and shared libraries from the host, at the same paths")
	var env listFlag
	flag.Var(&env, "env", "KEY=VALUE in the image's environment (repeatable; default PATH=/)")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: mkimage -ref REF (-o OUT.tar | -push) [-entrypoint A,B] [-cmd C,D] [-env K=V]... [-user U] [-libs] SRC=/DST...")
		flag.PrintDefaults()
	}
	flag.Parse()
	if *ref == "" || (*out == "") == !*push || flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	opts := options{entrypoint: split(*entrypoint), cmd: split(*cmd), env: env, user: *user, libs: *libs}
	if err := run(*ref, *out, *push, opts, flag.Args()); err != nil {
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

// image builds the image: the layer, then the config.
func image(opts options, files []string) (v1.Image, error) {
	env, err := environment(opts.env)
	if err != nil {
		return nil, err
	}
	b := newLayer()
	if err := b.base(); err != nil {
		return nil, err
	}
	if err := b.addFiles(files, opts.libs); err != nil {
		return nil, err
	}
	l, err := b.layer()
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", runtime.GOARCH
	cf.Created = v1.Time{Time: time.Unix(0, 0).UTC()}
	cf.Config.Entrypoint, cf.Config.Cmd = opts.entrypoint, opts.cmd
	cf.Config.Env = env
	cf.Config.User = opts.user
	return mutate.ConfigFile(img, cf)
}

// environment is PATH=/ with each KEY=VALUE of kvs applied in order.
func environment(kvs []string) ([]string, error) {
	env := []string{"PATH=/"}
	for _, kv := range kvs {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("-env %q: want KEY=VALUE", kv)
		}
		replaced := false
		for i, e := range env {
			if strings.HasPrefix(e, k+"=") {
				env[i], replaced = kv, true
			}
		}
		if !replaced {
			env = append(env, kv)
		}
	}
	return env, nil
}

func run(ref, out string, push bool, opts options, files []string) error {
	tag, err := name.NewTag(ref, name.StrictValidation)
	if err != nil {
		return fmt.Errorf("-ref %q: %w (use a full reference such as nodeprobe.local/echo:probe)", ref, err)
	}
	img, err := image(opts, files)
	if err != nil {
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

// libDirs are the folders DT_NEEDED names are looked up in, in order: the
// host's multiarch folders (Debian's layout) for the image's architecture.
var libDirs = map[string][]string{
	"amd64": {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64"},
	"arm64": {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib"},
}

// maxSymlinks bounds symlink resolution, as the kernel's ELOOP does.
const maxSymlinks = 40

// layerBuilder collects the layer's entries by name (no leading "/", no
// trailing "/"; the root is "."); they are written sorted, so the order in
// which they were added never shows in the digest.
type layerBuilder struct {
	entries map[string]*tar.Header
	data    map[string][]byte
}

func newLayer() *layerBuilder {
	return &layerBuilder{entries: map[string]*tar.Header{}, data: map[string][]byte{}}
}

// base adds what every image holds: the root, the mount points, the account
// files and the probe user's home.
func (b *layerBuilder) base() error {
	// "." first: without it the runtime makes the image root 0700 and a
	// non-root user cannot even reach its entrypoint.
	for _, d := range []struct {
		name string
		mode int64
	}{{".", 0o755}, {"dev", 0o755}, {"etc", 0o755}, {"proc", 0o555}, {"sys", 0o555}, {"tmp", 0o1777}, {"home", 0o755}} {
		if err := b.dir(d.name, d.mode); err != nil {
			return err
		}
	}
	// The probe user's home, writable by uid 10000 in the image itself: a
	// write there fails only because the root filesystem is mounted
	// read-only (probe write-test /home/probe/x), not for lack of permission.
	if err := b.dir("home/probe", 0o755); err != nil {
		return err
	}
	b.entries["home/probe"].Uid, b.entries["home/probe"].Gid = 10000, 10000
	if err := b.file("etc/passwd", 0o644, []byte("root:x:0:0:root:/:/probe\n"+
		"probe:x:10000:10000:probe:/home/probe:/probe\nnobody:x:65534:65534:nobody:/:/probe\n")); err != nil {
		return err
	}
	return b.file("etc/group", 0o644, []byte("root:x:0:\nprobe:x:10000:\nnogroup:x:65534:\n"))
}

// addFiles adds each SRC=/DST file (mode 0755) and, with libs, what each
// ELF one needs to be loaded.
func (b *layerBuilder) addFiles(files []string, libs bool) error {
	var elves []string
	for _, f := range files {
		src, dst, ok := strings.Cut(f, "=")
		name := strings.TrimPrefix(path.Clean(dst), "/")
		if !ok || src == "" || !strings.HasPrefix(dst, "/") || name == "" || name == "." || strings.HasPrefix(name, "..") {
			return fmt.Errorf("file argument %q: want SRC=/PATH (an absolute path in the image)", f)
		}
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		if _, dup := b.entries[name]; dup {
			return fmt.Errorf("file argument %q: /%s is already in the image", f, name)
		}
		if err := b.file(name, 0o755, data); err != nil {
			return fmt.Errorf("file argument %q: %w", f, err)
		}
		if bytes.HasPrefix(data, []byte(elf.ELFMAG)) {
			elves = append(elves, src)
		}
	}
	if !libs {
		return nil
	}
	dirs, ok := libDirs[runtime.GOARCH]
	if !ok {
		return fmt.Errorf("-libs: no library folders known for %s", runtime.GOARCH)
	}
	return b.addLibs(elves, dirs)
}

// addLibs adds, for each ELF file in queue (host paths), its interpreter
// and its DT_NEEDED libraries found in dirs, then theirs, each once.
func (b *layerBuilder) addLibs(queue []string, dirs []string) error {
	seen := map[string]bool{} // real host paths already read
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if seen[p] {
			continue
		}
		seen[p] = true
		interp, needed, cls, mach, err := elfDeps(p)
		if err != nil {
			return err
		}
		if interp != "" {
			real, err := b.mirror(interp)
			if err != nil {
				return fmt.Errorf("%s: interpreter %s: %w", p, interp, err)
			}
			queue = append(queue, real)
		}
		for _, lib := range needed {
			found, err := findLib(lib, dirs, cls, mach)
			if err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			real, err := b.mirror(found)
			if err != nil {
				return fmt.Errorf("%s: library %s: %w", p, found, err)
			}
			queue = append(queue, real)
		}
	}
	return nil
}

// elfDeps reads the ELF file at p: its interpreter (PT_INTERP, "" when
// static), its DT_NEEDED names, class and machine.
func elfDeps(p string) (interp string, needed []string, cls elf.Class, mach elf.Machine, err error) {
	f, err := elf.Open(p)
	if err != nil {
		return "", nil, 0, 0, fmt.Errorf("reading ELF %s: %w", p, err)
	}
	defer func() { _ = f.Close() }()
	for _, prog := range f.Progs {
		if prog.Type != elf.PT_INTERP {
			continue
		}
		b, err := io.ReadAll(prog.Open())
		if err != nil {
			return "", nil, 0, 0, fmt.Errorf("reading the interpreter of %s: %w", p, err)
		}
		interp = strings.TrimRight(string(b), "\x00")
	}
	needed, err = f.ImportedLibraries()
	if err != nil && !errors.Is(err, elf.ErrNoSymbols) {
		return "", nil, 0, 0, fmt.Errorf("reading DT_NEEDED of %s: %w", p, err)
	}
	return interp, needed, f.Class, f.Machine, nil
}

// findLib is the first dirs/lib that is an ELF file of the same class and
// machine (as the dynamic loader skips incompatible ones); a name holding
// "/" is a path and used as it is.
func findLib(lib string, dirs []string, cls elf.Class, mach elf.Machine) (string, error) {
	if strings.Contains(lib, "/") {
		return lib, nil
	}
	for _, d := range dirs {
		p := path.Join(d, lib)
		f, err := elf.Open(p)
		if err != nil {
			continue
		}
		ok := f.Class == cls && f.Machine == mach
		_ = f.Close()
		if ok {
			return p, nil
		}
	}
	return "", fmt.Errorf("needs %s, not found in %s", lib, strings.Join(dirs, ", "))
}

// mirror adds the host file at the absolute path p at the same path in the
// layer: each folder on the way as a folder (0755), each symlink on the way
// as that symlink (its target then resolved in turn), the file with its
// host permissions (at most 0755). It returns the file's real host path.
func (b *layerBuilder) mirror(p string) (string, error) {
	for hops := 0; hops <= maxSymlinks; hops++ {
		parts := strings.Split(strings.TrimPrefix(path.Clean(p), "/"), "/")
		cur, next := "/", ""
		for i, c := range parts {
			p := path.Join(cur, c)
			fi, err := os.Lstat(p)
			if err != nil {
				return "", err
			}
			name, last := strings.TrimPrefix(p, "/"), i == len(parts)-1
			switch {
			case fi.Mode()&os.ModeSymlink != 0:
				t, err := os.Readlink(p)
				if err != nil {
					return "", err
				}
				if err := b.symlink(name, t); err != nil {
					return "", err
				}
				if !path.IsAbs(t) {
					t = path.Join(cur, t)
				}
				next = path.Join(append([]string{t}, parts[i+1:]...)...)
			case fi.IsDir() && !last:
				if err := b.dir(name, 0o755); err != nil {
					return "", err
				}
			case fi.Mode().IsRegular() && last:
				data, err := os.ReadFile(p)
				if err != nil {
					return "", err
				}
				return p, b.file(name, int64(fi.Mode().Perm()&0o755), data)
			default:
				return "", fmt.Errorf("%s is a %s, want a regular file", p, fi.Mode().Type())
			}
			if next != "" {
				break
			}
			cur = p
		}
		p = next
	}
	return "", fmt.Errorf("%s: more than %d symlinks", p, maxSymlinks)
}

// dir adds the folder name and its parents; an existing folder is kept as
// it is (so /tmp stays 1777).
func (b *layerBuilder) dir(name string, mode int64) error {
	if h, ok := b.entries[name]; ok {
		if h.Typeflag != tar.TypeDir {
			return fmt.Errorf("/%s is needed as a folder and is already a %s", name, kind(h))
		}
		return nil
	}
	if err := b.parents(name); err != nil {
		return err
	}
	b.entries[name] = &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode}
	return nil
}

// parents adds the folders above name (0755) that are not there yet.
func (b *layerBuilder) parents(name string) error {
	if d := path.Dir(name); d != "." && d != name {
		return b.dir(d, 0o755)
	}
	return nil
}

// file adds a regular file; adding the same bytes and mode again is a no-op
// (two libraries needing the same one).
func (b *layerBuilder) file(name string, mode int64, data []byte) error {
	if h, ok := b.entries[name]; ok {
		if h.Typeflag == tar.TypeReg && h.Mode == mode && bytes.Equal(b.data[name], data) {
			return nil
		}
		return fmt.Errorf("/%s is already in the image as a different %s", name, kind(h))
	}
	if err := b.parents(name); err != nil {
		return err
	}
	b.entries[name] = &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(len(data))}
	b.data[name] = data
	return nil
}

// symlink adds name -> target; the same link again is a no-op.
func (b *layerBuilder) symlink(name, target string) error {
	if h, ok := b.entries[name]; ok {
		if h.Typeflag == tar.TypeSymlink && h.Linkname == target {
			return nil
		}
		return fmt.Errorf("/%s is needed as a symlink to %s and is already a %s", name, target, kind(h))
	}
	if err := b.parents(name); err != nil {
		return err
	}
	b.entries[name] = &tar.Header{Typeflag: tar.TypeSymlink, Name: name, Linkname: target, Mode: 0o777}
	return nil
}

func kind(h *tar.Header) string {
	switch h.Typeflag {
	case tar.TypeDir:
		return "folder"
	case tar.TypeSymlink:
		return "symlink to " + h.Linkname
	default:
		return "file"
	}
}

// layer writes the entries sorted by name ("./" first; a folder sorts
// before what it holds), every time stamp the epoch.
func (b *layerBuilder) layer() (v1.Layer, error) {
	names := make([]string, 0, len(b.entries))
	for n := range b.entries {
		if n != "." {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if _, ok := b.entries["."]; ok {
		names = append([]string{"."}, names...)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(0, 0)
	for _, n := range names {
		h := *b.entries[n]
		h.ModTime = epoch
		if err := tw.WriteHeader(&h); err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if _, err := tw.Write(b.data[n]); err != nil {
				return nil, err
			}
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(data)), nil
	})
}
