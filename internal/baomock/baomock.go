// Package baomock backs Rampart's Pulumi mocks with a real OpenBao server:
// a recmock.Recorder whose NewResource performs, for each vault resource,
// the API call the pulumi-vault provider (terraform-provider-vault) would
// make and returns the server's real outputs. Server-backed tests
// (tests/pkiserver, tests/kmsserver) use it; it proves what the server
// enforces for the resources a component describes, not the provider's own
// diffing and read-back.
package baomock

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

// Backend serves the vault resource types Rampart's components use by
// calling the OpenBao API the way the pulumi-vault provider does.
type Backend struct {
	// Client is the API client, with the token New was given.
	Client *bao.Client

	t      testing.TB
	mu     sync.Mutex
	calls  []string // "METHOD path" in the order the engine made them
	mounts []string // to delete at the end
}

// New is a client of the OpenBao at addr with token, trusting only caFile
// (the CA that signed the listener's certificate). Every mount it creates is
// removed when the test ends.
func New(t testing.TB, addr, token, caFile string) *Backend {
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
		t.Fatalf("OpenBao server at %s not reachable: %v", addr, err)
	}
	b := &Backend{t: t, Client: c}
	t.Cleanup(b.cleanup)
	return b
}

// RemoveAtEnd deletes paths (mounts, auth methods, policies) when the test
// ends, after the mounts the resources created, last first.
func (b *Backend) RemoveAtEnd(paths ...string) {
	b.mu.Lock()
	b.mounts = append(b.mounts, paths...)
	b.mu.Unlock()
}

// Calls are the API calls made so far, "METHOD path", in order.
func (b *Backend) Calls() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.calls...)
}

func (b *Backend) cleanup() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.mounts) - 1; i >= 0; i-- {
		if _, err := b.Client.Logical().Delete(b.mounts[i]); err != nil {
			b.t.Logf("cleanup %s: %v", b.mounts[i], err)
		}
	}
}

func (b *Backend) log(method, path string) {
	b.mu.Lock()
	b.calls = append(b.calls, method+" "+path)
	b.mu.Unlock()
}

// Write is a PUT on path as the backend's token, logged in Calls.
func (b *Backend) Write(path string, data map[string]any) (map[string]any, error) {
	b.log("PUT", path)
	s, err := b.Client.Logical().Write(path, data)
	if err != nil {
		return nil, fmt.Errorf("openbao write %s: %w", path, err)
	}
	if s == nil || s.Data == nil {
		return map[string]any{}, nil
	}
	return s.Data, nil
}

// Read is a GET on path as the backend's token, logged in Calls.
func (b *Backend) Read(path string) (map[string]any, error) {
	b.log("GET", path)
	s, err := b.Client.Logical().Read(path)
	if err != nil {
		return nil, fmt.Errorf("openbao read %s: %w", path, err)
	}
	if s == nil {
		return nil, fmt.Errorf("openbao read %s: not found", path)
	}
	return s.Data, nil
}

// Recorder returns a recording mock whose vault resources are served by the server.
func (b *Backend) Recorder() *recmock.Recorder {
	rec := recmock.New()
	rec.OnNewResource = b.newResource
	return rec
}

func (b *Backend) newResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, bool, error) {
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
		if _, err = b.Write("sys/mounts/"+path, body); err == nil {
			b.mu.Lock()
			b.mounts = append(b.mounts, "sys/mounts/"+path)
			b.mu.Unlock()
			resp, err = b.Read("sys/mounts/" + path + "/tune")
		}
		id = path
	case "vault:pkiSecret/secretBackendConfigUrls:SecretBackendConfigUrls":
		be := str("backend")
		if _, err = b.Write(be+"/config/urls", body(in, "backend")); err == nil {
			resp, err = b.Read(be + "/config/urls")
		}
		id = be
	case "vault:pkiSecret/secretBackendCrlConfig:SecretBackendCrlConfig":
		be := str("backend")
		if _, err = b.Write(be+"/config/crl", body(in, "backend")); err == nil {
			resp, err = b.Read(be + "/config/crl")
		}
		id = be
	case "vault:pkiSecret/secretBackendRootCert:SecretBackendRootCert":
		be := str("backend")
		resp, err = b.Write(be+"/root/generate/"+str("type"), body(in, "backend", "type"))
		id = be
	case "vault:pkiSecret/secretBackendIntermediateCertRequest:SecretBackendIntermediateCertRequest":
		be := str("backend")
		resp, err = b.Write(be+"/intermediate/generate/"+str("type"), body(in, "backend", "type"))
		id = be
	case "vault:pkiSecret/secretBackendRootSignIntermediate:SecretBackendRootSignIntermediate":
		be := str("backend")
		resp, err = b.Write(be+"/root/sign-intermediate", body(in, "backend"))
		if err == nil {
			id = be + "/" + fmt.Sprint(resp["serial_number"])
		}
	case "vault:pkiSecret/secretBackendIntermediateSetSigned:SecretBackendIntermediateSetSigned":
		be := str("backend")
		resp, err = b.Write(be+"/intermediate/set-signed", body(in, "backend"))
		id = be
	case "vault:pkiSecret/secretBackendRole:SecretBackendRole":
		be, name := str("backend"), str("name")
		if _, err = b.Write(be+"/roles/"+name, body(in, "backend", "name")); err == nil {
			resp, err = b.Read(be + "/roles/" + name)
		}
		id = be + "/roles/" + name
	case "vault:transit/secretBackendKey:SecretBackendKey":
		// Create with the type, then the key's config (the flags the
		// provider sets after creation), then read it back.
		be, name := str("backend"), str("name")
		path := be + "/keys/" + name
		create := map[string]any{"type": str("type")}
		for _, k := range []string{"derived", "convergentEncryption"} {
			if v, ok := in[k]; ok {
				create[snake(k)] = v
			}
		}
		config := map[string]any{}
		for _, k := range []string{"exportable", "allowPlaintextBackup", "deletionAllowed", "autoRotatePeriod", "minDecryptionVersion", "minEncryptionVersion"} {
			if v, ok := in[k]; ok {
				config[snake(k)] = v
			}
		}
		if _, err = b.Write(path, create); err == nil {
			if _, err = b.Write(path+"/config", config); err == nil {
				resp, err = b.Read(path)
			}
		}
		// "keys" is the versions by number, not the provider's list shape.
		delete(resp, "keys")
		id = path
	case "vault:index/policy:Policy":
		name := str("name")
		_, err = b.Write("sys/policies/acl/"+name, map[string]any{"policy": str("policy")})
		id = name
	case "vault:kubernetes/authBackendRole:AuthBackendRole":
		be, name := str("backend"), str("roleName")
		if _, err = b.Write("auth/"+be+"/role/"+name, body(in, "backend", "roleName")); err == nil {
			resp, err = b.Read("auth/" + be + "/role/" + name)
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
