package config

import (
	"cmp"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// decode reads one config value (its JSON text, as Pulumi hands it over)
// into dst strictly and completely: it never stops at the first problem.
// Every unknown key (with a "did you mean" where one is close), every value
// of the wrong type and every value a type's own parser refuses is reported
// at its exact key path, e.g. rampart:gateway.controlPlane.port. Only the
// offending scalar is shown, never the surrounding object, and never a
// value whose key looks like a credential.
func decode(l *verr.List, path, raw string, dst any) {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		l.Add(path, verr.Redacted, "cannot be read as structured config ("+syntaxWhy(err)+")",
			"set it with `pulumi config set --path "+path+"…` or fix its YAML in the stack file")
		return
	}
	walk(l, path, v, reflect.ValueOf(dst).Elem())
}

// syntaxWhy keeps a JSON syntax error's position, never the text around it.
func syntaxWhy(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("malformed at byte %d", se.Offset)
	}
	return "malformed"
}

var (
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
)

// walk assigns v to dst, reporting problems under path.
func walk(l *verr.List, path string, v any, dst reflect.Value) {
	if v == nil { // explicit null: leave the zero value (the default)
		return
	}
	if dst.Kind() == reflect.Pointer {
		if dst.IsNil() {
			dst.Set(reflect.New(dst.Type().Elem()))
		}
		walk(l, path, v, dst.Elem())
		return
	}
	// A type with its own parser (durations, quantities, …) parses its value
	// and reports its own error at this path.
	if p := dst.Addr(); p.Type().Implements(jsonUnmarshaler) {
		b, _ := json.Marshal(v)
		if err := p.Interface().(json.Unmarshaler).UnmarshalJSON(b); err != nil {
			if _, words := reflect.New(dst.Type()).Interface().(interface{ Expected() string }); words {
				// The type says what it takes; its parser's own wording
				// would repeat the value.
				bad(l, path, v, "not "+expected(dst.Type()), "use "+expected(dst.Type()))
			} else {
				bad(l, path, v, unwrapJSON(err), "see this key's description in Pulumi.yaml")
			}
		}
		return
	} else if p.Type().Implements(textUnmarshaler) {
		s, ok := scalarText(v)
		if !ok {
			bad(l, path, v, "expected "+expected(dst.Type()), expected(dst.Type()))
			return
		}
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			bad(l, path, v, err.Error(), expected(dst.Type()))
		}
		return
	}
	switch dst.Kind() {
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			bad(l, path, v, "expected an object", "give it as an object of keys (see Pulumi.yaml)")
			return
		}
		fields := fieldsOf(dst)
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			f, ok := fields[k]
			if fix, moved := movedKeys[join(path, k)]; !ok && moved {
				bad(l, join(path, k), obj[k], movedWhy, fix)
				continue
			}
			if !ok {
				unknown(l, join(path, k), k, fields)
				continue
			}
			walk(l, join(path, k), obj[k], f)
		}
	case reflect.Slice:
		arr, ok := v.([]any)
		if !ok {
			bad(l, path, v, "expected a list", "give it as a list (YAML `- item` lines)")
			return
		}
		out := reflect.MakeSlice(dst.Type(), len(arr), len(arr))
		for i, e := range arr {
			walk(l, fmt.Sprintf("%s[%d]", path, i), e, out.Index(i))
		}
		dst.Set(out)
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok || dst.Type().Key().Kind() != reflect.String {
			bad(l, path, v, "expected a map of keys to "+expected(dst.Type().Elem()), "give it as an object")
			return
		}
		out := reflect.MakeMapWithSize(dst.Type(), len(obj))
		for k, e := range obj {
			ev := reflect.New(dst.Type().Elem()).Elem()
			walk(l, join(path, k), e, ev)
			out.SetMapIndex(reflect.ValueOf(k).Convert(dst.Type().Key()), ev)
		}
		dst.Set(out)
	case reflect.String:
		// Pulumi's `config set --path` stores 2 and true as a number and a
		// bool; a string field takes their text.
		s, ok := scalarText(v)
		if !ok {
			bad(l, path, v, "expected "+expected(dst.Type()), "give a single value")
			return
		}
		dst.SetString(s)
	case reflect.Bool:
		switch b := v.(type) {
		case bool:
			dst.SetBool(b)
		case string:
			if pb, err := strconv.ParseBool(b); err == nil && (b == "true" || b == "false") {
				dst.SetBool(pb)
				return
			}
			bad(l, path, v, "expected true or false", "use true or false")
		default:
			bad(l, path, v, "expected true or false", "use true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := wholeNumber(v)
		if !ok || dst.OverflowInt(n) {
			bad(l, path, v, "expected "+expected(dst.Type()), "use a whole number such as 3")
			return
		}
		dst.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := wholeNumber(v)
		if !ok || n < 0 || dst.OverflowUint(uint64(n)) {
			bad(l, path, v, "expected "+expected(dst.Type()), "use a whole number of 0 or more")
			return
		}
		dst.SetUint(uint64(n))
	case reflect.Float32, reflect.Float64:
		s, _ := scalarText(v)
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			bad(l, path, v, "expected a number", "use a number such as 0.5")
			return
		}
		dst.SetFloat(f)
	case reflect.Interface:
		dst.Set(reflect.ValueOf(v))
	default:
		bad(l, path, v, "this key cannot be set from config", "remove it")
	}
}

