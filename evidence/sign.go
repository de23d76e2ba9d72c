package evidence

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
)

// Signature algorithms a pack may carry: the transit key types ed25519 and
// ecdsa-p256 (the latter over the manifest's sha256, ASN.1 DER), the two
// signing key types every Vault and OpenBao release offers without a
// prehash or padding choice to get wrong.
const (
	AlgEd25519   = "ed25519"
	AlgECDSAP256 = "ecdsa-p256-sha256"
)

// Signature is the content of SignatureName.
type Signature struct {
	// Algorithm is AlgEd25519 or AlgECDSAP256.
	Algorithm string `json:"algorithm"`
	// Signer names the key: "<transit address>/v1/<mount>/keys/<key>", for
	// a reader; Verify trusts only the public key, never this name.
	Signer string `json:"signer"`
	// KeyVersion is the transit key version that signed.
	KeyVersion int `json:"keyVersion"`
	// Value is the signature, standard base64 (transit's "vault:vN:"
	// prefix removed).
	Value string `json:"value"`
	// Transit is the signature as transit answered it ("vault:vN:…"), for
	// `transit/verify/<key>` with the server's own key.
	Transit string `json:"transit,omitempty"`
	// PublicKeySHA256 is the sha256 of the public key's PKIX DER (the
	// fingerprint to compare with the one you expect).
	PublicKeySHA256 string `json:"publicKeySha256"`
}

// Signer signs a manifest's bytes. It returns the signature and the public
// key it verifies with (PKIX PEM).
type Signer interface {
	Sign(ctx context.Context, manifest []byte) (*Signature, []byte, error)
}

// ParsePublicKey reads a PKIX PEM public key: ed25519 or ECDSA P-256.
func ParsePublicKey(pemBytes []byte) (crypto.PublicKey, []byte, error) {
	blk, rest := pem.Decode(pemBytes)
	if blk == nil || blk.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
		return nil, nil, errors.New("not one PEM \"PUBLIC KEY\" block")
	}
	k, err := x509.ParsePKIXPublicKey(blk.Bytes)
	if err != nil {
		return nil, nil, fmt.Errorf("not a PKIX public key: %w", err)
	}
	switch pk := k.(type) {
	case ed25519.PublicKey:
	case *ecdsa.PublicKey:
		if pk.Curve != elliptic.P256() {
			return nil, nil, errors.New("an ECDSA key not on P-256")
		}
	default:
		return nil, nil, fmt.Errorf("a %T key (want ed25519 or ECDSA P-256)", k)
	}
	// Only the canonical encoding is accepted, so that no byte of the
	// file can change without the pack failing.
	if canon := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: blk.Bytes}); !bytes.Equal(canon, pemBytes) {
		return nil, nil, errors.New("not in canonical PEM form (one block, 64-column base64, a final newline)")
	}
	return k, blk.Bytes, nil
}

// EncodePublicKey is k as PKIX PEM.
func EncodePublicKey(k crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		return nil, fmt.Errorf("evidence: encode public key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// ParseSignature decodes a signature file strictly.
func ParseSignature(b []byte) (*Signature, error) {
	var s Signature
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(&s); err != nil {
		return nil, fmt.Errorf("not a signature file: %w", err)
	}
	// Only the bytes Build writes are accepted: no byte of the file may
	// change, even where JSON would not care.
	if canon, err := json.MarshalIndent(&s, "", "  "); err != nil || !bytes.Equal(append(canon, '\n'), b) {
		return nil, errors.New("not in the canonical form Build writes (indented JSON, a final newline)")
	}
	return &s, nil
}

// checkSignature verifies sig over msg with k.
func checkSignature(k crypto.PublicKey, s *Signature, msg []byte) error {
	raw, err := base64.StdEncoding.DecodeString(s.Value)
	if err != nil {
		return fmt.Errorf("the signature value is not base64: %w", err)
	}
	switch pk := k.(type) {
	case ed25519.PublicKey:
		if s.Algorithm != AlgEd25519 {
			return fmt.Errorf("algorithm %q with an ed25519 key", s.Algorithm)
		}
		if !ed25519.Verify(pk, msg, raw) {
			return errors.New("the ed25519 signature does not verify")
		}
	case *ecdsa.PublicKey:
		if s.Algorithm != AlgECDSAP256 {
			return fmt.Errorf("algorithm %q with an ECDSA P-256 key", s.Algorithm)
		}
		h := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(pk, h[:], raw) {
			return errors.New("the ECDSA P-256 signature does not verify")
		}
	default:
		return fmt.Errorf("a %T key", k)
	}
	return nil
}
