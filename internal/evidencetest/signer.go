// Package evidencetest signs evidence packs in-process, for the tests that
// are not about transit (tests/evidenceserver signs with a real OpenBao).
package evidencetest

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"

	"github.com/rampart-dev/rampart/evidence"
)

// Ed25519 is an evidence.Signer holding its ed25519 key in the test, as
// transit's ed25519 keys sign: signer "test", key version 1.
type Ed25519 struct{ Key ed25519.PrivateKey }

// Sign signs m and returns the signature and the public key as PKIX PEM.
func (s Ed25519) Sign(_ context.Context, m []byte) (*evidence.Signature, []byte, error) {
	pub, err := evidence.EncodePublicKey(s.Key.Public())
	if err != nil {
		return nil, nil, err
	}
	_, der, err := evidence.ParsePublicKey(pub)
	if err != nil {
		return nil, nil, err
	}
	return &evidence.Signature{Algorithm: evidence.AlgEd25519, Signer: "test", KeyVersion: 1,
		Value: base64.StdEncoding.EncodeToString(ed25519.Sign(s.Key, m)), PublicKeySHA256: evidence.Digest(der)}, pub, nil
}
