package keycloak

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"

	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/verr"
)

// ServerTypeToken is the Pulumi type of the in-cluster Keycloak server.
const ServerTypeToken = "rampart:keycloak:Server"

// KeycloakVersion is the Keycloak release Rampart pins (the lab runs the
// same version from Maven Central; lab/versions.env).
const KeycloakVersion = "26.4.0"

// OperatorAPIVersion is the Keycloak Operator API the Server's custom
// resource uses; k8s.keycloak.org/v2alpha1 is served by the 26.x operators.
const OperatorAPIVersion = "k8s.keycloak.org/v2alpha1"

// ServerArgs deploys Keycloak in the cluster through the upstream Keycloak
// Operator (installed separately, pinned to KeycloakVersion: its CRDs and
// Deployment from github.com/keycloak/keycloak-k8s-resources at that tag).
// The other deployment mode is external: run Keycloak anywhere (a managed
// service, HSM-attached VMs, the lab) and point the keycloak provider at it;
// NewRealm works the same on both.
type ServerArgs struct {
	// Namespace (required) is an existing namespace labelled PSS restricted.
	Namespace string
	// Hostname (required) is the public URL, e.g. https://id.example.org;
	// strict hostname checking is on, so tokens always carry this issuer.
	Hostname string
	// TLSSecret (required) names a kubernetes.io/tls Secret for the HTTPS
	// listener (cert-manager from the pki issuer). Plain HTTP is disabled. ISM-1139.
	TLSSecret string
	// DB is the external PostgreSQL database (required).
	DB Database
	// BootstrapAdminSecret (required) names a Secret with keys client-id and
	// client-secret: Keycloak bootstraps a temporary service-account client
	// from it, never an admin user with a password (the STOA security hardening checklist: no default
	// admin). The keycloak provider authenticates with that client.
	BootstrapAdminSecret string
	// Instances defaults to 2 (one may restart while the other serves); valid 1-9.
	Instances int
	// Images resolves the server image (Image) through the registry mirror
	// and the per-image overrides. The upstream image is pinned by tag only
	// (no verified digest here): in production pin it by digest with an
	// override of "keycloak/keycloak" (supply chain, ISM-1493), or replace
	// it with an image pre-built with `kc.sh build` (see Optimized).
	Images image.Images
	// Optimized says the image the override of "keycloak/keycloak" names
	// was pre-built with `kc.sh build` (db=postgres, health on): it starts
	// without re-augmenting, so its root filesystem is read-only. Default
	// false: the upstream image must re-augment at start and needs a
	// writable root filesystem. Requires that override.
	Optimized bool
}

// Image is the upstream Keycloak image, pinned by tag (KeycloakVersion).
var Image = image.Ref{Registry: "quay.io", Repository: "keycloak/keycloak", Tag: KeycloakVersion}

// Pins are the images NewServer renders, the keys of ServerArgs.Images's
// overrides.
func Pins() []image.Pin { return []image.Pin{{Ref: Image}} }

// Database is Keycloak's external database.
type Database struct {
	// Host (required) of the PostgreSQL server.
	Host string
	// Port defaults to 5432.
	Port int
	// Name defaults to "keycloak".
	Name string
	// Secret (required) names a Secret with keys username and password; the
	// values never enter Pulumi state.
	Secret string
}

// Server is Keycloak deployed by the Keycloak Operator.
type Server struct {
	pulumi.ResourceState

	// URL is the public URL (the keycloak provider's url).
	URL pulumi.StringOutput `pulumi:"url"`
}

var (
	dnsLabel = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dnsName  = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
)

func (a *ServerArgs) withDefaults() {
	a.Instances = cmp.Or(a.Instances, 2)
	a.DB.Port = cmp.Or(a.DB.Port, 5432)
	a.DB.Name = cmp.Or(a.DB.Name, "keycloak")
}

// Validate reports every problem of a (defaults applied) under prefix:
// relative paths ("db.host") with prefix "", the caller's key paths otherwise.
func (a *ServerArgs) Validate(prefix string) error {
	var l verr.List
	at := func(key string) string { return verr.Path(prefix, key) }
	if !dnsLabel.MatchString(a.Namespace) {
		l.Add(at("namespace"), a.Namespace, "not a namespace name", "give the namespace the namespace component created")
	}
	if u, err := url.Parse(a.Hostname); err != nil || u.Scheme != "https" || u.Host == "" || (u.Path != "" && u.Path != "/") {
		l.Add(at("hostname"), a.Hostname, "must be an https:// URL without a path", "use e.g. https://id.example.org")
	}
	for _, s := range []struct{ key, name string }{{"tlsSecret", a.TLSSecret}, {"db.secret", a.DB.Secret}, {"bootstrapAdminSecret", a.BootstrapAdminSecret}} {
		if !dnsName.MatchString(s.name) {
			l.Add(at(s.key), s.name, "must name an existing Secret", "create the Secret first (cert-manager, the database operator, OpenBao)")
		}
	}
	if a.DB.Secret != "" && a.DB.Secret == a.BootstrapAdminSecret {
		l.Add(at("bootstrapAdminSecret"), a.BootstrapAdminSecret, "is the database Secret: the admin client and the database must not share credentials", "use a separate Secret")
	}
	if !dnsName.MatchString(a.DB.Host) {
		l.Add(at("db.host"), a.DB.Host, "not a host name", "give the PostgreSQL service's DNS name")
	}
	if a.DB.Port < 1 || a.DB.Port > 65535 {
		l.Add(at("db.port"), a.DB.Port, "not a TCP port", "use 5432")
	}
	if a.Instances < 1 || a.Instances > 9 {
		l.Add(at("instances"), a.Instances, "must be 1-9", "use 2")
	}
	a.Images.ValidateFor(&l, at("images"), Pins())
	if a.Optimized && !a.Images.Overridden(Image) {
		l.Add(at("optimized"), true, "the upstream image is not pre-built with kc.sh build", `override "keycloak/keycloak" in images with your pre-built image, by digest`)
	}
	return l.Err()
}

