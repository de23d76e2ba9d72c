package config

import (
	"slices"

	"github.com/rampart-dev/rampart/components/audit"
	"github.com/rampart-dev/rampart/components/certmanager"
	"github.com/rampart-dev/rampart/components/ingress"
	"github.com/rampart-dev/rampart/components/openbao"
	"github.com/rampart-dev/rampart/components/runtime"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// ImagePins are the images the stack's components render, as Rampart pins
// them upstream: the keys rampart:images.overrides takes. (Keycloak runs
// outside the stack: its server component is not composed here.)
func ImagePins() []image.Pin {
	return slices.Concat(ingress.Pins(), certmanager.Pins(), openbao.Pins(), audit.Pins(), runtime.Pins())
}

// imagesDefaults hands rampart:images to every section whose component
// renders images, as the stack decides skipAwait for them: each resolves
// its images through the one mirror and the one set of overrides.
func (c *Config) imagesDefaults() {
	c.Ingress.Images = c.Images
	c.OpenBao.Images = c.Images
	c.CertManager.Images = c.Images
	c.Runtime.Images = c.Images
	if c.Audit.Loki != nil {
		c.Audit.Loki.Images = c.Images
	}
	if c.Audit.Agent != nil {
		c.Audit.Agent.Images = c.Images
	}
}

// validateImages reports rampart:images's problems: the mirror, override
// keys that name no image of ImagePins, overrides not pinned by digest or
// refused by their component (a compromised Trivy, a Loki that cannot
// write to a locked bucket).
func (c *Config) validateImages(l *verr.List) {
	c.Images.Validate(l, Namespace+":images", ImagePins())
}

// movedKeys are the per-section image keys rampart:images replaced, with
// the fix that says where their value goes now. The decoder reports them
// at their own path instead of as unknown keys.
var movedKeys = func() map[string]string {
	mirror := "set rampart:images.registry (one mirror for every image Rampart renders) and remove this key"
	override := func(repo string) string {
		return "set " + verr.Key(Namespace+":images.overrides", repo) + " to the full reference pinned by digest, and remove this key"
	}
	return map[string]string{
		Namespace + ":ingress.chart.registry":              mirror,
		Namespace + ":certManager.chart.imageRegistry":     mirror,
		Namespace + ":certManager.chart.imageNamespace":    mirror + " (a mirror may carry a path: registry.example.org/jetstack-mirror)",
		Namespace + ":certManager.chart.digests":           "set " + Namespace + ":images.overrides keyed by jetstack/cert-manager-<image> to full references pinned by digest, and remove this key",
		Namespace + ":runtime.trivyOperator.operatorImage": override(runtime.DefaultOperatorImage.Repository),
		Namespace + ":runtime.trivyOperator.trivyImage":    override(runtime.DefaultTrivyImage.Repository),
		Namespace + ":runtime.falco.image":                 override(runtime.DefaultFalcoImage.Repository),
		Namespace + ":runtime.falco.sidekickImage":         override(runtime.DefaultSidekickImage.Repository),
		Namespace + ":runtime.falco.falcoctlImage":         override(runtime.DefaultFalcoctlImage.Repository),
		Namespace + ":openbao.image":                       override(openbao.ServerImage.Repository),
		Namespace + ":audit.loki.image":                    override(audit.LokiImage.Repository),
		Namespace + ":audit.agent.image":                   override(audit.AgentImage.Repository),
	}
}()

// movedWhy is why a moved key is refused.
const movedWhy = "moved: rampart:images obtains every image Rampart renders (a registry mirror, per-image overrides by digest)"
