// Package pkiserver_test runs components/pki under Pulumi mocks whose
// NewResource performs, against the lab's OpenBao server, the same API call
// the pulumi-vault provider would make for each resource, and returns the
// server's real outputs. The real CSR therefore flows into the signing step,
// the real signed certificate into set-signed, and so on.
//
// These are "server-backed mocks on OpenBao 2.6.2", not provider end-to-end
// tests: the pulumi-vault plugin cannot be built here. The server is the
// real OpenBao v2.6.2 (upstream's binary, pinned by sha256; lab/services/
// openbao.sh): Shamir-sealed, raft storage, TLS 1.3 on 127.0.0.1. What they
// prove is the PKI the component describes (chain, key types, URLs, role
// limits, policy), as the server enforces it; what they do not prove is the
// provider's own diffing and read-back.
package pkiserver_test

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	bao "github.com/openbao/openbao/api/v2"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/internal/recmock"
)

// backend serves the vault resource types components/pki uses by calling the
// OpenBao API the way the pulumi-vault provider (terraform-provider-vault) does.
type backend struct {
	t      testing.TB
	c      *bao.Client
	mu     sync.Mutex
	calls  []string // "METHOD path" in the order the engine made them
	mounts []string // to unmount at the end
}

// newBackend is a client of the lab's OpenBao at addr with token, trusting
// only caFile (the lab CA that signed the listener's certificate).
func newBackend(t testing.TB, addr, token, caFile string) *backend {
	t.Helper()
	cfg := bao.DefaultConfig()
	cfg.Address = addr
	if err := cfg.ConfigureTLS(&bao.TLSConfig{CACert: caFile}); err != nil {
		t.Fatalf("openbao api client TLS with %s: %v", caFile, err)
	}
	c, err := bao.NewClient(cfg)
	if err != nil {
		t.Fatalf("openbao api client: %v", err)
	}
	c.SetToken(token)
	if _, err := c.Logical().Read("sys/health"); err != nil && !strings.Contains(err.Error(), "sys/health") {
		t.Fatalf("lab OpenBao server at %s not reachable: %v", addr, err)
	}
	b := &backend{t: t, c: c}
	t.Cleanup(b.cleanup)
	return b
}

func (b *backend) cleanup() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.mounts) - 1; i >= 0; i-- {
		if _, err := b.c.Logical().Delete(b.mounts[i]); err != nil {
			b.t.Logf("cleanup %s: %v", b.mounts[i], err)
		}
	}
}

func (b *backend) log(method, path string) {
	b.mu.Lock()
	b.calls = append(b.calls, method+" "+path)
	b.mu.Unlock()
}

func (b *backend) write(path string, data map[string]any) (map[string]any, error) {
	b.log("PUT", path)
	s, err := b.c.Logical().Write(path, data)
	if err != nil {
		return nil, fmt.Errorf("openbao write %s: %w", path, err)
	}
	if s == nil || s.Data == nil {
		return map[string]any{}, nil
	}
	return s.Data, nil
}

func (b *backend) read(path string) (map[string]any, error) {
	b.log("GET", path)
	s, err := b.c.Logical().Read(path)
	if err != nil {
		return nil, fmt.Errorf("openbao read %s: %w", path, err)
	}
	if s == nil {
		return nil, fmt.Errorf("openbao read %s: not found", path)
	}
	return s.Data, nil
}

// Recorder returns a recording mock whose vault resources are served by the server.
func (b *backend) Recorder() *recmock.Recorder {
	rec := recmock.New()
	rec.OnNewResource = b.newResource
	return rec
}

