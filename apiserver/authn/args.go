// Package authn is the API server's AuthenticationConfiguration
// (apiserver.config.k8s.io/v1, loaded with --authentication-config): one JWT
// authenticator for the platform's OIDC issuer (Keycloak), with the claim
// mappings and the CEL validation rules that keep every token-derived
// username and group out of the "system:" namespace.
//
// Like the audit policy it is an API-server flag, not an API object: nothing
// in the Kubernetes API accepts it, so Pulumi cannot apply it to a running
// cluster and this package registers no Pulumi resource. It is one of the
// files of the apiserver room (package apiserver, which turns it into the
// kubeadm, RKE2 and Talos snippets), rendered by `rampart apiserver
// authentication-config` and loaded by the lab's kube-apiserver.
//
// Version: apiserver.config.k8s.io/v1. StructuredAuthenticationConfiguration
// is GA (and locked on) from Kubernetes 1.34, the version that added v1; a
// 1.30–1.33 API server knows only v1beta1 and refuses this file.
//
// NIS2 Art. 21(2)(i) and (j) (access control, multi-factor authentication at
// the identity provider), ITSG-33 IA-2/IA-8, ISM-1173.
package authn

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/url"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/verr"
)

// Defaults that withDefaults fills in; exported so the CLI, the lab, the docs
// and the RBAC component (which binds the prefixed group names) quote one
// source.
const (
	// DefaultAudience is the one audience a token must carry: the client id
	// of the Kubernetes client in the realm ("kubernetes"). A token minted
	// for any other client of the same issuer is refused.
	DefaultAudience = "kubernetes"
	// DefaultUsernameClaim is the claim that becomes the username:
	// Keycloak's preferred_username, the login name people see in the audit
	// log and in RoleBindings ("sub" is an opaque UUID; it becomes the user's
	// UID instead, see UIDClaim).
	DefaultUsernameClaim = "preferred_username"
	// DefaultUsernamePrefix is put before every username from a token
	// ("oidc:alice"), so no token can name a user that another
	// authenticator (client certificates, service accounts) or Kubernetes
	// itself ("system:…") owns.
	DefaultUsernamePrefix = "oidc:"
	// DefaultGroupsClaim is the claim listing the user's groups (the realm's
	// group mapper writes helpers/identity's group names there).
	DefaultGroupsClaim = "groups"
	// DefaultGroupsPrefix is put before every group from a token
	// ("oidc:platform-admins"): a token can never claim system:masters or
	// any other system: group. RBAC binds DefaultGroupsPrefix + the
	// helpers/identity group name.
	DefaultGroupsPrefix = "oidc:"
	// DefaultConfigPath is where the file lives on a control-plane node (the
	// --authentication-config value of the kubeadm and RKE2 snippets), beside
	// the audit policy.
	DefaultConfigPath = "/etc/kubernetes/authentication-config.yaml"
	// TalosConfigPath is the file's path on a Talos node: Talos writes
	// machine.files only under /var.
	TalosConfigPath = "/var/etc/kubernetes/authentication-config.yaml"
)

// UIDClaim is the claim that becomes the user's UID: OIDC's "sub", stable
// for the life of the account even when the username changes, so the audit
// log ties every request to one account.
const UIDClaim = "sub"

// systemPrefix is the namespace Kubernetes keeps for its own users and groups
// (system:masters, system:anonymous, system:serviceaccount:…).
const systemPrefix = "system:"

