package compliance

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/inventory"
)

// Pulumi's secret signature: a state value that is a map with this key set
// to secretSig is a secret ("ciphertext", or "plaintext" in an export made
// with --show-secrets). The evaluators never read inside one.
const (
	sigKey    = "4dabf18193072939515e22adb298388d"
	secretSig = "1b47061264138c4ac30d75fd1eb44270"
	// secretShown is how a secret appears in evidence.
	secretShown = "[secret]"
)

// stackType is the type of the stack resource, whose outputs are the
// stack's outputs.
const stackType = "pulumi:pulumi:Stack"

// object is one resource of the deployment, or one object of the live
// cluster (live.go).
type object struct {
	URN     string
	Type    string
	Inputs  map[string]any
	Outputs map[string]any
	// live is the inventory object the fields come from when the cluster
	// was read (Outputs is then its live JSON); nil for a fact of the state.
	live *inventory.Object
}

// state indexes a deployment's resources for the evaluators.
type state struct {
	objects []*object
	types   map[string][]*object
	// outputs are the stack's outputs (the pulumi:pulumi:Stack resource's).
	outputs map[string]any
	// stackURN is the stack resource's URN, for evidence read from outputs.
	stackURN string
	// policies are the NetworkPolicies by namespace (built on first use:
	// a scan per namespace made large stacks quadratic).
	policies map[string][]*object
	// inv is the live inventory merged in (nil: the state alone); byKey
	// finds an object by the key its evidence carries (its URN, or liveKey
	// for an object the stack does not declare); gone are the declared
	// objects the cluster lacks (live.go).
	inv   *inventory.Inventory
	byKey map[string]*object
	gone  []goneObject
	// liveObjs are the inventory's objects in its order, liveRefs the same
	// by name.
	liveObjs []*object
	liveRefs map[inventory.Ref]*object
}

// secret stands for a value read from inside a Pulumi secret.
type secret struct{}

func index(dep apitype.DeploymentV3) *state {
	s := &state{types: map[string][]*object{}, outputs: map[string]any{}, byKey: map[string]*object{}}
	for _, r := range dep.Resources {
		if r.Delete { // a replaced resource awaiting deletion is no longer the live one
			continue
		}
		o := &object{URN: string(r.URN), Type: string(r.Type), Inputs: r.Inputs, Outputs: r.Outputs}
		if o.Type == stackType {
			s.stackURN = o.URN
			if r.Outputs != nil {
				s.outputs = r.Outputs
			}
			continue
		}
		s.objects = append(s.objects, o)
		s.types[o.Type] = append(s.types[o.Type], o)
		s.byKey[o.URN] = o
	}
	for _, l := range s.types {
		sort.SliceStable(l, func(i, j int) bool { return l[i].URN < l[j].URN })
	}
	return s
}

// byType returns the resources of one type token, sorted by URN.
func (s *state) byType(token string) []*object { return s.types[token] }

// under returns the resources whose URN puts them inside a component of
// type component (or that are one), in state order.
func (s *state) under(component string) []*object {
	var out []*object
	for _, o := range s.objects {
		for _, t := range strings.Split(o.qualifiedType(), "$") {
			if t == component {
				out = append(out, o)
				break
			}
		}
	}
	return out
}

// output returns a stack output.
func (s *state) output(key string) (any, bool) {
	v, ok := lookup(s.outputs, key)
	return v, ok
}

// qualifiedType is the URN's parent-qualified type ("a$b$c").
func (o *object) qualifiedType() string {
	parts := strings.Split(o.URN, "::")
	if len(parts) < 4 {
		return o.Type
	}
	return parts[2]
}

// Name is the resource's logical name (the URN's last part).
func (o *object) Name() string { return shortURN(o.URN) }

// get reads a field from the outputs: the state the provider last saw
// (after a refresh, the live object). The inputs are read only for a
// resource without outputs: a declared value must never stand in for a
// field the live object lost. Kubernetes resources keep their declared
// inputs under outputs.__inputs, which is never read here.
func (o *object) get(path string) (any, bool) {
	if len(o.Outputs) > 0 {
		return lookup(o.Outputs, path)
	}
	return lookup(o.Inputs, path)
}

