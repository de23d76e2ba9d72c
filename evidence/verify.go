package evidence

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// ErrInvalid marks a pack that does not verify (cmd/rampart exits 2 on
// it); other errors mean the pack could not be read at all.
var ErrInvalid = errors.New("evidence pack invalid")

// Problem is one reason a pack does not verify, with the file it is in.
type Problem struct {
	File   string `json:"file"`
	Reason string `json:"reason"`
}

func (p Problem) String() string { return p.File + ": " + p.Reason }

// Result is a verification: the pack's manifest and signature when they
// could be read, and every problem found (none: the pack is valid).
type Result struct {
	Manifest  *Manifest  `json:"manifest,omitempty"`
	Signature *Signature `json:"signature,omitempty"`
	// PublicKeySHA256 is the sha256 of the DER of the key the signature
	// was checked with.
	PublicKeySHA256 string    `json:"publicKeySha256,omitempty"`
	Problems        []Problem `json:"problems,omitempty"`
}

// OK reports whether the pack verified.
func (r *Result) OK() bool { return len(r.Problems) == 0 }

// Err is nil for a valid pack, else ErrInvalid with every problem.
func (r *Result) Err() error {
	if r.OK() {
		return nil
	}
	msgs := make([]string, len(r.Problems))
	for i, p := range r.Problems {
		msgs[i] = p.String()
	}
	return fmt.Errorf("%w: %s", ErrInvalid, strings.Join(msgs, "; "))
}

// Verify checks a pack offline: the manifest's signature with the pack's
// public key, then every file against the manifest (digest and size; a
// missing or unlisted file is a problem). With expected (PKIX PEM) set, the
// pack's key must also be that key: without it, a valid pack proves only
// that its files are the ones its key signed, not whose key that is.
func Verify(p *Pack, expected []byte) *Result {
	r := &Result{}
	add := func(file, format string, args ...any) {
		r.Problems = append(r.Problems, Problem{File: file, Reason: fmt.Sprintf(format, args...)})
	}
	for _, n := range frame {
		if _, ok := p.Files[n]; !ok {
			add(n, "missing")
		}
	}
	// The signature first: the manifest's listing is only worth checking
	// files against once it is known to be the signed one.
	var sigOK bool
	if mb, ok := p.Files[ManifestName]; ok {
		sigOK = r.checkSignature(p, mb, expected, add)
		m, err := ParseManifest(mb)
		if err != nil {
			add(ManifestName, "%v", err)
		} else {
			r.Manifest = m
		}
	}
	if r.Manifest == nil {
		return r
	}
	listed := map[string]bool{}
	for _, f := range r.Manifest.Files {
		listed[f.Name] = true
		b, ok := p.Files[f.Name]
		switch {
		case !ok:
			add(f.Name, "listed in %s but missing from the pack", ManifestName)
		case int64(len(b)) != f.Size:
			add(f.Name, "%d bytes, the manifest says %d", len(b), f.Size)
		case Digest(b) != f.SHA256:
			add(f.Name, "sha256 %s, the manifest says %s", Digest(b), f.SHA256)
		}
	}
	for _, n := range p.Names() {
		if !listed[n] && !slices.Contains(frame, n) {
			add(n, "not listed in %s (a file added after signing)", ManifestName)
		}
	}
	if !sigOK && r.Manifest != nil {
		// Listed digests are then the unsigned manifest's: say so.
		add(ManifestName, "its listing is not covered by a valid signature")
	}
	return r
}

// checkSignature verifies the manifest's bytes with the pack's key (and
// that key against expected); false when any part fails.
func (r *Result) checkSignature(p *Pack, manifest, expected []byte, add func(file, format string, args ...any)) bool {
	sb, sok := p.Files[SignatureName]
	kb, kok := p.Files[PublicKeyName]
	if !sok || !kok {
		return false
	}
	sig, err := ParseSignature(sb)
	if err != nil {
		add(SignatureName, "%v", err)
		return false
	}
	r.Signature = sig
	key, der, err := ParsePublicKey(kb)
	if err != nil {
		add(PublicKeyName, "%v", err)
		return false
	}
	r.PublicKeySHA256 = Digest(der)
	ok := true
	if sig.PublicKeySHA256 != r.PublicKeySHA256 {
		add(SignatureName, "names public key sha256 %s, %s holds %s", sig.PublicKeySHA256, PublicKeyName, r.PublicKeySHA256)
		ok = false
	}
	if expected != nil {
		_, want, err := ParsePublicKey(expected)
		switch {
		case err != nil:
			add(PublicKeyName, "the expected public key is unreadable: %v", err)
			ok = false
		case !bytes.Equal(want, der):
			add(PublicKeyName, "sha256 %s is not the expected key (sha256 %s): the pack was signed by another key", r.PublicKeySHA256, Digest(want))
			ok = false
		}
	}
	if err := checkSignature(key, sig, manifest); err != nil {
		add("signature", "%v over %s with the key in %s (%s): one of the three files was changed after signing", err, ManifestName, PublicKeyName, SignatureName)
		ok = false
	}
	return ok
}
