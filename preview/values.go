package preview

import (
	"bytes"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"
)

// Markers stand in for a value that cannot or must not be shown. A real
// string equal to a marker is shown quoted, so the two never read alike.
const (
	// SecretText replaces every secret value: the engine's events carry
	// secrets as a signature object (or already blinded to this text), and
	// a PR comment must never hold one in clear.
	SecretText = "[secret]"
	// Unknown is a value the provider only knows after `pulumi up`.
	Unknown = "(known after apply)"
	// Removed is the new side of a property the change deletes.
	Removed = "(removed)"
	// None is the old side of a property the change adds.
	None = "(none)"
)

// MaxValueLen caps one rendered value, in runes: long enough for a label,
// a quantity or a short rule as JSON, short enough that one PEM or one
// generated config cannot fill the comment. Longer values end in "…".
const MaxValueLen = 160

// Change is one changed property of a step, with both sides rendered for
// display: scalars as text, objects and arrays as compact JSON (cut to
// MaxValueLen), secrets as SecretText.
type Change struct {
	// Path is the property path as the engine reports it, e.g.
	// `spec.hard["limits.cpu"]`.
	Path string `json:"path"`
	// Kind is the engine's diff kind: add, delete, update, or one of them
	// with -replace when the change forces a replacement.
	Kind string `json:"kind"`
	// Old is the value before, None when the property is new.
	Old string `json:"old"`
	// New is the value after, Removed when the property goes away.
	New string `json:"new"`
}

