package kmsplugin

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"k8s.io/kms/pkg/service"
)

// APIVersion is the KMS API version Status reports; kube-apiserver's kms
// provider with apiVersion v2 accepts only "v2".
const APIVersion = "v2"

// Healthy is the healthz value kube-apiserver reads as healthy.
const Healthy = "ok"

// probe is the fixed plaintext of Status's round trip: no secret, so an
// audit log that records it reveals nothing.
var probe = []byte("rampart-kms status probe")

// Plugin is the KMS v2 service (k8s.io/kms/pkg/service.Service) over one
// OpenBao transit key. It holds no key material: every wrap and unwrap is
// done by OpenBao, and every failure is returned to the API server (there
// is no plaintext fallback).
type Plugin struct {
	transit *transit
	refresh time.Duration
	timeout time.Duration

	mu        sync.Mutex
	version   int       // the key's latest version, as last learned
	versionAt time.Time // when it was read from the key's metadata
}

var _ service.Service = (*Plugin)(nil)

// New validates o and builds the plugin; it reads CAFile but does not call
// OpenBao (Status does).
func New(o Options) (*Plugin, error) {
	o = o.WithDefaults()
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("rampart-kms: %w", err)
	}
	t, err := newTransit(o)
	if err != nil {
		return nil, fmt.Errorf("rampart-kms: %w", err)
	}
	return &Plugin{transit: t, refresh: o.KeyRefresh, timeout: o.Timeout}, nil
}

// keyID is the KMS key ID of a transit key version.
func keyID(version int) string { return strconv.Itoa(version) }

// learn records a key version seen in a ciphertext or the key's metadata;
// versions only grow (a key cannot be un-rotated).
func (p *Plugin) learn(version int, fromMetadata bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if version > p.version {
		p.version = version
	}
	if fromMetadata {
		p.versionAt = time.Now()
	}
}

// Encrypt wraps a data key with the transit key; the key ID is the version
// that wrapped it.
func (p *Plugin) Encrypt(ctx context.Context, _ string, data []byte) (*service.EncryptResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	ct, v, err := p.transit.encrypt(ctx, data)
	if err != nil {
		return nil, fmt.Errorf("rampart-kms encrypt: %w", err)
	}
	p.learn(v, false)
	return &service.EncryptResponse{Ciphertext: []byte(ct), KeyID: keyID(v)}, nil
}

// Decrypt unwraps a data key. The key ID the API server stored beside the
// ciphertext must be the version the ciphertext names: a mismatch means one
// of them was altered.
func (p *Plugin) Decrypt(ctx context.Context, _ string, req *service.DecryptRequest) ([]byte, error) {
	v, err := ciphertextVersion(string(req.Ciphertext))
	if err != nil {
		return nil, fmt.Errorf("rampart-kms decrypt: %w: not made by this plugin", err)
	}
	if req.KeyID != keyID(v) {
		return nil, fmt.Errorf("rampart-kms decrypt: key ID %q but the ciphertext names version %d: refusing a mismatched pair", req.KeyID, v)
	}
	ctx, cancel := context.WithTimeout(ctx, p.timeout)
	defer cancel()
	pt, err := p.transit.decrypt(ctx, string(req.Ciphertext))
	if err != nil {
		return nil, fmt.Errorf("rampart-kms decrypt: %w", err)
	}
	return pt, nil
}

// Status is healthy ("ok") only when the key can be read, is neither
// exportable nor backed up in plaintext, and a fixed probe survives an
// encrypt and decrypt round trip. Otherwise Healthz carries the reason
// (kube-apiserver logs it and fails its kms readiness check). The key ID is
// the latest version, read again once KeyRefresh has passed.
func (p *Plugin) Status(ctx context.Context) (*service.StatusResponse, error) {
	res := &service.StatusResponse{Version: APIVersion}
	if err := p.check(ctx); err != nil {
		// One line: the API server logs the healthz text as it is, and
		// OpenBao's error lists arrive on several lines.
		res.Healthz = strings.Join(strings.Fields(err.Error()), " ")
	} else {
		res.Healthz = Healthy
	}
	p.mu.Lock()
	if p.version > 0 {
		res.KeyID = keyID(p.version)
	}
	p.mu.Unlock()
	return res, nil
}

// check refreshes the key version when due and runs the probe.
func (p *Plugin) check(ctx context.Context) error {
	p.mu.Lock()
	due := time.Since(p.versionAt) >= p.refresh || p.version == 0
	p.mu.Unlock()
	if due {
		rctx, cancel := context.WithTimeout(ctx, p.timeout)
		k, err := p.transit.readKey(rctx)
		cancel()
		if err != nil {
			return err
		}
		if k.Exportable || k.AllowPlaintextBackup || !k.SupportsEncryption {
			return fmt.Errorf("transit key %q is exportable, allows a plaintext backup or cannot encrypt: create an aes256-gcm96 key with exportable=false", p.transit.key)
		}
		p.learn(k.LatestVersion, true)
	}
	res, err := p.Encrypt(ctx, "status", probe)
	if err != nil {
		return err
	}
	got, err := p.Decrypt(ctx, "status", &service.DecryptRequest{Ciphertext: res.Ciphertext, KeyID: res.KeyID})
	if err != nil {
		return err
	}
	if !bytes.Equal(got, probe) {
		return fmt.Errorf("transit key %q: the probe decrypted to other bytes", p.transit.key)
	}
	return nil
}