// Args configures the rendered AuthenticationConfiguration. Its json keys are
// the config keys of the section that embeds it; unset fields take the
// defaults above, field by field.
type Args struct {
	// IssuerURL is the OIDC issuer, exactly the tokens' "iss" (Keycloak:
	// https://HOST/realms/REALM). Required; https only, without query,
	// fragment or credentials. The API server fetches
	// IssuerURL/.well-known/openid-configuration and the signing keys from it.
	IssuerURL string `json:"issuerURL,omitempty"`
	// CertificateAuthority is the PEM bundle that signs the issuer's TLS
	// certificate, written into the file. Empty (with CAFile empty): the
	// node's system roots. Exclusive with CAFile.
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
	// CAFile is a file holding that PEM bundle, read when rendering (the
	// file carries the bundle, not the path). Exclusive with
	// CertificateAuthority.
	CAFile string `json:"caFile,omitempty"`
	// Audiences are the client ids a token may be issued to; a token must
	// carry at least one. Default [DefaultAudience].
	Audiences []string `json:"audiences,omitempty"`
	// UsernameClaim is the claim that becomes the username. Default
	// DefaultUsernameClaim.
	UsernameClaim string `json:"usernameClaim,omitempty"`
	// UsernamePrefix is put before every username. Default
	// DefaultUsernamePrefix. No prefix is not offered, and none may start
	// with "system:" or be the start of it ("sys" + a claim "tem:masters"
	// would be system:masters).
	UsernamePrefix string `json:"usernamePrefix,omitempty"`
	// GroupsClaim is the claim listing the user's groups. Default
	// DefaultGroupsClaim.
	GroupsClaim string `json:"groupsClaim,omitempty"`
	// GroupsPrefix is put before every group. Default DefaultGroupsPrefix;
	// the same rules as UsernamePrefix.
	GroupsPrefix string `json:"groupsPrefix,omitempty"`
	// ConfigPath is the absolute path of the file on the control-plane
	// nodes (kubeadm, RKE2). Default DefaultConfigPath; Talos always uses
	// TalosConfigPath.
	ConfigPath string `json:"configPath,omitempty"`
}

// withDefaults returns a copy with every unset field filled in.
func (a Args) withDefaults() Args {
	if len(a.Audiences) == 0 {
		a.Audiences = []string{DefaultAudience}
	}
	for _, f := range []struct {
		p   *string
		def string
	}{
		{&a.UsernameClaim, DefaultUsernameClaim}, {&a.UsernamePrefix, DefaultUsernamePrefix},
		{&a.GroupsClaim, DefaultGroupsClaim}, {&a.GroupsPrefix, DefaultGroupsPrefix},
		{&a.ConfigPath, DefaultConfigPath},
	} {
		if *f.p == "" {
			*f.p = f.def
		}
	}
	return a
}

// WithDefaults returns a copy with every unset field filled in.
func (a Args) WithDefaults() Args { return a.withDefaults() }

