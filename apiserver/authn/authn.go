package authn

import (
	"fmt"
	"regexp"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"
)

// Header heads the rendered file so nobody edits a copy by hand.
const Header = "# kube-apiserver AuthenticationConfiguration (--authentication-config), rendered by\n" +
	"# `rampart apiserver authentication-config` from apiserver/authn. Do not edit: change the args and render again.\n"

// The CEL rules every token passes after its signature, issuer, audience and
// expiry are checked. The API server refuses a token when a rule is false.
const (
	// RuleSubject: a token must name its subject. OIDC Core makes "sub"
	// required; Rampart maps it to the user's UID (UIDClaim), the one
	// identifier in the audit log that survives a rename.
	RuleSubject = "has(claims.sub) && claims.sub != ''"
	// RuleUsernameNotSystem: the final username (prefix included) never
	// lies in Kubernetes's own namespace. With Rampart's prefixes it cannot;
	// the rule keeps that true in a file someone edited by hand.
	RuleUsernameNotSystem = "!user.username.startsWith('system:')"
	// RuleGroupsNotSystem: no final group (prefix included) is a system:
	// group (system:masters bypasses RBAC altogether).
	RuleGroupsNotSystem = "user.groups.all(g, !g.startsWith('system:'))"
)

// ruleUsernameClaimSet is the rule that the username claim is a non-empty
// value: without it a token whose claim is "" becomes the user named just
// the prefix ("oidc:"), one name shared by every such token.
// The has() form is the one the API server evaluates (an `in claims` test
// compiles but fails there with "no such overload" on every token); a claim
// name that is not a CEL identifier is read with CEL's optional index.
func ruleUsernameClaimSet(claim string) string {
	if celIdent.MatchString(claim) {
		return "has(claims." + claim + ") && claims." + claim + " != ''"
	}
	return "claims[?'" + claim + "'].orValue('') != ''"
}

// celIdent is a claim name usable as a CEL field (claims.name).
var celIdent = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Configuration builds the AuthenticationConfiguration from args (defaults
// applied; call it on validated args): one JWT authenticator for the issuer.
//
// Not set, on purpose: anonymous (the API server's --anonymous-auth flag
// keeps deciding it, and the two are mutually exclusive), discoveryURL (the
// issuer serves its own discovery document), egressSelectorType (the API
// server reaches the issuer directly), extra mappings (nothing reads them).
func Configuration(args *Args, caPEM string) *apiserverv1.AuthenticationConfiguration {
	a := Args{}
	if args != nil {
		a = *args
	}
	a = a.withDefaults()
	issuer := apiserverv1.Issuer{
		URL:                  a.IssuerURL,
		CertificateAuthority: caPEM,
		Audiences:            a.Audiences,
	}
	if len(a.Audiences) > 1 {
		// Required by the API server for more than one audience: the token
		// must carry at least one of them.
		issuer.AudienceMatchPolicy = apiserverv1.AudienceMatchPolicyMatchAny
	}
	usernamePrefix, groupsPrefix := a.UsernamePrefix, a.GroupsPrefix
	return &apiserverv1.AuthenticationConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: apiserverv1.SchemeGroupVersion.String(), Kind: "AuthenticationConfiguration"},
		JWT: []apiserverv1.JWTAuthenticator{{
			Issuer: issuer,
			ClaimValidationRules: []apiserverv1.ClaimValidationRule{
				{Expression: RuleSubject, Message: "the token has no subject (sub)"},
				{Expression: ruleUsernameClaimSet(a.UsernameClaim), Message: "the token's " + a.UsernameClaim + " claim is missing or empty"},
			},
			ClaimMappings: apiserverv1.ClaimMappings{
				Username: apiserverv1.PrefixedClaimOrExpression{Claim: a.UsernameClaim, Prefix: &usernamePrefix},
				Groups:   apiserverv1.PrefixedClaimOrExpression{Claim: a.GroupsClaim, Prefix: &groupsPrefix},
				UID:      apiserverv1.ClaimOrExpression{Claim: UIDClaim},
			},
			UserValidationRules: []apiserverv1.UserValidationRule{
				{Expression: RuleUsernameNotSystem, Message: "a username from a token may not start with system:"},
				{Expression: RuleGroupsNotSystem, Message: "a group from a token may not start with system:"},
			},
		}},
	}
}

// Render validates args and returns the file: Header, then the configuration
// serialised with sigs.k8s.io/yaml (the upstream types' JSON tags, so the keys
// are exactly the API server's). The CA bundle is written into the file, so
// the bytes change when the issuer's CA does.
func Render(args *Args) ([]byte, error) {
	a := Args{}
	if args != nil {
		a = *args
	}
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("authentication config: %w", err)
	}
	ca, err := a.caPEM()
	if err != nil {
		return nil, fmt.Errorf("authentication config: %w", err)
	}
	out, err := yaml.Marshal(Configuration(&a, ca))
	if err != nil {
		return nil, fmt.Errorf("authentication config: marshal: %w", err)
	}
	return append([]byte(Header), out...), nil
}