// fieldsOf maps the JSON keys of a struct to its settable fields; embedded
// structs without a tag are inlined, `json:"-"` fields (secrets, injected
// from their own Pulumi secret keys) are not keys.
func fieldsOf(v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" {
			fv := v.Field(i)
			if fv.Kind() == reflect.Pointer {
				if fv.IsNil() {
					fv.Set(reflect.New(fv.Type().Elem()))
				}
				fv = fv.Elem()
			}
			if fv.Kind() == reflect.Struct {
				for k, f := range fieldsOf(fv) {
					if _, taken := out[k]; !taken {
						out[k] = f
					}
				}
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		name = cmp.Or(name, sf.Name)
		out[name] = v.Field(i)
	}
	return out
}

// removedKeys are keys earlier versions read, with what replaces them.
var removedKeys = map[string]string{
	Namespace + ":certManager.acme.sovereigntyException": "the US-CA deny-list became the rule rampart:sovereignty.allowedJurisdictions for every endpoint: " +
		"move the exception to rampart:sovereignty.exceptions {host: <the directory's host>, justification, control}",
	Namespace + ":gateway.httpsPort": "the gateway no longer reaches every public address on one port by default: " +
		"list each backend in rampart:gateway.backends (a literal address is opened on its URL's port), put a host name's addresses in allowedTargets, " +
		"or write the decision rampart:gateway.publicEgress {ports: [443], justification}",
}

// unknown reports a key the schema does not have, with the closest known key.
func unknown(l *verr.List, path, key string, fields map[string]reflect.Value) {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	if fix, ok := removedKeys[path]; ok {
		l.Add(path, hidden, "removed", fix)
		return
	}
	if secretish.MatchString(key) {
		l.Add(path, hidden, "unknown key", "a credential is never a key of an object: pulumi config set --secret rampart:<key>, with <key> one of "+strings.Join(SecretKeys, ", "))
		return
	}
	l.Add(path, hidden, "unknown key", suggest(key, known))
}

// suggest is the fix for an unknown key: the closest known key when one is
// close, else the list of keys.
func suggest(key string, known []string) string {
	sort.Strings(known)
	best, bestD := "", 1<<30
	for _, k := range known {
		d := distance(strings.ToLower(key), strings.ToLower(k))
		if d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" && bestD <= max(1, len(key)/3) {
		return fmt.Sprintf("did you mean %q?", best)
	}
	// A longer or shorter spelling of a key (ssoIdleTimeout for ssoIdle).
	for _, k := range known {
		lk, lkey := strings.ToLower(k), strings.ToLower(key)
		if len(k) >= 4 && len(key) >= 4 && (strings.HasPrefix(lkey, lk) || strings.HasPrefix(lk, lkey)) {
			return fmt.Sprintf("did you mean %q?", k)
		}
	}
	if len(known) > 12 {
		known = append(known[:12], "…")
	}
	return "remove it; the keys here are " + strings.Join(known, ", ")
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// secretish matches key names whose values may be credentials: such values
// are never echoed, whatever their type.
var secretish = regexp.MustCompile(`(?i)(passw|secret|token|pin$|credential|private|apikey|accesskey|kubeconfig)`)

// bad reports a value of the wrong type or refused by its parser. The value
// is shown only when it is a short scalar under a key that cannot hold a
// credential; an object or list is named by its shape.
func bad(l *verr.List, path string, v any, why, fix string) {
	var shown any = verr.Redacted
	switch x := v.(type) {
	case map[string]any:
		shown = "(an object)"
	case []any:
		shown = "(a list)"
	default:
		// Any segment counts: an item of a list under a credential-like key
		// (tokens[0]) is as secret as the key.
		segments := strings.FieldsFunc(path, func(r rune) bool { return strings.ContainsRune(".:[]\"", r) })
		hidden := false
		for _, seg := range segments {
			hidden = hidden || secretish.MatchString(seg)
		}
		if s, ok := scalarText(x); ok && !hidden {
			if len(s) > 60 {
				s = s[:57] + "..."
			}
			shown = s
		}
	}
	if f, ok := shown.(string); ok && (f == "(an object)" || f == "(a list)") {
		l.Add(path, verr.Raw(f), why, fix)
		return
	}
	l.Add(path, shown, why, fix)
}

// scalarText is the text of a string, number or bool.
func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case json.Number:
		return x.String(), true
	case bool:
		return strconv.FormatBool(x), true
	}
	return "", false
}

// wholeNumber accepts a JSON integer or its text.
func wholeNumber(v any) (int64, bool) {
	s, ok := scalarText(v)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n, err == nil
}

// expected names a Go type in the words of a config file.
func expected(t reflect.Type) string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if d, ok := reflect.New(t).Interface().(interface{ Expected() string }); ok {
		return d.Expected()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number of 0 or more"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice:
		return "a list"
	case reflect.Map:
		return "a map"
	case reflect.Struct:
		return "an object"
	}
	return "a value"
}

// unwrapJSON strips encoding/json's Go-type wording from a parser's error.
func unwrapJSON(err error) string {
	if ute, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return "expected " + expected(ute.Type)
	}
	return err.Error()
}

// join appends key to path: dotted for plain keys, ["…"] for keys holding
// dots or other characters a path cannot carry bare (verr.Key).
func join(path, key string) string { return verr.Key(path, key) }

// hidden stands in for the value of an unknown key: it may be a
// credential typed in the wrong place, so it is never echoed.
const hidden = verr.Raw("(value not shown)")
