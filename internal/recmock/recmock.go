// Package recmock is the shared recording mock for Rampart's unit and policy
// tests: a pulumi.MockResourceMonitor that stores every registered resource
// (components included) so tests can assert on the graph after RunErr returns.
//
// Hooks let a test back the mock with a real server (server-backed tests):
// OnNewResource may perform the provider's API call and return the server's
// real outputs; returning handled=false falls back to echoing the inputs.
package recmock

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Resource is one registration seen by the mock.
type Resource struct {
	Type     string
	Name     string
	Parent   string // parent URN, "" for the stack
	Custom   bool
	Provider string
	Protect  bool
	Retain   bool
	Deps     []string
	Inputs   resource.PropertyMap
	Outputs  resource.PropertyMap
}

// NewResourceHook may serve a registration itself (for example from a real
// server); handled=false means "not mine, echo the inputs".
type NewResourceHook func(args pulumi.MockResourceArgs) (id string, outputs resource.PropertyMap, handled bool, err error)

// CallHook serves an invoke; handled=false echoes the arguments.
type CallHook func(args pulumi.MockCallArgs) (outputs resource.PropertyMap, handled bool, err error)

// Recorder implements pulumi.MockResourceMonitor and records every resource.
type Recorder struct {
	OnNewResource NewResourceHook
	OnCall        CallHook

	mu        sync.Mutex
	resources []Resource
}

// New returns an empty Recorder.
func New() *Recorder { return &Recorder{} }

// NewResource records the registration and returns its outputs.
func (r *Recorder) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	id, outs := args.Name+"_id", args.Inputs.Copy()
	if r.OnNewResource != nil {
		hid, houts, handled, err := r.OnNewResource(args)
		if err != nil {
			return "", nil, err
		}
		if handled {
			id, outs = hid, houts
		}
	}
	if !args.Custom {
		id = ""
	}
	rec := Resource{Type: args.TypeToken, Name: args.Name, Custom: args.Custom, Provider: args.Provider,
		Inputs: args.Inputs, Outputs: outs}
	if rpc := args.RegisterRPC; rpc != nil {
		rec.Parent = rpc.GetParent()
		rec.Protect = rpc.GetProtect()
		rec.Retain = rpc.GetRetainOnDelete()
		rec.Deps = rpc.GetDependencies()
	}
	r.mu.Lock()
	r.resources = append(r.resources, rec)
	r.mu.Unlock()
	return id, outs, nil
}

// Call serves invokes through OnCall, echoing the arguments otherwise.
func (r *Recorder) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	if r.OnCall != nil {
		outs, handled, err := r.OnCall(args)
		if err != nil || handled {
			return outs, err
		}
	}
	return args.Args, nil
}

// Run runs program under this mock as project "rampart", stack "test".
func (r *Recorder) Run(program pulumi.RunFunc, opts ...pulumi.RunOption) error {
	return pulumi.RunErr(program, append([]pulumi.RunOption{pulumi.WithMocks("rampart", "test", r)}, opts...)...)
}

// WithConfig sets stack config ("rampart:key" → value) for the run; the keys
// listed in secret are marked as Pulumi secrets, as `pulumi config set --secret` would.
func WithConfig(cfg map[string]string, secret ...string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config = cfg
		info.ConfigSecretKeys = secret
	}
}

// All returns every recorded resource in registration order.
func (r *Recorder) All() []Resource {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Resource(nil), r.resources...)
}

// Len is the number of recorded resources.
func (r *Recorder) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.resources)
}

// ByType returns the resources of one type token, sorted by name.
func (r *Recorder) ByType(token string) []Resource {
	var out []Resource
	for _, res := range r.All() {
		if res.Type == token {
			out = append(out, res)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the resource of that type and logical name.
func (r *Recorder) Get(token, name string) (Resource, error) {
	for _, res := range r.All() {
		if res.Type == token && res.Name == name {
			return res, nil
		}
	}
	return Resource{}, fmt.Errorf("recmock: no %s named %q; have %s", token, name, strings.Join(r.Names(), ", "))
}

// MustGet is Get for tests: it fails t (with the names that were recorded)
// when there is no such resource.
func (r *Recorder) MustGet(t testing.TB, token, name string) Resource {
	t.Helper()
	res, err := r.Get(token, name)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// Names lists "type/name" of every recorded resource, sorted.
func (r *Recorder) Names() []string {
	var out []string
	for _, res := range r.All() {
		out = append(out, res.Type+"/"+res.Name)
	}
	sort.Strings(out)
	return out
}

// ParentName returns the logical name at the end of the parent URN ("" if none).
func (res Resource) ParentName() string {
	if i := strings.LastIndex(res.Parent, "::"); i >= 0 {
		return res.Parent[i+2:]
	}
	return ""
}

// Plain returns the inputs as plain Go values with secrets unwrapped, for
// assertions (maps, []any, string, float64, bool).
func (res Resource) Plain() map[string]any { return Plain(res.Inputs) }

// Plain converts a property map to plain values, unwrapping secrets and outputs.
func Plain(pm resource.PropertyMap) map[string]any {
	out := map[string]any{}
	for k, v := range pm {
		if pv := plainValue(v); pv != nil {
			out[string(k)] = pv
		}
	}
	return out
}

func plainValue(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return plainValue(v.SecretValue().Element)
	case v.IsOutput():
		if !v.OutputValue().Known {
			return nil
		}
		return plainValue(v.OutputValue().Element)
	case v.IsObject():
		return Plain(v.ObjectValue())
	case v.IsArray():
		var arr []any
		for _, e := range v.ArrayValue() {
			arr = append(arr, plainValue(e))
		}
		return arr
	case v.IsNull():
		return nil
	default:
		return v.Mappable()
	}
}

// Path walks a plain value by keys (map keys) and ints (array indexes);
// ok=false when any step is missing.
func Path(v any, steps ...any) (any, bool) {
	for _, s := range steps {
		switch k := s.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[k]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || k >= len(a) {
				return nil, false
			}
			v = a[k]
		default:
			return nil, false
		}
	}
	return v, true
}

// IsSecret reports whether the input at key is a Pulumi secret.
func (res Resource) IsSecret(key string) bool {
	v, ok := res.Inputs[resource.PropertyKey(key)]
	return ok && (v.IsSecret() || (v.IsOutput() && v.OutputValue().Secret))
}

// Str is the string at path in v ("" when absent or not a string).
func Str(v any, path ...any) string {
	x, _ := Path(v, path...)
	s, _ := x.(string)
	return s
}

// Strs are the strings of the list v (non-strings and a non-list give
// none).
func Strs(v any) []string {
	var out []string
	arr, _ := v.([]any)
	for _, e := range arr {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}
