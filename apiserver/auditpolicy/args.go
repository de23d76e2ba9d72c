// Package auditpolicy is the Kubernetes API-server audit policy of the sovereign-cloud hardening guide
// ("Audit Logging Configuration"), built from the typed audit.k8s.io/v1 Go
// types, and the settings that go with it on a control-plane node (policy
// and log paths, log rotation).
//
// The audit policy is an API-server flag (--audit-policy-file), not an API
// object: nothing in the Kubernetes API accepts it, so Pulumi cannot apply it
// to a running cluster. This package registers no Pulumi resource: it is one
// of the files of the apiserver room (package apiserver, which turns it into
// the kubeadm, RKE2 and Talos snippets), rendered by `rampart apiserver
// audit-policy` and loaded by the lab's kube-apiserver (one source of truth).
//
// NIS2 Art. 21(2)(b), DORA Art. 12, ITSG-33 AU-2/AU-9/AU-11, ISM-0580, ISM-0585.
package auditpolicy

import (
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
)

// Defaults that withDefaults fills in; exported so the CLI, the lab and the
// docs quote one source.
const (
	// DefaultPolicyPath is where the policy file lives on a control-plane
	// node (the --audit-policy-file value of the kubeadm and RKE2 snippets):
	// the path the Kubernetes documentation uses, outside the log directory
	// so the API server's writable mount never covers its own policy.
	DefaultPolicyPath = "/etc/kubernetes/audit-policy.yaml"
	// DefaultLogPath is the audit log file (--audit-log-path). It is the one
	// directory Talos prepares for the API server's non-root UID
	// (/var/log/audit/kube), and kubeadm and RKE2 create it through the
	// snippets' hostPath mount, so every distribution writes the same path and
	// the log agent reads one path.
	DefaultLogPath = TalosLogPath
	// DefaultMaxAge is --audit-log-maxage in days: 30, the CIS Kubernetes
	// Benchmark floor (1.2.17). The node only buffers the log; long-term
	// retention is the WORM bucket's job (the audit component), so the node
	// keeps no more than a month of rotated files.
	DefaultMaxAge = 30
	// DefaultMaxBackup is --audit-log-maxbackup: 10 rotated files, the CIS
	// floor (1.2.18), so a shipping outage of hours does not lose events.
	DefaultMaxBackup = 10
	// DefaultMaxSize is --audit-log-maxsize in MB: 100, the CIS floor
	// (1.2.19). With DefaultMaxBackup the log takes at most ~1.1 GB of the
	// control-plane node's disk.
	DefaultMaxSize = 100
)

// TalosLogPath is the audit log path Talos sets for its kube-apiserver
// (constants.KubernetesAuditLogDir + "/kube-apiserver.log"); Talos creates
// that directory owned by the API server's UID. The Talos snippet needs no
// extra volume for it.
const TalosLogPath = "/var/log/audit/kube/kube-apiserver.log"

// Args configures the rendered policy and snippets. Its json keys are the
// config keys of the section that embeds it; unset fields take the defaults
// above, field by field.
type Args struct {
	// PolicyPath is the absolute path of the policy file on the control-plane
	// nodes. Default DefaultPolicyPath. It must not lie inside the log
	// directory, which the API server mounts writable.
	PolicyPath string `json:"policyPath,omitempty"`
	// LogPath is the absolute path of the audit log file on the
	// control-plane nodes (not "-": the log agent tails a file). Default
	// DefaultLogPath.
	LogPath string `json:"logPath,omitempty"`
	// MaxAge is --audit-log-maxage in days; 0 takes DefaultMaxAge (the API
	// server's own 0, "never delete by age", is not offered: the node would
	// fill up when shipping stalls).
	MaxAge int `json:"maxAge,omitempty"`
	// MaxBackup is --audit-log-maxbackup; 0 takes DefaultMaxBackup.
	MaxBackup int `json:"maxBackup,omitempty"`
	// MaxSize is --audit-log-maxsize in MB; 0 takes DefaultMaxSize.
	MaxSize int `json:"maxSize,omitempty"`
	// ExtraRules are inserted after Rampart's rules (sensitive resources,
	// RBAC, interactive access, noise) and before the Metadata catch-all. The
	// first matching rule wins, so an extra rule can add detail to what the
	// catch-all would log, but never lower or raise the level of a request
	// Rampart's rules already decide: a Secret's payload never reaches the log.
	ExtraRules []auditv1.PolicyRule `json:"extraRules,omitempty"`
}

// withDefaults returns a copy with every unset field filled in.
func (a Args) withDefaults() Args {
	if a.PolicyPath == "" {
		a.PolicyPath = DefaultPolicyPath
	}
	if a.LogPath == "" {
		a.LogPath = DefaultLogPath
	}
	if a.MaxAge == 0 {
		a.MaxAge = DefaultMaxAge
	}
	if a.MaxBackup == 0 {
		a.MaxBackup = DefaultMaxBackup
	}
	if a.MaxSize == 0 {
		a.MaxSize = DefaultMaxSize
	}
	return a
}

