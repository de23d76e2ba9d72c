package audit

import (
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/rampart-dev/rampart/helpers/chart"
	"github.com/rampart-dev/rampart/helpers/image"
	"github.com/rampart-dev/rampart/helpers/kname"
	"github.com/rampart-dev/rampart/helpers/netpolicy"
	"github.com/rampart-dev/rampart/helpers/verr"
)

const (
	// DefaultLokiChartVersion is the community Loki chart (grafana-community/
	// helm-charts, where the OSS chart moved in March 2026) release 18.11.0,
	// the newest in that repository at commit 3386a1156177 (2026-08-20); its
	// appVersion is 3.7.6, so the image is overridden to DefaultLokiImageTag.
	DefaultLokiChartVersion = "18.11.0"
	// DefaultLokiChartRepository is the community chart repository;
	// air-gapped sites point chart.repository at an OCI mirror (oci://…).
	DefaultLokiChartRepository = "https://grafana-community.github.io/helm-charts"
	// DefaultLokiNamespace is the platform namespace for the audit pipeline.
	DefaultLokiNamespace = "rampart-audit"
	// LokiUID is the non-root identity the Loki image runs as (its files
	// belong to it).
	LokiUID = 10001
)

// LokiImage is Loki 3.7.7, the first 3.7 release that writes to
// Object-Locked buckets on non-AWS stores (grafana/loki#20088, #21926,
// #22003; 3.6.16 on the 3.6 line), by the image index digest recorded from
// Docker Hub on 2026-09-13 in a public pin record found through the code
// search (no registry is reachable from this machine): check it with
// `crane digest docker.io/grafana/loki:3.7.7` before a production rollout.
var LokiImage = image.Ref{Registry: "docker.io", Repository: "grafana/loki", Tag: "3.7.7",
	Digest: "sha256:d70e4659623f3e109af669cae76fe2a5dd5be54e2298fe8aed380d982fbc2500"}

// Pins are the images the component and its agent render, the keys
// rampart:images.overrides takes for them: a Loki replacement names a
// release that writes to locked buckets, an agent replacement its tag.
func Pins() []image.Pin {
	return []image.Pin{{Ref: LokiImage, Check: checkLokiImage}, {Ref: AgentImage, Check: image.RequireTag}}
}

// checkLokiImage refuses a Loki that cannot write to Object-Locked
// buckets on non-AWS stores (fixed in 3.6.16 and 3.7.7).
func checkLokiImage(l *verr.List, path string, r image.Ref) {
	m := lokiTag.FindStringSubmatch(r.Tag)
	if m == nil {
		l.Add(path, r.String(), "not a Loki 3.x release tag: the version decides whether Loki can write to a locked bucket", "e.g. "+LokiImage.String())
		return
	}
	minor, _ := strconv.Atoi(m[1])
	patch, _ := strconv.Atoi(m[2])
	if floor, ok := MinLokiVersion[minor]; (ok && patch < floor) || minor < 6 {
		l.Add(path, r.String(), "this Loki cannot write to Object-Locked buckets on non-AWS stores (fixed in 3.6.16 and 3.7.7)",
			"3.6.16+ or 3.7.7+")
	}
}

// MinLokiVersion is the oldest Loki per minor line that writes to
// Object-Locked buckets on non-AWS stores: 3.6.0–3.6.10 and 3.7.0–3.7.1
// cannot write to locked buckets at all; 3.6.11+/3.7.2+ broke non-AWS stores.
var MinLokiVersion = map[int]int{6: 16, 7: 7}

// LokiArgs is Loki on the WORM bucket (config key rampart:audit.loki).
type LokiArgs struct {
	// Enabled deploys Loki from its upstream chart; default false. The
	// local profile refuses it: the lab has no nodes to run pods.
	Enabled bool `json:"enabled"`
	// Namespace is where Loki runs; default DefaultLokiNamespace.
	Namespace string `json:"namespace,omitempty"`
	// Chart selects the chart (repository, version).
	Chart chart.Source `json:"chart,omitzero"`
	// RetentionDays is Loki's retention_period in days. Default (nil, the
	// key absent): the bucket's lock period. Longer is refused (the lock
	// ends first, so the setting would promise nothing); shorter needs
	// ShorterRetentionReason, because the lock keeps the bytes in the
	// bucket anyway. A pointer because an explicit 0 is not "unset": it is
	// Loki's "keep forever", longer than any lock, and is refused at its
	// key rather than silently becoming the lock period.
	RetentionDays *int `json:"retentionDays,omitempty"`
	// ShorterRetentionReason states why Loki forgets before the lock ends.
	ShorterRetentionReason string `json:"shorterRetentionReason,omitempty"`
	// Agent is who may push logs (the log agent's namespace and pod labels).
	Agent PeerArgs `json:"agent,omitzero"`
	// Query is who may read logs (e.g. Grafana's namespace and pod labels).
	Query PeerArgs `json:"query,omitzero"`
	// StoreCIDRs are the S3 store's addresses; Loki's only egress (besides
	// DNS from the namespace baseline). Required.
	StoreCIDRs []string `json:"storeCIDRs,omitempty"`
	// Images resolves the Loki image (LokiImage, by digest) through the
	// registry mirror and the per-image overrides; the stack sets it from
	// rampart:images. Zero: the upstream pin.
	Images image.Images `json:"-"`
}

