package trivyscan

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/rampart-dev/rampart/infra/config"
	"github.com/rampart-dev/rampart/internal/recmock"
	"github.com/rampart-dev/rampart/internal/testkit"
	"gopkg.in/yaml.v3"
)

// prodGraph runs the real program with Pulumi.prod.yaml's config under the
// recording mock (as the policy tier does); the operator's secrets are
// placeholders, which never reach a manifest (Secret values are redacted
// before writing).
func prodGraph(t *testing.T) (*recmock.Recorder, *config.Config) {
	t.Helper()
	return testkit.RunStackFile(t, "../..", "Pulumi.prod.yaml")
}

// stackFileConfig reads the config map of a committed stack file.
func stackFileConfig(t *testing.T, file string) map[string]any {
	t.Helper()
	return testkit.StackFile(t, "../..", file)
}

// object is one Kubernetes manifest and where it came from.
type object struct {
	Ref      string // "Kind namespace/name", the table's object column
	Kind     string
	Manifest map[string]any
}

// skipped is a recorded kubernetes:* resource that is not written out, and why.
type skipped struct{ Type, Name, Why string }

// Type tokens that are not one Kubernetes object each.
const (
	chartType       = "kubernetes:helm.sh/v4:Chart"
	customResource  = "kubernetes:apiextensions.k8s.io:CustomResource"
	configGroupType = "kubernetes:yaml/v2:ConfigGroup"
)

// apiVersionKind maps a Pulumi Kubernetes type token to the manifest's
// apiVersion and kind: "kubernetes:core/v1:Namespace" → v1 Namespace,
// "kubernetes:networking.k8s.io/v1:NetworkPolicy" → networking.k8s.io/v1.
func apiVersionKind(token string) (apiVersion, kind string, ok bool) {
	parts := strings.Split(token, ":")
	if len(parts) != 3 || parts[0] != "kubernetes" || !strings.Contains(parts[1], "/") {
		return "", "", false
	}
	apiVersion = strings.TrimPrefix(parts[1], "core/")
	return apiVersion, parts[2], true
}

// graphManifests turns every recorded kubernetes:* resource back into the
// manifest the provider would send: its inputs are the object (apiVersion,
// kind, metadata, spec, data, rules…). Charts, patches and ConfigGroups
// without inline objects are returned as skipped, with the reason.
func graphManifests(rec *recmock.Recorder) ([]object, []skipped) {
	var objs []object
	var skips []skipped
	for _, r := range rec.All() {
		if !strings.HasPrefix(r.Type, "kubernetes:") {
			continue
		}
		switch {
		case r.Type == chartType:
			skips = append(skips, skipped{r.Type, r.Name, "under mocks a chart is its values, not its rendered manifests, and charts cannot be downloaded here to render them"})
			continue
		case r.Type == configGroupType:
			docs, why := configGroupObjects(r.Plain())
			if why != "" {
				skips = append(skips, skipped{r.Type, r.Name, why})
			}
			for _, d := range docs {
				objs = append(objs, newObject(d, r.Name))
			}
			continue
		case strings.HasSuffix(r.Type, "Patch"):
			skips = append(skips, skipped{r.Type, r.Name, "a server-side-apply patch of an object Rampart does not create; only its patched fields exist here"})
			continue
		case strings.HasSuffix(r.Type, "List"):
			skips = append(skips, skipped{r.Type, r.Name, "a list wrapper"})
			continue
		}
		m := r.Plain()
		if r.Type != customResource {
			av, kind, ok := apiVersionKind(r.Type)
			if !ok {
				skips = append(skips, skipped{r.Type, r.Name, "not a Kubernetes object type"})
				continue
			}
			m["apiVersion"], m["kind"] = av, kind
		}
		objs = append(objs, newObject(m, r.Name))
	}
	return objs, skips
}

// configGroupObjects reads a yaml/v2 ConfigGroup's inline objects (objs, or
// the yaml text); files on disk are not read.
func configGroupObjects(in map[string]any) ([]map[string]any, string) {
	var out []map[string]any
	if arr, ok := in["objs"].([]any); ok {
		for _, o := range arr {
			if m, ok := o.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	if s, ok := in["yaml"].(string); ok {
		dec := yaml.NewDecoder(strings.NewReader(s))
		for {
			var m map[string]any
			if err := dec.Decode(&m); err != nil {
				break
			}
			if m != nil {
				out = append(out, m)
			}
		}
	}
	if len(out) == 0 {
		return nil, "a ConfigGroup whose objects come from files or URLs, not inline"
	}
	return out, ""
}

// newObject names the manifest (a resource without metadata.name is
// auto-named from its logical name) and redacts Secret values: they do not
// change any misconfiguration check and stay out of the scan directory.
func newObject(m map[string]any, logical string) object {
	meta, _ := m["metadata"].(map[string]any)
	if meta == nil {
		meta = map[string]any{}
		m["metadata"] = meta
	}
	if meta["name"] == nil || meta["name"] == "" {
		meta["name"] = logical
	}
	kind, _ := m["kind"].(string)
	if kind == "Secret" {
		for _, k := range []string{"data", "stringData"} {
			if d, ok := m[k].(map[string]any); ok {
				for key := range d {
					d[key] = "cmVkYWN0ZWQ=" // "redacted"
				}
			}
		}
	}
	ref := kind + " " + fmt.Sprint(meta["name"])
	if ns, _ := meta["namespace"].(string); ns != "" {
		ref = kind + " " + ns + "/" + fmt.Sprint(meta["name"])
	}
	return object{Ref: ref, Kind: kind, Manifest: m}
}

// sortObjects orders objects by reference, for stable file names and tables.
func sortObjects(objs []object) {
	sort.Slice(objs, func(i, j int) bool { return objs[i].Ref < objs[j].Ref })
}
