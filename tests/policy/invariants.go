// Package policy holds Rampart's whole-stack invariants, checked over the
// resource graph the program registers (the recording mock's): every
// namespace is labelled and default-denied, DNS egress allows UDP and TCP,
// no ipBlock admits the SSRF blocklist unless allowed, every pod template
// passes the Pod Security evaluator at its namespace's level, and no two
// resources produce the same Kubernetes object. (Secrets staying secret is
// asserted by the program tests in infra/.)
package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/rampart-dev/rampart/components/namespace"
	"github.com/rampart-dev/rampart/components/netpol"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/internal/recmock"
)

// Kubernetes type tokens the invariants read.
const (
	NamespaceType = "kubernetes:core/v1:Namespace"
	NetPolType    = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
)

// podSpecPaths says where each workload kind keeps its pod spec.
var podSpecPaths = map[string][]any{
	"kubernetes:core/v1:Pod":                   {"spec"},
	"kubernetes:apps/v1:Deployment":            {"spec", "template", "spec"},
	"kubernetes:apps/v1:StatefulSet":           {"spec", "template", "spec"},
	"kubernetes:apps/v1:DaemonSet":             {"spec", "template", "spec"},
	"kubernetes:apps/v1:ReplicaSet":            {"spec", "template", "spec"},
	"kubernetes:batch/v1:Job":                  {"spec", "template", "spec"},
	"kubernetes:batch/v1:CronJob":              {"spec", "jobTemplate", "spec", "template", "spec"},
	"kubernetes:core/v1:ReplicationController": {"spec", "template", "spec"},
}

func str(v any, path ...any) string {
	s, _ := recmock.Path(v, path...)
	out, _ := s.(string)
	return out
}

func policiesByNamespace(rec *recmock.Recorder) map[string]map[string]map[string]any {
	out := map[string]map[string]map[string]any{}
	for _, r := range rec.ByType(NetPolType) {
		p := r.Plain()
		ns := str(p, "metadata", "namespace")
		if out[ns] == nil {
			out[ns] = map[string]map[string]any{}
		}
		out[ns][str(p, "metadata", "name")] = p
	}
	return out
}

// NamespacesLabelledAndDenied checks that every Namespace carries the three PSS labels
// (with versions) and has a default-deny policy for ingress and egress plus
// DNS egress on UDP and TCP 53.
func NamespacesLabelledAndDenied(rec *recmock.Recorder) []error {
	var errs []error
	pols := policiesByNamespace(rec)
	for _, r := range rec.ByType(NamespaceType) {
		p := r.Plain()
		ns := str(p, "metadata", "name")
		for _, l := range []string{namespace.LabelEnforce, namespace.LabelAudit, namespace.LabelWarn,
			namespace.LabelEnforceVersion, namespace.LabelAuditVersion, namespace.LabelWarnVersion} {
			if str(p, "metadata", "labels", l) == "" {
				errs = append(errs, fmt.Errorf("namespace %s: missing label %s", ns, l))
			}
		}
		deny, ok := pols[ns][netpol.DefaultDenyName]
		if !ok {
			errs = append(errs, fmt.Errorf("namespace %s: no %s policy", ns, netpol.DefaultDenyName))
		} else {
			sel, _ := recmock.Path(deny, "spec", "podSelector")
			types, _ := recmock.Path(deny, "spec", "policyTypes")
			if m, _ := sel.(map[string]any); len(m) != 0 || fmt.Sprint(types) != "[Ingress Egress]" {
				errs = append(errs, fmt.Errorf("namespace %s: %s does not select every pod for ingress and egress", ns, netpol.DefaultDenyName))
			}
			if _, has := recmock.Path(deny, "spec", "ingress"); has {
				errs = append(errs, fmt.Errorf("namespace %s: %s admits ingress", ns, netpol.DefaultDenyName))
			}
			if _, has := recmock.Path(deny, "spec", "egress"); has {
				errs = append(errs, fmt.Errorf("namespace %s: %s admits egress", ns, netpol.DefaultDenyName))
			}
		}
		if err := dnsBothProtocols(pols[ns][netpol.AllowDNSName]); err != nil {
			errs = append(errs, fmt.Errorf("namespace %s: %w", ns, err))
		}
	}
	return errs
}

func dnsBothProtocols(p map[string]any) error {
	if p == nil {
		return fmt.Errorf("no %s policy", netpol.AllowDNSName)
	}
	seen := map[string]bool{}
	rules, _ := recmock.Path(p, "spec", "egress")
	rs, _ := rules.([]any)
	for _, r := range rs {
		ports, _ := recmock.Path(r, "ports")
		ps, _ := ports.([]any)
		for _, port := range ps {
			if n, _ := recmock.Path(port, "port"); n == float64(53) {
				seen[str(port, "protocol")] = true
			}
		}
	}
	if !seen["UDP"] || !seen["TCP"] {
		return fmt.Errorf("DNS egress allows %v, want UDP and TCP 53", seen)
	}
	return nil
}