// WithDefaults returns a copy with every unset field filled in: the paths
// and rotation settings the node configuration carries.
func (a Args) WithDefaults() Args { return a.withDefaults() }

// levels are the audit levels the API server accepts.
var levels = []auditv1.Level{auditv1.LevelNone, auditv1.LevelMetadata, auditv1.LevelRequest, auditv1.LevelRequestResponse}

// stages are the stages a policy may omit.
var stages = []auditv1.Stage{auditv1.StageRequestReceived, auditv1.StageResponseStarted, auditv1.StageResponseComplete, auditv1.StagePanic}

// Validate reports every problem of the args (defaults applied) at its key
// path under prefix.
func (a Args) Validate(prefix string) error {
	a = a.withDefaults()
	var l verr.List
	for _, p := range []struct{ key, val string }{{"policyPath", a.PolicyPath}, {"logPath", a.LogPath}} {
		if !path.IsAbs(p.val) || path.Clean(p.val) != p.val || strings.HasSuffix(p.val, "/") {
			l.Add(verr.Path(prefix, p.key), p.val, "not a clean absolute file path", "give the absolute path of a file on the control-plane node, e.g. "+DefaultLogPath)
		}
	}
	if logDir := path.Dir(a.LogPath); strings.HasPrefix(a.PolicyPath, logDir+"/") {
		l.Add(verr.Path(prefix, "policyPath"), a.PolicyPath, "inside the log directory "+logDir+", which the API server mounts writable",
			"keep the policy outside the log directory, e.g. "+DefaultPolicyPath)
	}
	for _, n := range []struct {
		key string
		val int
	}{{"maxAge", a.MaxAge}, {"maxBackup", a.MaxBackup}, {"maxSize", a.MaxSize}} {
		if n.val < 0 {
			l.Add(verr.Path(prefix, n.key), n.val, "negative", "give a positive number, or leave it unset for the default")
		}
	}
	for i, r := range a.ExtraRules {
		validateRule(&l, verr.Path(prefix, "extraRules")+"["+strconv.Itoa(i)+"]", r)
	}
	return l.Err()
}

func validateRule(l *verr.List, p string, r auditv1.PolicyRule) {
	if !slices.Contains(levels, r.Level) {
		l.Add(verr.Path(p, "level"), string(r.Level), "not an audit level", "use None, Metadata, Request or RequestResponse")
	}
	for j, s := range r.OmitStages {
		if !slices.Contains(stages, s) {
			l.Add(verr.Path(p, "omitStages")+"["+strconv.Itoa(j)+"]", string(s), "not an audit stage",
				"use RequestReceived, ResponseStarted, ResponseComplete or Panic")
		}
	}
	// A None rule before the catch-all silences whatever it matches: it must
	// name what it silences, never just who (a user-only None rule would
	// switch auditing off for that identity, an empty one for everyone).
	if r.Level == auditv1.LevelNone && len(r.Resources) == 0 && len(r.NonResourceURLs) == 0 {
		l.Add(verr.Path(p, "level"), string(r.Level), "a None rule without resources or nonResourceURLs would switch auditing off for everything it matches",
			"name the resources or URLs that are noise, or use Metadata")
	}
	if len(r.Resources) > 0 && len(r.NonResourceURLs) > 0 {
		l.Add(verr.Path(p, "nonResourceURLs"), verr.Raw("(a list)"), "a rule cannot match both resources and non-resource URLs (the API server refuses it)",
			"split it into two rules")
	}
	for j, u := range r.NonResourceURLs {
		if !strings.HasPrefix(u, "/") || strings.Contains(strings.TrimSuffix(u, "*"), "*") {
			l.Add(verr.Path(p, "nonResourceURLs")+"["+strconv.Itoa(j)+"]", u, "not a non-resource URL pattern",
				`start with "/" and use "*" only as the last character, e.g. "/metrics*"`)
		}
	}
	for j, g := range r.Resources {
		if g.Group == "" && len(g.Resources) == 0 {
			l.Add(verr.Path(p, "resources")+"["+strconv.Itoa(j)+"]", verr.Raw("(the whole core group)"),
				"shadowed for Secrets and ConfigMaps by Rampart's Metadata rule, which always wins", "name the core resources the rule is for")
		}
		for _, res := range g.Resources {
			if sensitive(g.Group, res) {
				l.Add(verr.Path(p, "resources")+"["+strconv.Itoa(j)+"]", res,
					"decided by Rampart's Metadata rule, which comes first: an extra rule for it would never match",
					"leave it out; its payload never enters the audit log by design")
			}
		}
	}
}