func (b *backend) newResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, bool, error) {
	in := recmock.Plain(args.Inputs)
	str := func(k string) string { s, _ := in[k].(string); return s }
	var (
		id   string
		resp map[string]any
		err  error
	)
	switch args.TypeToken {
	case "vault:index/mount:Mount":
		// sys/mounts/<path> with config.max_lease_ttl, as the provider's mount resource.
		path := str("path")
		body := map[string]any{"type": str("type"), "description": str("description"), "config": map[string]any{}}
		if v, ok := in["maxLeaseTtlSeconds"].(float64); ok {
			body["config"].(map[string]any)["max_lease_ttl"] = strconv.Itoa(int(v)) + "s"
		}
		if _, err = b.write("sys/mounts/"+path, body); err == nil {
			b.mu.Lock()
			b.mounts = append(b.mounts, "sys/mounts/"+path)
			b.mu.Unlock()
			resp, err = b.read("sys/mounts/" + path + "/tune")
		}
		id = path
	case "vault:pkiSecret/secretBackendConfigUrls:SecretBackendConfigUrls":
		be := str("backend")
		if _, err = b.write(be+"/config/urls", body(in, "backend")); err == nil {
			resp, err = b.read(be + "/config/urls")
		}
		id = be
	case "vault:pkiSecret/secretBackendCrlConfig:SecretBackendCrlConfig":
		be := str("backend")
		if _, err = b.write(be+"/config/crl", body(in, "backend")); err == nil {
			resp, err = b.read(be + "/config/crl")
		}
		id = be
	case "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert":
		be := str("backend")
		resp, err = b.write(be+"/root/generate/"+str("type"), body(in, "backend", "type"))
		id = be
	case "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest":
		be := str("backend")
		resp, err = b.write(be+"/intermediate/generate/"+str("type"), body(in, "backend", "type"))
		id = be
	case "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate":
		be := str("backend")
		resp, err = b.write(be+"/root/sign-intermediate", body(in, "backend"))
		if err == nil {
			id = be + "/" + fmt.Sprint(resp["serial_number"])
		}
	case "vault:pkiSecret/secretBackendIntermediateSetSigned:SecretBackendIntermediateSetSigned":
		be := str("backend")
		resp, err = b.write(be+"/intermediate/set-signed", body(in, "backend"))
		id = be
	case "vault:pkiSecret/secretBackendRole:SecretBackendRole":
		be, name := str("backend"), str("name")
		if _, err = b.write(be+"/roles/"+name, body(in, "backend", "name")); err == nil {
			resp, err = b.read(be + "/roles/" + name)
		}
		id = be + "/roles/" + name
	case "vault:index/policy:Policy":
		name := str("name")
		_, err = b.write("sys/policies/acl/"+name, map[string]any{"policy": str("policy")})
		id = name
	case "vault:kubernetes/authBackendRole:AuthBackendRole":
		be, name := str("backend"), str("roleName")
		if _, err = b.write("auth/"+be+"/role/"+name, body(in, "backend", "roleName")); err == nil {
			resp, err = b.read("auth/" + be + "/role/" + name)
		}
		id = "auth/" + be + "/role/" + name
	default:
		// Providers, the component and the Kubernetes Issuer: not the
		// OpenBao server's business; echo the inputs.
		return "", nil, false, nil
	}
	if err != nil {
		return "", nil, true, err
	}
	outs := args.Inputs.Copy()
	for k, v := range resp {
		if v == nil {
			continue
		}
		outs[resource.PropertyKey(camel(k))] = resource.NewPropertyValue(v)
	}
	return id, outs, true, nil
}

// body maps the resource's (camelCase) inputs to the API's snake_case fields,
// leaving out the ones that are path segments.
func body(in map[string]any, pathFields ...string) map[string]any {
	out := map[string]any{}
next:
	for k, v := range in {
		for _, p := range pathFields {
			if k == p {
				continue next
			}
		}
		if a, ok := v.([]any); ok && len(a) == 0 {
			continue // an empty list is "unset", as the provider sends it
		}
		out[snake(k)] = v
	}
	return out
}

func snake(s string) string {
	var sb strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				sb.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		sb.WriteRune(r)
	}
	return sb.String()
}

func camel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