// keycloakUID is the upstream image's user (owner of /opt/keycloak): the
// pod runs as it rather than hardening.UID, or the start-time build could
// not write its files.
const keycloakUID = 1000

// podTemplate is merged by the operator into the pods it creates: the PSS
// restricted contexts (the operator sets none of them itself), from the
// shared hardening values. The upstream image's start-time build writes
// under /opt/keycloak, so the root filesystem is read-only only with an
// optimized image, whose writable paths are emptyDirs.
func (a *ServerArgs) podTemplate(optimized bool) map[string]any {
	sc := hardening.ContainerSecurityContextValues()
	sc["readOnlyRootFilesystem"] = optimized
	container := map[string]any{"name": "keycloak", "securityContext": sc}
	spec := map[string]any{
		"securityContext": hardening.PodSecurityContextValues(keycloakUID),
		"containers":      []any{container},
	}
	if optimized {
		container["volumeMounts"] = []any{
			map[string]any{"name": "tmp", "mountPath": "/tmp"},
			map[string]any{"name": "data", "mountPath": "/opt/keycloak/data"},
		}
		spec["volumes"] = []any{
			map[string]any{"name": "tmp", "emptyDir": map[string]any{}},
			map[string]any{"name": "data", "emptyDir": map[string]any{}},
		}
	}
	return map[string]any{"spec": spec}
}

// NewServer registers the Keycloak custom resource. The realm is configured
// separately with NewRealm through a keycloak provider whose url is
// Server.URL and whose client is the bootstrap service account.
func NewServer(ctx *pulumi.Context, name string, args *ServerArgs, opts ...pulumi.ResourceOption) (*Server, error) {
	if args == nil {
		return nil, fmt.Errorf("keycloak server %q: args are required", name)
	}
	a := *args
	a.withDefaults()
	if err := a.Validate(""); err != nil {
		return nil, fmt.Errorf("keycloak server %q: invalid args:\n%w", name, err)
	}
	comp := &Server{}
	if err := ctx.RegisterComponentResource(ServerTypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("keycloak server %q: register component: %w", name, err)
	}
	spec := map[string]any{
		"instances":      a.Instances,
		"image":          a.Images.Resolve(Image).String(),
		"startOptimized": a.Optimized,
		"db": map[string]any{
			"vendor": "postgres", "host": a.DB.Host, "port": a.DB.Port, "database": a.DB.Name,
			"usernameSecret": map[string]any{"name": a.DB.Secret, "key": "username"},
			"passwordSecret": map[string]any{"name": a.DB.Secret, "key": "password"},
		},
		// No HTTP listener: Keycloak checks the realm's sslRequired against
		// its hostname URL, so only a closed listener keeps HTTP out.
		"http":     map[string]any{"httpEnabled": false, "tlsSecret": a.TLSSecret},
		"hostname": map[string]any{"hostname": a.Hostname, "strict": true},
		// Exposure belongs to the ingress component (Gateway API), not the operator.
		"ingress": map[string]any{"enabled": false},
		// Impersonation lets an admin act as any user without their factors.
		"features":       map[string]any{"disabled": []any{"impersonation"}},
		"bootstrapAdmin": map[string]any{"service": map[string]any{"secret": a.BootstrapAdminSecret}},
		// JSON logs: login and admin events reach the audit trail (Loki) parsed.
		"additionalOptions": []any{map[string]any{"name": "log-console-output", "value": "json"}},
		"unsupported":       map[string]any{"podTemplate": a.podTemplate(a.Optimized)},
	}
	if _, err := apiextensions.NewCustomResource(ctx, name+"-keycloak", &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(OperatorAPIVersion),
		Kind:       pulumi.String("Keycloak"),
		Metadata: &metav1.ObjectMetaArgs{
			Name:      pulumi.String(kname.Join(name)),
			Namespace: pulumi.String(a.Namespace),
			Labels:    pulumi.StringMap{"app.kubernetes.io/name": pulumi.String("keycloak"), "app.kubernetes.io/version": pulumi.String(KeycloakVersion)},
		},
		OtherFields: kubernetes.UntypedArgs{"spec": spec},
	}, pulumi.Parent(comp)); err != nil {
		return nil, fmt.Errorf("keycloak server %q: create Keycloak resource: %w", name, err)
	}
	comp.URL = pulumi.String(a.Hostname).ToStringOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{"url": comp.URL}); err != nil {
		return nil, fmt.Errorf("keycloak server %q: register outputs: %w", name, err)
	}
	return comp, nil
}