// str reads a string field ("" when absent or not a string).
func (o *object) str(path string) string {
	v, _ := o.get(path)
	s, _ := v.(string)
	return s
}

// isSecret reports a Pulumi secret value.
func isSecret(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m[sigKey] == secretSig
}

// lookup follows path through nested maps and lists. Path segments are
// separated by dots; a segment may be a list index ("rules[0]") or a quoted
// key holding dots or slashes (`labels["pod-security.kubernetes.io/enforce"]`).
// Crossing a secret yields secret{}.
func lookup(m map[string]any, path string) (any, bool) {
	if m == nil {
		return nil, false
	}
	var cur any = m
	for _, seg := range splitPath(path) {
		if isSecret(cur) {
			return secret{}, true
		}
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[seg]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	if isSecret(cur) {
		return secret{}, true
	}
	return cur, true
}

// splitPath splits `a.b[0]["c.d/e"]` into a, b, 0, c.d/e.
func splitPath(path string) []string {
	var out []string
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			out = append(out, cur.String())
			cur.Reset()
		}
	}
	for i := 0; i < len(path); i++ {
		switch c := path[i]; c {
		case '.':
			flush()
		case '[':
			flush()
			end := strings.IndexByte(path[i:], ']')
			if end < 0 {
				cur.WriteString(path[i:])
				i = len(path)
				continue
			}
			out = append(out, strings.Trim(path[i+1:i+end], `"`))
			i += end
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// field builds a path with a quoted key: field("metadata.labels", k).
func field(prefix, key string) string { return fmt.Sprintf("%s[%q]", prefix, key) }

// show renders a state value for evidence: secrets as "[secret]", never
// their content; long values shortened.
func show(v any) string {
	var s string
	switch x := masked(v).(type) {
	case nil:
		return "(absent)"
	case string:
		s = x
	case float64:
		s = strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		s = strconv.FormatBool(x)
	default:
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Sprint(x)
		}
		s = string(b)
	}
	const limit = 160
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}

// masked replaces every secret inside v with "[secret]".
func masked(v any) any {
	switch x := v.(type) {
	case secret:
		return secretShown
	case map[string]any:
		if isSecret(x) {
			return secretShown
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = masked(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = masked(e)
		}
		return out
	}
	return v
}

// shortURN is a URN's logical name.
func shortURN(urn string) string {
	if i := strings.LastIndex(urn, "::"); i >= 0 {
		return urn[i+2:]
	}
	return urn
}

// listOf reads a list field.
func listOf(o *object, path string) []any {
	v, _ := o.get(path)
	l, _ := v.([]any)
	return l
}

// asMap is v as a map (nil otherwise).
func asMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

// num reads a number (JSON numbers are float64; strings are parsed).
func num(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64: // unstructured Kubernetes objects decode integers as int64
		return float64(x), true
	case string:
		f, err := strconv.ParseFloat(x, 64)
		return f, err == nil
	}
	return 0, false
}

// component returns the first resource of a component type (or, if none is
// in the state, the stack resource when one of outputs is exported), and
// whether the stack deploys that component. A component resource stays in
// the state when a child is deleted out of band and refreshed away, so
// "deployed" read from it (or from the stack outputs) turns a lost child
// into a failure rather than "not deployed".
func (s *state) component(token string, outputs ...string) (*object, bool) {
	if l := s.byType(token); len(l) > 0 {
		return l[0], true
	}
	for _, k := range outputs {
		if _, ok := s.output(k); ok {
			return &object{URN: s.stackURN, Type: stackType, Outputs: s.outputs}, true
		}
	}
	return nil, false
}

// missing is the failing fact of a child resource the deployed component
// c should have and the state lacks.
func missing(c *object, what string) Evidence {
	return Evidence{URN: c.URN, Field: what, Value: "absent",
		Note: fmt.Sprintf("%s deploys %s but the state holds none (deleted out of band and refreshed away?): `pulumi up` recreates it", shortType(c), what)}
}

// shortType names a component in a note: its type token, or "the stack".
func shortType(c *object) string {
	if c.Type == stackType {
		return "the stack"
	}
	return c.Type
}
