// Package verr collects validation problems so that a component (or the stack
// config) reports every problem at once, each in the one shape users learn to
// read: "<config key path>: <bad value>: <why> — <fix>".
package verr

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
)

// Redacted is printed in place of a secret value.
const Redacted = "[secret]"

// Raw is a value printed as it is, unquoted: a shape such as "(an object)"
// shown in place of a value that must not be echoed.
type Raw string

// Path joins a caller's key prefix and a path relative to some args: a
// component reports relative paths ("seal.mechanism") when called with no
// prefix, and the stack's key paths ("rampart:openbao.seal.mechanism") when
// the config layer passes its key.
func Path(prefix, sub string) string {
	switch {
	case prefix == "":
		return sub
	case sub == "":
		return prefix
	case sub[0] == '[':
		return prefix + sub
	}
	return prefix + "." + sub
}

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// Key appends a map key or object key to path: dotted for plain keys
// ("rampart:images.registry"), ["…"] for keys holding dots, slashes or
// other characters a path cannot carry bare
// (`rampart:images.overrides["envoyproxy/gateway"]`).
func Key(path, key string) string {
	if !plainKey.MatchString(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if strings.HasSuffix(path, ":") {
		return path + key
	}
	return path + "." + key
}

// List accumulates problems; the zero value is ready to use.
type List struct {
	errs  []error
	paths []string
}

// Paths lists the key paths of the problems added so far (in order).
func (l *List) Paths() []string { return append([]string(nil), l.paths...) }

// MergeUnless appends the problems of err except those whose key path
// (the text before ": ") skip reports true for.
func (l *List) MergeUnless(err error, skip func(path string) bool) {
	var tmp List
	tmp.Merge(err)
	for i, e := range tmp.errs {
		if path := tmp.paths[i]; !skip(path) {
			l.errs = append(l.errs, e)
			l.paths = append(l.paths, path)
		}
	}
}

// Add records one problem. value is printed with %q for strings and %v
// otherwise; pass Redacted for secrets.
func (l *List) Add(path string, value any, why, fix string) {
	v := fmt.Sprintf("%v", value)
	if r, ok := value.(Raw); ok {
		v = string(r)
	} else if s, ok := value.(string); ok && s != Redacted {
		v = fmt.Sprintf("%q", s)
	}
	l.errs = append(l.errs, fmt.Errorf("%s: %s: %s — %s", path, v, why, fix))
	l.paths = append(l.paths, path)
}

// NotUnset records a zero the user wrote (0, [] or {}) where a zero is
// not "unset": the key was given, so it is kept as written and refused here
// rather than silently replaced by its default. shown is the value as
// written, why what it would do, def the default the key takes when it is
// removed, and fix the other way out.
func (l *List) NotUnset(path string, shown any, why string, def any, fix string) {
	v := fmt.Sprintf("%v", shown)
	if r, ok := shown.(Raw); ok {
		v = string(r)
	}
	l.Add(path, shown, v+" is not \"unset\": "+why, "remove the key for the default "+listed(def)+", or "+fix)
}

// listed prints v with %v, a list as [a, b] the way a config file writes it.
func listed(v any) string {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Slice {
		return fmt.Sprintf("%v", v)
	}
	items := make([]string, rv.Len())
	for i := range items {
		items[i] = fmt.Sprintf("%v", rv.Index(i).Interface())
	}
	return "[" + strings.Join(items, ", ") + "]"
}

// NoPort is NotUnset's why for an explicit port 0 of a key that becomes a
// NetworkPolicy port: 0 is no port, and a rule without a port opens every
// port, so 0 is never read as the default.
const NoPort = "it is no port, and a NetworkPolicy rule without a port opens every port"

// Merge appends the problems of err (an errors.Join result or a single error).
func (l *List) Merge(err error) {
	if err == nil {
		return
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		path, _, _ := strings.Cut(e.Error(), ": ")
		l.errs = append(l.errs, e)
		l.paths = append(l.paths, path)
	}
}

// Len is the number of problems recorded.
func (l *List) Len() int { return len(l.errs) }

// Err returns every problem joined (one per line), or nil.
func (l *List) Err() error { return errors.Join(l.errs...) }
