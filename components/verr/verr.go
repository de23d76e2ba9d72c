// Package verr collects validation problems so that a component (or the stack
// config) reports every problem at once, each in the one shape users learn to
// read: "<config key path>: <bad value>: <why> — <fix>".
package verr

import (
	"errors"
	"fmt"
)

// Redacted is printed in place of a secret value.
const Redacted = "[secret]"

// List accumulates problems; the zero value is ready to use.
type List struct{ errs []error }

// Add records one problem. value is printed with %q for strings and %v
// otherwise; pass Redacted for secrets.
func (l *List) Add(path string, value any, why, fix string) {
	v := fmt.Sprintf("%v", value)
	if s, ok := value.(string); ok && s != Redacted {
		v = fmt.Sprintf("%q", s)
	}
	l.errs = append(l.errs, fmt.Errorf("%s: %s: %s — %s", path, v, why, fix))
}

// Merge appends the problems of err (an errors.Join result or a single error).
func (l *List) Merge(err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		l.errs = append(l.errs, j.Unwrap()...)
		return
	}
	l.errs = append(l.errs, err)
}

// Len is the number of problems recorded.
func (l *List) Len() int { return len(l.errs) }

// Err returns every problem joined (one per line), or nil.
func (l *List) Err() error { return errors.Join(l.errs...) }
