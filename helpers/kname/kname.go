// Package kname builds Kubernetes object names and label values. Every
// component takes its object names from here, never from concatenation at the
// call site, so the 63-character limit (DNS-1123 labels, label values) holds
// and long names stay unique.
package kname

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
	"k8s.io/apimachinery/pkg/util/validation"
)

// MaxLen is the Kubernetes limit for DNS-1123 labels and label values.
const MaxLen = 63

// Join joins parts with "-", lower-cases the result and, when it is longer
// than 63 characters, truncates it and appends an 8-hex-digit hash of the
// full name so that distinct long names stay distinct.
func Join(parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	full := strings.ToLower(strings.Join(kept, "-"))
	if len(full) <= MaxLen {
		return full
	}
	sum := sha256.Sum256([]byte(full))
	head := strings.TrimRight(full[:MaxLen-9], "-.")
	return head + "-" + hex.EncodeToString(sum[:])[:8]
}

// CheckNamespace adds a problem to l when v is not a valid namespace name (a
// DNS-1123 label of at most 63 characters). Components and the stack config
// share it, so every namespace key is judged and worded alike.
func CheckNamespace(l *verr.List, path, v string) {
	if !IsNamespace(v) {
		l.Add(path, v, "not a valid namespace name: "+strings.Join(validation.IsDNS1123Label(v), "; "), "use lower-case letters, digits and '-', at most 63 characters")
	}
}

// IsNamespace reports whether v is a valid namespace name (a DNS-1123
// label); a caller checking where a name points skips one CheckNamespace
// refuses, so the key carries one problem, not two.
func IsNamespace(v string) bool { return len(validation.IsDNS1123Label(v)) == 0 }
