package config

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"reflect"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/verr"
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
// The stack's key names (for the unknown-key check) come from PULUMI_CONFIG,
// which the language host hands the program; inline programs pass them to
// LoadFor.
func Load(ctx *pulumi.Context) (*Config, error) {
	return LoadFor(ctx, SystemResolver, EnvKeys())
}

// LoadWith is Load with a chosen resolver for backend URLs.
func LoadWith(ctx *pulumi.Context, resolve Resolver) (*Config, error) {
	return LoadFor(ctx, resolve, EnvKeys())
}

// EnvKeys lists the config keys of the running program from PULUMI_CONFIG
// (nil when the program was not started by a language host).
func EnvKeys() []string {
	var m map[string]any
	if json.Unmarshal([]byte(os.Getenv("PULUMI_CONFIG")), &m) != nil {
		return nil
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	return keys
}

// LoadFor is Load with a chosen resolver and the stack's full key list
// ("rampart:tenants", "aws:region", …); keys of Rampart's namespace that no
// section knows are errors. nil keys skips that check.
func LoadFor(ctx *pulumi.Context, resolve Resolver, keys []string) (*Config, error) {
	c := &Config{}
	var l verr.List
	known := map[string]bool{}
	for _, k := range SecretKeys {
		known[k] = true
	}
	// Every section is read, whatever went wrong in another: all problems
	// surface in one preview.
	fields := fieldsOf(reflect.ValueOf(c).Elem())
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		known[name] = true
		full := Namespace + ":" + name
		raw, ok := ctx.GetConfig(full)
		if !ok {
			continue
		}
		if ctx.IsConfigSecret(full) {
			l.Add(full, verr.Redacted, "this key holds no secret and is stored as one, which hides it from preview diffs",
				fmt.Sprintf("store it in plain: pulumi config set --path %s … (without --secret)", full))
			continue
		}
		f := fields[name]
		if f.Kind() == reflect.String { // plain strings arrive as their text
			f.SetString(raw)
			continue
		}
		decode(&l, full, raw, f.Addr().Interface())
	}
	var unknownKeys []string
	for _, k := range keys {
		if rest, ok := strings.CutPrefix(k, Namespace+":"); ok && !known[rest] {
			unknownKeys = append(unknownKeys, rest)
		}
	}
	sort.Strings(unknownKeys)
	all := make([]string, 0, len(known))
	for k := range known {
		all = append(all, k)
	}
	for _, k := range unknownKeys {
		l.Add(Namespace+":"+k, hidden, "unknown key", suggest(k, all)+" (`pulumi config rm "+Namespace+":"+k+"`)")
	}
	for _, k := range SecretKeys {
		full := Namespace + ":" + k
		if v, ok := ctx.GetConfig(full); ok && v != "" {
			*c.Secrets.field(k) = &Secret{Key: full, Value: v, IsSecret: ctx.IsConfigSecret(full)}
		}
	}
	c.normalise()
	c.withDefaults()
	// Validation runs even after decode problems, on what could be read, so
	// independent mistakes are reported together; a problem under a key that
	// already failed to decode is a consequence, not news, and is dropped.
	decoded := l.Paths()
	l.MergeUnless(c.Validate(ctx.Context(), resolve), func(path string) bool {
		for _, d := range decoded {
			if path == d || strings.HasPrefix(path, d+".") || strings.HasPrefix(path, d+"[") {
				return true
			}
		}
		return false
	})
	if l.Len() > 0 {
		return nil, l.Err()
	}
	return c, nil
}

// normalise turns Pulumi.yaml's empty defaults into "absent".
func (c *Config) normalise() {
	if c.Gateway != nil && c.Gateway.Namespace == "" && len(c.Gateway.PodLabels) == 0 && len(c.Gateway.Backends) == 0 {
		c.Gateway = nil // Pulumi.yaml's default {}: no gateway
	}
}