// Validate reports every problem of the args (defaults applied) at its key
// path under prefix. It reads CAFile when set.
func (a Args) Validate(prefix string) error {
	a = a.withDefaults()
	var l verr.List
	validateIssuer(&l, verr.Path(prefix, "issuerURL"), a.IssuerURL)
	switch {
	case a.CertificateAuthority != "" && a.CAFile != "":
		l.Add(verr.Path(prefix, "caFile"), a.CAFile, "set together with certificateAuthority",
			"give the issuer's CA either inline (certificateAuthority) or as a file (caFile), not both")
	case a.CAFile != "":
		b, err := os.ReadFile(a.CAFile)
		if err != nil {
			l.Add(verr.Path(prefix, "caFile"), a.CAFile, "cannot be read: "+err.Error(), "give the path of a readable PEM file holding the issuer's CA certificate")
		} else if why := checkPEM(b); why != "" {
			l.Add(verr.Path(prefix, "caFile"), a.CAFile, why, "give a PEM file of CERTIFICATE blocks: the CA that signs the issuer's TLS certificate")
		}
	case a.CertificateAuthority != "":
		if why := checkPEM([]byte(a.CertificateAuthority)); why != "" {
			l.Add(verr.Path(prefix, "certificateAuthority"), verr.Raw("(a PEM bundle)"), why,
				"give PEM CERTIFICATE blocks: the CA that signs the issuer's TLS certificate")
		}
	}
	seen := map[string]bool{}
	for i, aud := range a.Audiences {
		p := verr.Path(prefix, "audiences") + "[" + strconv.Itoa(i) + "]"
		switch {
		case aud == "":
			l.Add(p, aud, "empty", "give the client id the tokens are issued to, e.g. "+DefaultAudience)
		case seen[aud]:
			l.Add(p, aud, "listed twice (the API server refuses duplicates)", "list each audience once")
		}
		seen[aud] = true
	}
	for _, c := range []struct{ key, val string }{{"usernameClaim", a.UsernameClaim}, {"groupsClaim", a.GroupsClaim}} {
		if !safeClaim(c.val) {
			l.Add(verr.Path(prefix, c.key), c.val, "holds a quote, a backslash or a control character, which the CEL rules quoting it cannot carry",
				"name the claim as the token has it, e.g. "+DefaultUsernameClaim)
		}
	}
	if a.UsernameClaim == a.GroupsClaim {
		l.Add(verr.Path(prefix, "groupsClaim"), a.GroupsClaim, "the same claim as usernameClaim", "map the groups from their own claim, e.g. "+DefaultGroupsClaim)
	}
	for _, p := range []struct{ key, val string }{{"usernamePrefix", a.UsernamePrefix}, {"groupsPrefix", a.GroupsPrefix}} {
		if strings.HasPrefix(p.val, systemPrefix) || strings.HasPrefix(systemPrefix, p.val) {
			l.Add(verr.Path(prefix, p.key), p.val, `starts with "system:" or with a part of it, so a token could name a system user or group (system:masters)`,
				"use a prefix of your own, e.g. "+DefaultGroupsPrefix)
		}
	}
	if !path.IsAbs(a.ConfigPath) || path.Clean(a.ConfigPath) != a.ConfigPath || strings.HasSuffix(a.ConfigPath, "/") {
		l.Add(verr.Path(prefix, "configPath"), a.ConfigPath, "not a clean absolute file path", "give the absolute path of a file on the control-plane node, e.g. "+DefaultConfigPath)
	}
	return l.Err()
}

func validateIssuer(l *verr.List, p, issuer string) {
	if issuer == "" {
		l.Add(p, issuer, "required: there is no default issuer", "give the OIDC issuer URL, e.g. https://keycloak.example/realms/platform (CLI: --oidc-issuer)")
		return
	}
	u, err := url.Parse(issuer)
	switch {
	case err != nil:
		l.Add(p, issuer, "not a URL: "+err.Error(), "give the issuer exactly as the tokens' iss claim has it")
	case u.Scheme != "https" || u.Host == "":
		l.Add(p, issuer, "not an https URL (the API server fetches the signing keys from it and accepts only https)",
			"give the https URL of the issuer, e.g. https://keycloak.example/realms/platform")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		l.Add(p, issuer, "carries credentials, a query or a fragment, which an issuer URL never has",
			"give the issuer exactly as the tokens' iss claim has it")
	}
}

// checkPEM returns why b is not a bundle of PEM certificates, or "".
func checkPEM(b []byte) string {
	n := 0
	for {
		var blk *pem.Block
		blk, b = pem.Decode(b)
		if blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			return "holds a PEM " + blk.Type + " block, not a certificate"
		}
		if _, err := x509.ParseCertificate(blk.Bytes); err != nil {
			return "holds a certificate that does not parse: " + err.Error()
		}
		n++
	}
	switch {
	case n == 0:
		return "holds no PEM certificate"
	case strings.TrimSpace(string(b)) != "":
		return "has trailing data after the last PEM certificate"
	}
	return ""
}

// safeClaim reports whether claim can be written into a CEL string literal
// (single- or double-quoted) as it is.
func safeClaim(claim string) bool {
	return !strings.ContainsFunc(claim, func(r rune) bool { return r == '"' || r == '\'' || r == '\\' || r < 0x20 || r == 0x7f })
}

// caPEM returns the CA bundle the file carries: CertificateAuthority, or
// CAFile's content. Call it on validated args.
func (a Args) caPEM() (string, error) {
	if a.CAFile == "" {
		return a.CertificateAuthority, nil
	}
	b, err := os.ReadFile(a.CAFile)
	if err != nil {
		return "", fmt.Errorf("caFile: %w", err)
	}
	return string(b), nil
}
