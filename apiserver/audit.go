package apiserver

import (
	"fmt"
	"path"
	"strconv"

	"github.com/rampart-dev/rampart/apiserver/auditpolicy"
)

// auditConfig is the audit policy (the sovereign-cloud hardening guide) as a Config: --audit-policy-file,
// with the log flags and the log directory it comes with.
type auditConfig struct{ args *auditpolicy.Args }

// AuditPolicy is the audit policy rendered from args (nil: the defaults).
// The config reads args when it renders, so a caller may fill them (flags)
// after building the config.
func AuditPolicy(args *auditpolicy.Args) Config {
	if args == nil {
		args = &auditpolicy.Args{}
	}
	return auditConfig{args}
}

func (auditConfig) Name() string     { return "audit-policy" }
func (auditConfig) Flag() string     { return "audit-policy-file" }
func (auditConfig) FileName() string { return "audit-policy.yaml" }

func (c auditConfig) Render() ([]byte, error) { return auditpolicy.Render(c.args) }

func (c auditConfig) Node() (Node, error) {
	if err := c.args.Validate(""); err != nil {
		return Node{}, fmt.Errorf("audit policy: %w", err)
	}
	a := c.args.WithDefaults()
	logDir := path.Dir(a.LogPath)
	return Node{
		Path: a.PolicyPath,
		Args: []Arg{
			{"audit-log-path", a.LogPath},
			{"audit-log-maxage", strconv.Itoa(a.MaxAge)},
			{"audit-log-maxbackup", strconv.Itoa(a.MaxBackup)},
			{"audit-log-maxsize", strconv.Itoa(a.MaxSize)},
		},
		Mounts: []Mount{{Name: "audit-log", Path: logDir, Writable: true,
			TalosProvides: logDir == path.Dir(auditpolicy.TalosLogPath)}},
		// RKE2 mounts audit-policy-file into the API server itself.
		RKE2Key: "audit-policy-file",
		// Talos writes the inline policy to its own file
		// (/system/config/kubernetes/kube-apiserver/auditpolicy.yaml) and
		// sets --audit-policy-file to it, so PolicyPath does not apply there.
		Talos: TalosSpec{InlineKey: "auditPolicy", Inline: auditpolicy.Policy(&a)},
	}, nil
}
