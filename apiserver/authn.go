package apiserver

import (
	"fmt"

	"github.com/rampart-dev/rampart/apiserver/authn"
)

// authnConfig is the AuthenticationConfiguration (OIDC login through the
// platform's issuer) as a Config: --authentication-config, nothing else. No
// distribution has a key of its own for it, so every snippet takes the
// generic form: the flag and a read-only mount of the file (RKE2:
// kube-apiserver-arg and kube-apiserver-extra-mount; Talos: machine.files
// under /var, extraArgs and an extra volume).
type authnConfig struct{ args *authn.Args }

// Authentication is the AuthenticationConfiguration rendered from args (nil:
// the defaults, which lack the issuer: Render and Node refuse them). The
// config reads args when it renders, so a caller may fill them (flags) after
// building the config.
func Authentication(args *authn.Args) Config {
	if args == nil {
		args = &authn.Args{}
	}
	return authnConfig{args}
}

func (authnConfig) Name() string     { return "authentication-config" }
func (authnConfig) Flag() string     { return "authentication-config" }
func (authnConfig) FileName() string { return "authentication-config.yaml" }

func (c authnConfig) Render() ([]byte, error) { return authn.Render(c.args) }

func (c authnConfig) Node() (Node, error) {
	if err := c.args.Validate(""); err != nil {
		return Node{}, fmt.Errorf("authentication config: %w", err)
	}
	// The file carries the issuer's CA inline, so it needs no further mount.
	// The API server re-reads the file about once a minute, but a
	// single-file mount keeps showing the old file once it is replaced by a
	// rename (as `rampart apiserver` writes it): roll the API server after a
	// change.
	return Node{
		Path:  c.args.WithDefaults().ConfigPath,
		Talos: TalosSpec{Path: authn.TalosConfigPath},
	}, nil
}
