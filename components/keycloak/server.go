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
	// from it, never an admin user with a password (seed 000: no default
	// admin). The keycloak provider authenticates with that client.
	BootstrapAdminSecret string
	// Instances defaults to 2 (one may restart while the other serves); valid 1-9.
	Instances int
	// OptimizedImage is an image pre-built with `kc.sh build` (db=postgres,
	// health on). Default "" runs the upstream image
	// quay.io/keycloak/keycloak:KeycloakVersion, which must re-augment at start
	// and so needs a writable root filesystem; with an optimized image the
	// root filesystem is read-only. Give it by digest (…@sha256:…).
	OptimizedImage string
	// ImageDigest pins the upstream image by digest ("sha256:<64 hex>").
	// Default "" pins by tag only; set it in production (supply chain, ISM-1493).
	ImageDigest string
}

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
	dnsLabel  = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	dnsName   = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
	digest    = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
	pinnedRef = regexp.MustCompile(`@sha256:[0-9a-f]{64}$`)
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
	if a.ImageDigest != "" && !digest.MatchString(a.ImageDigest) {
		l.Add(at("imageDigest"), a.ImageDigest, "not a sha256 digest", "use sha256:<64 hex digits> from the registry")
	}
	if a.OptimizedImage != "" && !pinnedRef.MatchString(a.OptimizedImage) {
		l.Add(at("optimizedImage"), a.OptimizedImage, "a custom image must be pinned by digest", "use registry/name@sha256:<digest>")
	}
	if a.OptimizedImage != "" && a.ImageDigest != "" {
		l.Add(at("imageDigest"), a.ImageDigest, "pins the upstream image, which optimizedImage replaces", "set only one of optimizedImage and imageDigest")
	}
	return l.Err()
}

// image returns the container image and whether it is pre-built (optimized).
func (a *ServerArgs) image() (string, bool) {
	if a.OptimizedImage != "" {
		return a.OptimizedImage, true
	}
	ref := "quay.io/keycloak/keycloak:" + KeycloakVersion
	if a.ImageDigest != "" {
		ref += "@" + a.ImageDigest
	}
	return ref, false
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
	img, optimized := a.image()
	spec := map[string]any{
		"instances":      a.Instances,
		"image":          img,
		"startOptimized": optimized,
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
		"unsupported":       map[string]any{"podTemplate": a.podTemplate(optimized)},
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