// LokiChartPin is the community Loki chart (config keys chart.repository,
// chart.version).
var LokiChartPin = chart.Pin{Name: "loki", Repository: DefaultLokiChartRepository, Version: DefaultLokiChartVersion}

// PeerArgs names the pods allowed to reach Loki.
type PeerArgs struct {
	// Namespace of the pods. Required.
	Namespace string `json:"namespace,omitempty"`
	// PodLabels select the pods in it. Required (never the whole namespace).
	PodLabels map[string]string `json:"podLabels,omitempty"`
}

func (l LokiArgs) withDefaults(lockDays int) LokiArgs {
	if l.Namespace == "" {
		l.Namespace = DefaultLokiNamespace
	}
	l.Chart = l.Chart.WithDefaults(LokiChartPin)
	if l.RetentionDays == nil {
		l.RetentionDays = new(lockDays)
	}
	return l
}

var lokiTag = regexp.MustCompile(`^v?3\.(\d+)\.(\d+)$`)

// validate reports the Loki block's problems under path (…loki).
func (l LokiArgs) validate(lv *verr.List, path string, lockDays int, keysSecret bool) {
	p := func(k string) string { return verr.Path(path, k) }
	kname.CheckNamespace(lv, p("namespace"), l.Namespace)
	switch days := *l.RetentionDays; {
	case days == 0 && lockDays > 0: // only an explicit 0: the default is the lock period
		lv.NotUnset(p("retentionDays"), 0, fmt.Sprintf("it is Loki's \"keep forever\", longer than the bucket's lock (%d days): Loki would promise what the lock does not", lockDays),
			lockDays, fmt.Sprintf("give a number of days ≤ %d", lockDays))
	case days < 0:
		lv.Add(p("retentionDays"), days, "negative", "a number of days ≤ the lock period, or unset (= the lock period)")
	case lockDays > 0 && days > lockDays:
		lv.Add(p("retentionDays"), days, fmt.Sprintf("longer than the bucket's lock (%d days): Loki would promise what the lock does not", lockDays),
			fmt.Sprintf("≤ %d, or lengthen retention", lockDays))
	case days > 0 && days < lockDays && strings.TrimSpace(l.ShorterRetentionReason) == "":
		lv.Add(p("shorterRetentionReason"), "", fmt.Sprintf("required: Loki forgets after %d days but the lock keeps the bytes for %d", days, lockDays),
			"state why queries may stop earlier than the lock")
	}
	l.Chart.Validate(lv, p("chart"), LokiChartPin)
	for _, peer := range []struct {
		key string
		a   PeerArgs
	}{{"agent", l.Agent}, {"query", l.Query}} {
		kname.CheckNamespace(lv, p(peer.key+".namespace"), peer.a.Namespace)
		if len(peer.a.PodLabels) == 0 {
			lv.Add(p(peer.key+".podLabels"), "", "required: only named pods may reach Loki, never a whole namespace", "e.g. {app.kubernetes.io/name: alloy}")
		}
	}
	if len(l.StoreCIDRs) == 0 {
		lv.Add(p("storeCIDRs"), "", "required: Loki's only egress is the S3 store", "e.g. [\"10.20.0.0/24\"]")
	}
	// The check the rendering's parser agrees with (netip: a leading-zero
	// length such as /032 is refused here, not a panic at render time).
	netpolicy.CheckCIDRs(lv, p("storeCIDRs"), l.StoreCIDRs)
	if !keysSecret {
		lv.Add(verr.Path(path, "credentials"), verr.Redacted, "Loki needs the store's keys as Pulumi secrets",
			"pulumi config set --secret rampart:auditS3AccessKeyId / rampart:auditS3SecretAccessKey")
	}
}

// storePort is the S3 endpoint's port (443 for https, 80 for http).
func storePort(endpoint string) int {
	u, err := url.Parse(endpoint)
	if err != nil || endpoint == "" {
		return 443
	}
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return p
	}
	if u.Scheme == "http" {
		return 80
	}
	return 443
}
