package config

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/components/verr"
)

// Resolver looks up a backend host's addresses for the SSRF check.
type Resolver func(ctx context.Context, host string) ([]netip.Addr, error)

// SystemResolver resolves with the machine's resolver, 2 s per host.
func SystemResolver(ctx context.Context, host string) ([]netip.Addr, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// Load reads, defaults and validates the stack config. It registers no
// resource; on any problem it returns all of them joined, one per line.
func Load(ctx *pulumi.Context) (*Config, error) {
	return LoadWith(ctx, SystemResolver)
}

// LoadWith is Load with a chosen resolver for backend URLs.
func LoadWith(ctx *pulumi.Context, resolve Resolver) (*Config, error) {
	c := &Config{}
	var l verr.List
	get := func(key string) (string, bool) { return ctx.GetConfig(Namespace + ":" + key) }

	if v, ok := get("profile"); ok {
		c.Profile = Profile(v)
	}
	if v, ok := get("domain"); ok {
		c.Domain = v
	}
	for _, o := range []struct {
		key string
		dst any
	}{
		{"kubernetes", &c.Kubernetes}, {"ingress", &c.Ingress}, {"network", &c.Network},
		{"namespaces", &c.Namespaces}, {"tenants", &c.Tenants}, {"gateway", &c.Gateway},
		{"openbao", &c.OpenBao}, {"pki", &c.PKI}, {"keycloak", &c.Keycloak},
	} {
		raw, ok := get(o.key)
		if !ok {
			continue
		}
		if ctx.IsConfigSecret(Namespace + ":" + o.key) {
			l.Add(Namespace+":"+o.key, verr.Redacted, "this key holds no secret and is stored as one, which hides it from preview diffs",
				fmt.Sprintf("store it in plain: pulumi config set --path %s:%s … (without --secret)", Namespace, o.key))
			continue
		}
		dec := json.NewDecoder(bytes.NewReader([]byte(raw)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(o.dst); err != nil {
			l.Add(Namespace+":"+o.key, short(raw), "cannot be read: "+err.Error(), "fix the value's shape; `pulumi config get "+Namespace+":"+o.key+"` shows it, Pulumi.yaml documents it")
		}
	}
	if c.Gateway != nil && c.Gateway.Namespace == "" && len(c.Gateway.PodLabels) == 0 && len(c.Gateway.Backends) == 0 {
		c.Gateway = nil // Pulumi.yaml's default {}: no gateway
	}
	for _, k := range SecretKeys {
		full := Namespace + ":" + k
		if v, ok := ctx.GetConfig(full); ok && v != "" {
			*c.Secrets.field(k) = &Secret{Key: full, Value: v, IsSecret: ctx.IsConfigSecret(full)}
		}
	}
	if l.Len() > 0 {
		return nil, l.Err()
	}
	c.withDefaults()
	if err := c.Validate(ctx.Context(), resolve); err != nil {
		return nil, err
	}
	return c, nil
}

func short(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}
