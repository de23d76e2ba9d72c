package inventory

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/sig"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
)

// State is what the stack's state declares: every Kubernetes object by
// Ref with the URN of the resource that declares it, and the namespaces the
// stack manages. It is read from the state, never from the cluster, so a
// live object can be told apart from a declared one.
type State struct {
	// Declared maps each declared object to its resource's URN.
	Declared map[Ref]string
	// Namespaces are the names of the declared Namespace objects, sorted:
	// the namespaces whose objects the inventory lists.
	Namespaces []string
}

// typePrefix starts the type token of every pulumi-kubernetes resource.
const typePrefix = "kubernetes:"

// patchSuffix ends the type token of pulumi-kubernetes' server-side-apply
// patches (kubernetes:core/v1:ServiceAccountPatch).
const patchSuffix = "Patch"

// TypeToken is the pulumi-kubernetes type token of a kind:
// kubernetes:<group>/<version>:<Kind>, the core group ("") spelled "core"
// (kubernetes:core/v1:Namespace). It is the inverse of what FromDeployment
// reads, so a live object can be fed to code written against the state.
func TypeToken(group, version, kind string) string {
	if group == "" {
		group = "core"
	}
	return typePrefix + group + "/" + version + ":" + kind
}

// parseTypeToken splits a pulumi-kubernetes type token into group ("" for
// core), version and kind; ok is false for tokens of another provider and
// for the provider resource itself.
func parseTypeToken(tok string) (group, version, kind string, ok bool) {
	rest, found := strings.CutPrefix(tok, typePrefix)
	if !found {
		return "", "", "", false
	}
	gv, kind, found := strings.Cut(rest, ":")
	if !found || kind == "" || strings.Contains(kind, ":") {
		return "", "", "", false
	}
	group, version, found = strings.Cut(gv, "/")
	if !found || group == "" || version == "" {
		return "", "", "", false
	}
	if group == "core" {
		group = ""
	}
	return group, version, kind, true
}

// FromDeployment reads the declared objects and managed namespaces from a
// stack's deployment (`pulumi stack export`, secrets shown or not).
//
// Declared: every pulumi-kubernetes resource (type kubernetes:<group>/
// <version>:<Kind>) that is not pending deletion, not a provider and not
// read with a get (External: the stack references it but does not own
// it), whose Outputs (or, before the first successful create, Inputs)
// carry metadata.name. Components (helm.sh/v4:Chart, yaml/v2:ConfigGroup)
// have no metadata and are skipped; their children are resources of their
// own. A <Kind>Patch resource declares the object it patches (the stack
// holds fields of it), but a NamespacePatch does not make a namespace
// managed: patching kube-system's labels must not pull kube-system's
// objects into the inventory.
//
// A namespaced object whose state carries no namespace gets its provider's
// namespace input, else "default", as pulumi-kubernetes does.
func FromDeployment(dep apitype.DeploymentV3) State {
	st := State{Declared: map[Ref]string{}}
	providerNS := map[string]string{}
	for _, r := range dep.Resources {
		if strings.HasPrefix(string(r.Type), "pulumi:providers:kubernetes") {
			if ns, ok := stringAt(r.Inputs, "namespace"); ok {
				providerNS[string(r.URN)] = ns
			}
		}
	}
	namespaces := map[string]bool{}
	for _, r := range dep.Resources {
		if r.Delete || r.External {
			continue
		}
		group, _, kind, ok := parseTypeToken(string(r.Type))
		if !ok {
			continue
		}
		props := r.Outputs
		if _, ok := stringAt(props, "metadata", "name"); !ok {
			props = r.Inputs
		}
		name, ok := stringAt(props, "metadata", "name")
		if !ok || name == "" {
			continue
		}
		patch := false
		if k, cut := strings.CutSuffix(kind, patchSuffix); cut && k != "" {
			kind, patch = k, true
		}
		ns, _ := stringAt(props, "metadata", "namespace")
		if ns == "" && namespaced(group, kind) {
			ns = "default"
			if p, ok := providerNS[providerURN(r.Provider)]; ok && p != "" {
				ns = p
			}
		}
		st.Declared[Ref{Group: group, Kind: kind, Namespace: ns, Name: name}] = string(r.URN)
		if group == "" && kind == "Namespace" && !patch {
			namespaces[name] = true
		}
	}
	for ns := range namespaces {
		st.Namespaces = append(st.Namespaces, ns)
	}
	slices.Sort(st.Namespaces)
	return st
}

// namespaced reports a kind the inventory lists per namespace. Kinds it
// does not list are not needed: their objects are never looked up by Ref
// except as owners, whose namespace comes from the dependent.
func namespaced(group, kind string) bool {
	k, ok := inventorykinds.Lookup(group, kind)
	return ok && k.Namespaced
}

// providerURN is the URN part of a provider reference ("<urn>::<id>").
func providerURN(ref string) string {
	if i := strings.LastIndex(ref, "::"); i >= 0 {
		return ref[:i]
	}
	return ref
}

// stringAt reads a string at path in a state property map, looking through
// secret wrappers exported with --show-secrets (an encrypted value reads
// as absent).
func stringAt(m map[string]any, path ...string) (string, bool) {
	var v any = m
	for _, p := range path {
		obj, ok := unwrapSecret(v).(map[string]any)
		if !ok {
			return "", false
		}
		v = obj[p]
	}
	s, ok := unwrapSecret(v).(string)
	return s, ok
}

// unwrapSecret returns a secret's plaintext value (JSON-decoded), or v
// when it is not a secret.
func unwrapSecret(v any) any {
	obj, ok := v.(map[string]any)
	if !ok || obj[sig.Key] != sig.Secret {
		return v
	}
	plain, ok := obj["plaintext"].(string)
	if !ok {
		return nil
	}
	var out any
	if err := json.Unmarshal([]byte(plain), &out); err != nil {
		return nil
	}
	return out
}
