package config

import (
	"cmp"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/runtime"
	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/sovereignty"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// Trivy's database defaults (components/runtime renders them when
// rampart:runtime.trivyOperator.airGap leaves them unset).
const trivyDefaultDBRegistry = "mirror.gcr.io"

// Dependencies lists every external endpoint the (defaulted) config makes
// the stack depend on, each with the key that brings it in: the images
// Rampart renders (after the mirror and the overrides), the chart
// repositories, Trivy's databases, the ACME directory and OpenBao issuer
// URLs, OpenBao's API (PKI, transit), the IdP and its mail relay, the audit
// S3 store and the alert sinks. Internal endpoints (Service names,
// loopback and private addresses) are dropped by sovereignty.Assess. The
// state backend is not in the stack config and is not listed.
func (c *Config) Dependencies() []sovereignty.Dependency {
	var deps []sovereignty.Dependency
	k := func(p string) string { return Namespace + ":" + p }
	add := func(key, endpoint, role string) {
		if endpoint != "" {
			deps = append(deps, sovereignty.Dependency{Key: key, Endpoint: endpoint, Role: role})
		}
	}
	images := func(pins ...image.Ref) {
		for _, p := range pins {
			r := c.Images.Resolve(p)
			switch {
			case c.Images.Overridden(p):
				add(verr.Key(k("images.overrides"), p.Repository), r.String(), "image")
			default:
				// Without a mirror the registry is the pin's own: the key
				// that would change it is rampart:images.registry.
				add(k("images.registry"), r.String(), "image")
			}
		}
	}
	charts := func(key string, s chart.Source, p chart.Pin) {
		if s = s.WithDefaults(p); !s.Local() {
			add(key, s.Repository, "chart repository")
		}
	}
	if in := c.Ingress; in.Enabled && in.Chart.Enabled {
		images(ingress.ControllerImage, ingress.ProxyImage, ingress.RateLimitImage)
		charts(k("ingress.chart.repository"), in.Chart.Source, ingress.ChartPin)
	}
	if m := c.CertManager; m.Enabled {
		if m.Chart.Enabled == nil || *m.Chart.Enabled {
			for _, p := range certmanager.Pins() {
				images(p.Ref)
			}
			charts(k("certManager.chart.repository"), m.Chart.Source, certmanager.ChartPin)
		}
		if a := m.ACME; a != nil {
			add(k("certManager.acme.server"), a.Server, "ACME directory")
		}
		if v := m.Vault; v != nil {
			add(k("certManager.vault.server"), v.Server, "issuer (OpenBao)")
		}
	}
	if o := c.OpenBao; o.Enabled {
		if o.needsPin() {
			images(openbao.ServerImage)
			charts(k("openbao.chart.repository"), o.Chart, openbao.ChartPin)
		} else {
			add(k("openbao.apiAddr"), o.APIAddr, "OpenBao API")
		}
		for _, s := range []struct{ key, ref string }{{"openbao.seal.clientImage", o.Seal.ClientImage}, {"openbao.seal.pluginImage", o.Seal.PluginImage}} {
			if s.ref == "" {
				continue
			}
			key, ref := k(s.key), s.ref
			if c.Images.Registry != "" {
				key = k("images.registry")
			}
			if r, err := image.Parse(ref); err == nil {
				ref = c.Images.Mirror(r).String()
			}
			add(key, ref, "image")
		}
	}
	if p := c.PKI; p.Enabled {
		add(k("pki.openbaoURL"), p.OpenBaoURL, "OpenBao API (PKI)")
		if p.Provider.Address != p.OpenBaoURL {
			add(k("pki.provider.address"), p.Provider.Address, "OpenBao API (PKI)")
		}
		if is := p.Issuer; is != nil {
			add(k("pki.issuer.server"), is.Server, "issuer (OpenBao)")
		}
	}
	if m := c.KMS; m.Enabled && m.Provider.Address != "" {
		add(k("kms.provider.address"), m.Provider.Address, "OpenBao API (transit)")
	}
	if kc := c.Keycloak; kc.Enabled {
		add(k("keycloak.provider.url"), kc.Provider.URL, "IdP (Keycloak)")
		if s := kc.SMTP; s != nil {
			add(k("keycloak.smtp.host"), s.Host, "mail relay")
		}
	}
	if a := c.Audit; a.Enabled {
		add(k("audit.endpoint"), a.Endpoint, "audit S3 store")
		if lk := a.Loki; lk != nil && lk.Enabled {
			images(audit.LokiImage)
			charts(k("audit.loki.chart.repository"), lk.Chart, audit.LokiChartPin)
		}
		if g := a.Agent; g != nil && g.Enabled {
			images(audit.AgentImage)
			charts(k("audit.agent.chart.repository"), g.Chart, audit.AgentChartPin)
		}
	}
	if r := c.Runtime; r.Enabled {
		if t := r.TrivyOperator; runtime.Enabled(t.Enabled) {
			images(runtime.DefaultOperatorImage, runtime.DefaultTrivyImage)
			charts(k("runtime.trivyOperator.chart.repository"), t.Chart, runtime.TrivyChartPin)
			g := t.AirGap
			add(k("runtime.trivyOperator.airGap.dbRegistry"), cmp.Or(g.DBRegistry, trivyDefaultDBRegistry), "scanner database")
			add(k("runtime.trivyOperator.airGap.javaDbRegistry"), cmp.Or(g.JavaDBRegistry, trivyDefaultDBRegistry), "scanner database")
			add(k("runtime.trivyOperator.airGap.checksBundleRegistry"), cmp.Or(g.ChecksBundleRegistry, trivyDefaultDBRegistry), "scanner checks bundle")
		}
		if f := r.Falco; runtime.Enabled(f.Enabled) {
			images(runtime.DefaultFalcoImage, runtime.DefaultSidekickImage, runtime.DefaultFalcoctlImage)
			charts(k("runtime.falco.chart.repository"), f.Chart, runtime.FalcoChartPin)
			add(k("runtime.falco.lokiUrl"), f.LokiURL, "alert sink (Loki)")
			add(k("runtime.falco.alertmanagerUrl"), f.AlertmanagerURL, "alert sink (Alertmanager)")
		}
	}
	return deps
}

// SovereigntyFindings is every external endpoint judged by
// rampart:sovereignty (the stack output "sovereignty").
func (c *Config) SovereigntyFindings() []sovereignty.Finding {
	return c.Sovereignty.Assess(c.Dependencies())
}

// validateSovereignty reports rampart:sovereignty's problems and every
// endpoint outside rampart:sovereignty.allowedJurisdictions without an
// exception, at the key that brings it in.
func (c *Config) validateSovereignty(l *verr.List) {
	c.Sovereignty.Validate(l, Namespace+":sovereignty", c.SovereigntyFindings())
}