// changes resolves every path of the step's detailed diff against the old
// and new state. A provider without a detailed diff reports only top-level
// keys (md.Diffs); those are resolved the same way.
func changes(md apitype.StepEventMetadata) []Change {
	var oldIn, oldOut, newIn map[string]any
	if md.Old != nil {
		oldIn, oldOut = md.Old.Inputs, md.Old.Outputs
	}
	if md.New != nil {
		newIn = md.New.Inputs
	}
	oldInputs, oldOutputs, newInputs := propertyValue(oldIn), propertyValue(oldOut), propertyValue(newIn)

	type entry struct {
		path resource.PropertyPath
		kind apitype.DiffKind
		old  resource.PropertyValue // inputs or outputs, as the diff compared
	}
	entries := map[string]entry{}
	for p, d := range md.DetailedDiff {
		path, err := resource.ParsePropertyPath(p)
		if err != nil {
			// Not a path Pulumi can parse: show the name with unknown values
			// rather than drop the change.
			path = nil
		}
		old := oldOutputs
		// InputDiff compares old inputs with new ones; otherwise the diff is
		// old state (outputs, refreshed for drift) against new inputs.
		if d.InputDiff || len(oldOut) == 0 {
			old = oldInputs
		}
		entries[p] = entry{path: path, kind: d.Kind, old: old}
	}
	if len(md.DetailedDiff) == 0 {
		for _, k := range md.Diffs {
			old := oldOutputs
			if len(oldOut) == 0 {
				old = oldInputs
			}
			entries[k] = entry{path: resource.PropertyPath{k}, kind: apitype.DiffUpdate, old: old}
		}
	}
	out := make([]Change, 0, len(entries))
	for p, e := range entries {
		c := Change{Path: p, Kind: string(e.kind), Old: Unknown, New: Unknown}
		if e.path != nil {
			o, oldOK := resolve(e.old, e.path)
			n, newOK := resolve(newInputs, e.path)
			c.Old, c.New = o, n
			if !oldOK {
				c.Old = None
			}
			if !newOK {
				c.New = Removed
			}
			if c.Kind == string(apitype.DiffUpdate) && !oldOK {
				c.Kind = string(apitype.DiffAdd)
			} else if c.Kind == string(apitype.DiffUpdate) && !newOK {
				c.Kind = string(apitype.DiffDelete)
			}
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// propertyValue turns an event's property map into Pulumi's own property
// model, so paths resolve with resource.PropertyPath. Secret signature
// objects become secrets holding only SecretText (the plaintext, if the
// event had one, is dropped here), unknown sentinels become computed values.
func propertyValue(m map[string]any) resource.PropertyValue {
	if m == nil {
		return resource.NewObjectProperty(resource.PropertyMap{})
	}
	return resource.NewObjectProperty(resource.NewPropertyMapFromMapRepl(m, nil, replaceSentinel))
}

func replaceSentinel(v any) (resource.PropertyValue, bool) {
	switch t := v.(type) {
	case map[string]any:
		kind, ok := t[sig.Key]
		if !ok {
			return resource.PropertyValue{}, false
		}
		switch kind {
		case sig.Secret:
			return resource.MakeSecret(resource.NewProperty(SecretText)), true
		case sig.ResourceReference:
			if urn, ok := t["urn"].(string); ok {
				return resource.NewProperty(urn), true
			}
			return resource.NewProperty("(resource)"), true
		case sig.AssetSig:
			return resource.NewProperty("(asset)"), true
		case sig.ArchiveSig:
			return resource.NewProperty("(archive)"), true
		default:
			// An unknown signature may wrap anything, a secret included.
			return resource.MakeSecret(resource.NewProperty(SecretText)), true
		}
	case string:
		if sig.IsUnknown(t) {
			return resource.MakeComputed(resource.NewProperty("")), true
		}
		if t == SecretText {
			return resource.MakeSecret(resource.NewProperty(SecretText)), true
		}
	}
	return resource.PropertyValue{}, false
}

// resolve follows path from root one key at a time with Pulumi's
// PropertyPath.Get, stopping at a secret or unknown ancestor (Get does not
// descend into either): a property inside a secret is a secret.
func resolve(root resource.PropertyValue, path resource.PropertyPath) (string, bool) {
	v := root
	for i := range path {
		switch {
		case v.IsSecret():
			return SecretText, true
		case v.IsComputed() || v.IsOutput():
			return Unknown, true
		}
		next, ok := path[i : i+1].Get(v)
		if !ok {
			return "", false
		}
		v = next
	}
	return render(v), true
}

// render shows one value: a scalar as its text, an object or array as
// compact JSON, each cut to MaxValueLen runes.
func render(v resource.PropertyValue) string {
	var s string
	switch {
	case v.IsSecret():
		return SecretText
	case v.IsComputed() || v.IsOutput():
		return Unknown
	case v.IsNull():
		s = "null"
	case v.IsString():
		s = v.StringValue()
		switch s {
		case "", SecretText, Unknown, Removed, None:
			s = strconv.Quote(s)
		}
		s = strings.NewReplacer("\r\n", "⏎", "\n", "⏎").Replace(s)
	case v.IsBool():
		s = strconv.FormatBool(v.BoolValue())
	case v.IsNumber():
		s = strconv.FormatFloat(v.NumberValue(), 'f', -1, 64)
	default:
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(plain(v)); err != nil {
			return Unknown
		}
		s = strings.TrimSuffix(b.String(), "\n")
	}
	return cut(s, MaxValueLen)
}

// plain converts v for JSON, secrets and unknowns as their markers.
func plain(v resource.PropertyValue) any {
	switch {
	case v.IsSecret():
		return SecretText
	case v.IsComputed() || v.IsOutput():
		return Unknown
	case v.IsObject():
		m := map[string]any{}
		for k, e := range v.ObjectValue() {
			m[string(k)] = plain(e)
		}
		return m
	case v.IsArray():
		a := make([]any, 0, len(v.ArrayValue()))
		for _, e := range v.ArrayValue() {
			a = append(a, plain(e))
		}
		return a
	case v.IsString():
		return v.StringValue()
	case v.IsNumber():
		return v.NumberValue()
	case v.IsBool():
		return v.BoolValue()
	case v.IsNull():
		return nil
	default:
		return "(" + string(v.TypeString()) + ")"
	}
}

// cut shortens s to at most n runes, ending in "…" when it was cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}