// NoBlocklistedIPBlocks checks that every ipBlock either excepts each SSRF blocklist
// entry it overlaps or is exactly one of allowed (justified targets).
func NoBlocklistedIPBlocks(rec *recmock.Recorder, allowed []string) []error {
	var errs []error
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	for _, r := range rec.ByType(NetPolType) {
		p := r.Plain()
		id := str(p, "metadata", "namespace") + "/" + str(p, "metadata", "name")
		for _, dir := range []string{"egress", "ingress"} {
			rules, _ := recmock.Path(p, "spec", dir)
			rs, _ := rules.([]any)
			for _, rule := range rs {
				peers, _ := recmock.Path(rule, map[string]string{"egress": "to", "ingress": "from"}[dir])
				ps, _ := peers.([]any)
				for _, peer := range ps {
					cidr := str(peer, "ipBlock", "cidr")
					if cidr == "" || ok[cidr] {
						continue
					}
					pre, err := netip.ParsePrefix(cidr)
					if err != nil {
						errs = append(errs, fmt.Errorf("%s: ipBlock %q: %v", id, cidr, err))
						continue
					}
					exc, _ := recmock.Path(peer, "ipBlock", "except")
					excepted := map[string]bool{}
					es, _ := exc.([]any)
					for _, e := range es {
						excepted[e.(string)] = true
					}
					for _, b := range netpol.SSRFBlocklist {
						// NodeLocal DNSCache lives in link-local space by design
						// and is only ever opened on port 53.
						if b.Overlaps(pre) && !excepted[b.String()] && !(dir == "egress" && pre.Bits() == pre.Addr().BitLen() && onlyDNS(rule)) {
							errs = append(errs, fmt.Errorf("%s: ipBlock %s admits blocklisted %s", id, cidr, b))
						}
					}
				}
			}
		}
	}
	return errs
}

func onlyDNS(rule any) bool {
	ports, _ := recmock.Path(rule, "ports")
	ps, _ := ports.([]any)
	for _, p := range ps {
		if n, _ := recmock.Path(p, "port"); n != float64(53) {
			return false
		}
	}
	return len(ps) > 0
}

// PodTemplatesPassPSS checks that every pod template passes the Pod Security evaluator
// at the level its namespace enforces (restricted unless exempted).
func PodTemplatesPassPSS(rec *recmock.Recorder) []error {
	levels := map[string]string{}
	for _, r := range rec.ByType(NamespaceType) {
		p := r.Plain()
		levels[str(p, "metadata", "name")] = str(p, "metadata", "labels", namespace.LabelEnforce)
	}
	var errs []error
	for _, r := range rec.All() {
		path, ok := podSpecPaths[r.Type]
		if !ok {
			continue
		}
		p := r.Plain()
		ns := str(p, "metadata", "namespace")
		level := levels[ns]
		if level == "" {
			level = string(namespace.PSSRestricted)
		}
		raw, _ := recmock.Path(p, path...)
		m, _ := raw.(map[string]any)
		spec, err := hardening.PodSpecFromMap(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s %s: %w", r.Type, r.Name, err))
			continue
		}
		if err := hardening.CheckPod(level, "latest", nil, spec); err != nil {
			errs = append(errs, fmt.Errorf("%s %s in %s: %w", r.Type, r.Name, ns, err))
		}
	}
	return errs
}

// NoDuplicateObjects checks that no two resources produce the same Kubernetes object
// (type, namespace, name).
func NoDuplicateObjects(rec *recmock.Recorder) []error {
	seen := map[string]string{}
	var errs []error
	for _, r := range rec.All() {
		if !r.Custom || !strings.HasPrefix(r.Type, "kubernetes:") || strings.HasPrefix(r.Type, "kubernetes:helm") {
			continue
		}
		p := r.Plain()
		key := r.Type + " " + str(p, "metadata", "namespace") + "/" + str(p, "metadata", "name")
		if prev, dup := seen[key]; dup {
			pair := []string{prev, r.Name}
			sort.Strings(pair)
			errs = append(errs, fmt.Errorf("%s produced by both %s and %s", key, pair[0], pair[1]))
		}
		seen[key] = r.Name
	}
	return errs
}

// Errors formats problems one per line, sorted.
func Errors(errs []error) string {
	var s []string
	for _, e := range errs {
		s = append(s, e.Error())
	}
	sort.Strings(s)
	return strings.Join(s, "\n")
}
