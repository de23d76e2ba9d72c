package evidence

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// maxPackBytes bounds what is read of a pack (a directory, a tar, an S3
// object): the reports of the largest stacks are a few MiB.
const maxPackBytes = 512 << 20

// Pack is one evidence pack in memory: file name → content, the frame
// (manifest, signature, public key) included.
type Pack struct {
	Files map[string][]byte
}

// Names are the pack's file names, sorted.
func (p *Pack) Names() []string { return slices.Sorted(maps.Keys(p.Files)) }

// Clone is a deep copy of p.
func (p *Pack) Clone() *Pack {
	c := &Pack{Files: make(map[string][]byte, len(p.Files))}
	for n, b := range p.Files {
		c.Files[n] = bytes.Clone(b)
	}
	return c
}

// Name is the pack's name, from its manifest: rampart-evidence-<stack>-<UTC
// time>, e.g. rampart-evidence-prod-20261203T051700Z. It names the
// directory and, with ".tar", the S3 object.
func (m *Manifest) Name() string {
	return "rampart-evidence-" + m.Stack + "-" + m.Generated.UTC().Format("20060102T150405Z")
}

// WriteDir writes p's files into dir, which must not exist yet (a pack is
// never merged into another's directory).
func (p *Pack) WriteDir(dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil { //nolint:gosec // G301: evidence is for auditors to read
		return fmt.Errorf("evidence: %w", err)
	}
	if err := os.Mkdir(dir, 0o755); err != nil { //nolint:gosec // G301: see above
		return fmt.Errorf("evidence: create the pack's directory: %w", err)
	}
	for _, n := range p.Names() {
		if err := checkName(n); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, n), p.Files[n], 0o644); err != nil { //nolint:gosec // G306: see above
			return fmt.Errorf("evidence: %w", err)
		}
	}
	return nil
}

// ReadDir reads a pack directory: regular files only (a subdirectory or a
// symlink is refused, so nothing outside the directory is read).
func ReadDir(dir string) (*Pack, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("evidence: read pack %s: %w", dir, err)
	}
	p := &Pack{Files: map[string][]byte{}}
	var total int64
	for _, e := range entries {
		if !e.Type().IsRegular() {
			return nil, fmt.Errorf("evidence: pack %s: %s is not a regular file (a pack holds files only)", dir, e.Name())
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, fmt.Errorf("evidence: %w", err)
		}
		if total += int64(len(b)); total > maxPackBytes {
			return nil, fmt.Errorf("evidence: pack %s is over %d bytes", dir, maxPackBytes)
		}
		p.Files[e.Name()] = b
	}
	return p, nil
}

// WriteTar writes p as a deterministic tar: files in name order, each a
// USTAR regular file of mode 0644, owner 0:0 and no owner names, stamped
// with mtime. The same pack and mtime give the same bytes, so the object's
// digest can be recomputed from the directory.
func (p *Pack) WriteTar(w io.Writer, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, n := range p.Names() {
		if err := checkName(n); err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: n, Mode: 0o644, Size: int64(len(p.Files[n])),
			ModTime: mtime.UTC().Truncate(time.Second), Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("evidence: tar %s: %w", n, err)
		}
		if _, err := tw.Write(p.Files[n]); err != nil {
			return fmt.Errorf("evidence: tar %s: %w", n, err)
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("evidence: tar: %w", err)
	}
	return nil
}

// Tar is WriteTar into memory, stamped with the manifest's time.
func (p *Pack) Tar() ([]byte, error) {
	m, err := ParseManifest(p.Files[ManifestName])
	if err != nil {
		return nil, fmt.Errorf("evidence: %s: %w", ManifestName, err)
	}
	var b bytes.Buffer
	if err := p.WriteTar(&b, m.Generated); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// ReadTar reads a pack tar: regular files with plain names only, each
// once, bounded in size.
func ReadTar(r io.Reader) (*Pack, error) {
	tr := tar.NewReader(io.LimitReader(r, maxPackBytes+1))
	p := &Pack{Files: map[string][]byte{}}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("evidence: not a pack tar: %w", err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("evidence: pack tar: %s is not a regular file (type %q)", h.Name, h.Typeflag)
		}
		if err := checkName(h.Name); err != nil {
			return nil, fmt.Errorf("evidence: pack tar: %w", err)
		}
		if _, dup := p.Files[h.Name]; dup {
			return nil, fmt.Errorf("evidence: pack tar: %s appears twice", h.Name)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, fmt.Errorf("evidence: pack tar: %s: %w", h.Name, err)
		}
		p.Files[h.Name] = b
	}
	if len(p.Files) == 0 {
		return nil, errors.New("evidence: an empty pack tar")
	}
	return p, nil
}

// Load reads a pack from a directory or a tar file.
func Load(path string) (*Pack, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	if st.IsDir() {
		return ReadDir(path)
	}
	f, err := os.Open(path) //nolint:gosec // G304: the pack the user named
	if err != nil {
		return nil, fmt.Errorf("evidence: %w", err)
	}
	defer func() { _ = f.Close() }()
	return ReadTar(f)
}

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }
