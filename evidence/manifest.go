// Package evidence writes and verifies signed evidence packs: one run of
// `rampart check` (its OSCAL assessment results, HTML and JSON reports, the
// verify results when given and a digest of the state export it judged),
// listed with their sha256 in a manifest that an OpenBao/Vault transit key
// signs. The pack carries the signature and the public key, so anyone can
// check it offline; a key supplied by the pack proves the files were not
// changed since signing, not who signed them (compare the key with the one
// you expect for that).
//
// A pack is a directory of regular files; on S3 it is one deterministic tar
// of that directory, written under Object Lock retention (COMPLIANCE) in
// the WORM audit bucket. NIS2 Art. 21(2)(f) (assessing effectiveness);
// DORA Art. 6(5), Art. 8; ITSG-33 CA-2, AU-9(3); ISM event logging.
package evidence

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Format names the pack layout; Verify refuses another.
const Format = "rampart-evidence-pack/v1"

// The pack's file names. Report files are listed in the manifest; the
// manifest, its signature and the public key are the pack's frame.
const (
	// ManifestName lists every other report file with its sha256 and size.
	ManifestName = "manifest.json"
	// SignatureName holds the transit signature over ManifestName's bytes.
	SignatureName = "manifest.sig.json"
	// PublicKeyName is the signing key's public half (PKIX, PEM).
	PublicKeyName = "public-key.pem"
	// OSCALName is the OSCAL assessment results (report.OSCAL).
	OSCALName = "assessment-results.oscal.json"
	// HTMLName is the HTML report (report.HTML).
	HTMLName = "report.html"
	// JSONName is the JSON report (report.JSON).
	JSONName = "report.json"
	// VerifyName is a `rampart verify --json` result, when given.
	VerifyName = "verify-results.json"
	// StateName is the digest of the state export the report judged.
	StateName = "state-digest.json"
)

// frame are the files a manifest never lists: itself and what signs it.
var frame = []string{ManifestName, SignatureName, PublicKeyName}

// Manifest is what the signature covers: the run and every report file.
type Manifest struct {
	// Format is Format.
	Format string `json:"format"`
	// Stack is the stack the report judged.
	Stack string `json:"stack"`
	// Profile is the stack's environment profile, when known.
	Profile string `json:"profile,omitempty"`
	// Generated is the assessment's time (UTC, whole seconds).
	Generated time.Time `json:"generated"`
	// Tool is the rampart build that wrote the pack.
	Tool Tool `json:"tool"`
	// Files are the report files, sorted by name.
	Files []File `json:"files"`
}

// Tool identifies the build that wrote a pack.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Commit  string `json:"commit"`
}

// File is one report file of a pack.
type File struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
}

// StateDigest is the content of StateName: which state export the report
// judged. The export itself is not in the pack (it holds secrets'
// ciphertexts and every resource's inputs); its digest ties the report to
// it.
type StateDigest struct {
	// Stack is the exported stack.
	Stack string `json:"stack"`
	// DeploymentVersion is the export's deployment version (3).
	DeploymentVersion int `json:"deploymentVersion"`
	// SHA256 and Size are of the export's deployment JSON with
	// insignificant whitespace removed (encoding/json Compact), so the
	// CLI's indentation does not change it.
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	// Resources is the number of resources in the deployment.
	Resources int `json:"resources"`
}

// Digest is the hex sha256 of b.
func Digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// NewManifest lists files (name → content, frame names excluded) for the
// run; the files are sorted by name, the time is UTC to the second.
func NewManifest(stack, profile string, generated time.Time, tool Tool, files map[string][]byte) (*Manifest, error) {
	m := &Manifest{Format: Format, Stack: stack, Profile: profile, Generated: generated.UTC().Truncate(time.Second), Tool: tool}
	for name, b := range files {
		if err := checkName(name); err != nil {
			return nil, err
		}
		if slices.Contains(frame, name) {
			return nil, fmt.Errorf("evidence: %s is the pack's own file, not a report file", name)
		}
		m.Files = append(m.Files, File{Name: name, SHA256: Digest(b), Size: int64(len(b))})
	}
	if len(m.Files) == 0 {
		return nil, errors.New("evidence: a manifest of no file")
	}
	slices.SortFunc(m.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return m, nil
}

// Bytes is the manifest as stored and signed: indented JSON and a newline.
func (m *Manifest) Bytes() ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("evidence: encode manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// ParseManifest decodes a manifest strictly (unknown fields refused).
func ParseManifest(b []byte) (*Manifest, error) {
	var m Manifest
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("not a manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("format %q, want %q", m.Format, Format)
	}
	return &m, nil
}

// checkName keeps a file name one plain path element: no directory, no
// "..", nothing a tar reader or a shell would treat specially.
func checkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00") || strings.HasPrefix(name, "-") || len(name) > 100 {
		return fmt.Errorf("evidence: %q is not a plain file name", name)
	}
	return nil
}
