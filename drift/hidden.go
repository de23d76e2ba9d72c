package drift

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// hiddenDrift reads the (refreshed) state and reports kubernetes resources
// whose live object has more array elements than the program declares.
func hiddenDrift(dep apitype.DeploymentV3) []Change {
	var out []Change
	for _, r := range dep.Resources {
		urn, typ := string(r.URN), string(r.Type)
		if !r.Custom || !strings.HasPrefix(typ, "kubernetes:") || strings.HasPrefix(typ, "pulumi:") {
			continue
		}
		var paths []string
		extraElements("", r.Inputs, r.Outputs, &paths)
		paths = append(paths, undeclared(typ, r.Inputs, r.Outputs)...)
		if len(paths) == 0 {
			continue
		}
		sort.Strings(paths)
		out = append(out, Change{URN: urn, Name: urn[strings.LastIndex(urn, "::")+2:], Type: typ,
			Op: "replace", Properties: paths, Hidden: true})
	}
	return out
}

// mustMatchWhenUndeclared lists, per type, fields that must equal what the
// program declares: present live but undeclared (rules added to a
// default-deny open traffic), or different from the declared value in any
// way (the provider's diff ignores undeclared keys and extra elements).
var mustMatchWhenUndeclared = map[string][][]string{
	"kubernetes:networking.k8s.io/v1:NetworkPolicy": {{"spec", "ingress"}, {"spec", "egress"}},
}

func undeclared(typ string, in, live map[string]any) []string {
	var out []string
	for _, path := range mustMatchWhenUndeclared[typ] {
		if want, declared := lookup(in, path); declared {
			// Declared rules must match exactly: a key added to a peer (a
			// namespaceSelector: {} beside a podSelector) widens it, and the
			// provider prunes undeclared keys before diffing.
			if got, ok := lookup(live, path); ok && !reflect.DeepEqual(want, got) {
				out = append(out, strings.Join(path, ".")+" (live rules differ from the declared ones)")
			}
			continue
		}
		if v, ok := lookup(live, path); ok {
			if a, isArr := v.([]any); !isArr || len(a) > 0 {
				out = append(out, strings.Join(path, ".")+" (set live, not declared)")
			}
		}
	}
	return out
}

func lookup(m map[string]any, path []string) (any, bool) {
	var v any = m
	for _, k := range path {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok || v == nil {
			return nil, false
		}
	}
	return v, true
}

// extraElements walks the declared inputs and records every array whose live
// counterpart is longer. Only declared keys are visited, so fields the API
// server defaults or other controllers own are not drift.
func extraElements(path string, in, live any, out *[]string) {
	switch iv := in.(type) {
	case map[string]any:
		lv, ok := live.(map[string]any)
		if !ok {
			return
		}
		for k, v := range iv {
			if strings.HasPrefix(k, "__") {
				continue
			}
			p := k
			if path != "" {
				p = path + "." + k
			}
			extraElements(p, v, lv[k], out)
		}
	case []any:
		la, ok := live.([]any)
		if !ok {
			return
		}
		if len(la) > len(iv) {
			*out = append(*out, fmt.Sprintf("%s (live has %d elements, declared %d)", path, len(la), len(iv)))
			return
		}
		for i := range iv {
			if i < len(la) {
				extraElements(fmt.Sprintf("%s[%d]", path, i), iv[i], la[i], out)
			}
		}
	}
}

// Remediate runs `pulumi up`, replacing the resources with hidden drift
// (an up alone would leave them as they are). Replacement of a named
// Kubernetes object deletes before it creates: for a network policy that
// fails closed (the namespace's default-deny stays).
func Remediate(ctx context.Context, stk auto.Stack, r *Report, opts ...optup.Option) error {
	var replace []string
	for _, c := range r.Changes {
		if c.Hidden {
			replace = append(replace, c.URN)
		}
	}
	if len(replace) > 0 {
		opts = append(opts, optup.Replace(replace))
	}
	if _, err := stk.Up(ctx, opts...); err != nil {
		return fmt.Errorf("drift: remediate %s: %w", stk.Name(), err)
	}
	return nil
}
