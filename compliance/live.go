package compliance

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/rampart-dev/rampart/helpers/inventorykinds"
	"github.com/rampart-dev/rampart/inventory"
)

// ClassificationNote says how the inventory tells where a live object
// comes from; the reports print it above the typed controller rules.
const ClassificationNote = "declared = in the stack's state; owned = follows ownerReferences to its root " +
	"(only controller references a built-in controller writes — Deployment → ReplicaSet → Pod, DaemonSet, StatefulSet or Job → Pod, " +
	"CronJob → Job — carrying the listed owner's UID; any other reference is ignored) " +
	"and is unmanaged exactly when its root is; known-controller = a typed rule below matches it; " +
	"unmanaged = none of these (created out of band). Each object shows its earliest field manager " +
	"(the one whose last write is the oldest: usually, not provably, its creator; the audit log is the proof) and creation time"

// LiveSummary is what the reports say about the read of the live cluster.
type LiveSummary struct {
	// Server is the API server the objects were read from.
	Server string `json:"server"`
	// Read is when they were listed.
	Read time.Time `json:"read"`
	// Namespaces are the managed namespaces (the state's) listed.
	Namespaces []string `json:"namespaces"`
	// Kinds are the kinds listed ("networking.k8s.io/NetworkPolicy").
	Kinds []string `json:"kinds"`
	// Rules are the typed controller rules that classified the objects,
	// each with its reason.
	Rules []inventory.Controller `json:"rules"`
	// AllowRules are the typed judgement rules that let an object pass an
	// item it would otherwise fail (the broad-group RBAC allowance).
	AllowRules []AllowRule `json:"allowRules"`
	// Counts are the objects listed by origin (declared, owned,
	// known-controller, unmanaged).
	Counts map[string]int `json:"counts"`
	// Unmanaged are the objects nobody declared (unmanaged, or owned by an
	// unmanaged root), with their earliest field manager and creation time.
	Unmanaged []LiveObject `json:"unmanaged"`
	// Gone are the declared objects the state holds and the cluster lacks.
	Gone []string `json:"gone,omitempty"`
}

// LiveObject names one live object for the reports.
type LiveObject struct {
	// Object is "Kind ns/name".
	Object string `json:"object"`
	Kind   string `json:"kind"`
	// Origin is its inventory origin ("unmanaged", "owned by … (unmanaged)").
	Origin string `json:"origin"`
	// Creator is the earliest field manager and creation time
	// (inventory.Object.Provenance), as far as the API tells: not proof of
	// who created the object.
	Creator string `json:"creator"`
}

// AllowRule is a typed judgement rule: what it lets pass and why.
type AllowRule struct {
	Name   string `json:"name"`
	Grants string `json:"grants"`
	Reason string `json:"reason"`
}

// AssessLive evaluates every checklist item against a stack's deployment
// merged with a read of the live cluster (inv; nil assesses the state
// alone, as Assess does). A declared object the cluster returned is judged
// on its live fields; a declared object of a listed kind in a managed
// namespace the cluster lacks is gone (its item reports it missing, the
// state's copy is never judged); every undeclared object (owned, created
// by a known controller, unmanaged) is judged beside the declared ones by
// the same item logic, so an allow-all policy added out of band fails the
// namespace's netpol item. Evidence says what each fact stands on.
func AssessLive(stack string, dep apitype.DeploymentV3, inv *inventory.Inventory, now time.Time) *Assessment {
	s := index(dep)
	if inv != nil {
		s.merge(inv)
	}
	a := &Assessment{Stack: stack, Generated: now.UTC()}
	if p, ok := s.output("profile"); ok {
		a.Profile = show(p)
	}
	a.Exemptions = s.exemptionRecords()
	for _, it := range Checklist() {
		r := Result{Item: it, Verdict: NotDeployed, Evidence: []Evidence{}}
		if eval, ok := evaluators[it.ID]; ok {
			deployed, ev := eval(s)
			if ev != nil {
				r.Evidence = s.attribute(ev)
			}
			r.Verdict = verdict(deployed, ev)
		}
		a.Results = append(a.Results, r)
	}
	a.Controls = rollUp(a.Results)
	if inv != nil {
		a.Live = s.liveSummary()
	}
	return a
}

// goneObject is a declared object the cluster lacks.
type goneObject struct {
	obj *object
	ref inventory.Ref
}

// liveKey is the key of an object the stack does not declare: it has no
// Pulumi URN, so its evidence is found by this key and then shown by its
// Kubernetes name (Evidence.Object) with an empty URN.
func liveKey(r inventory.Ref) string { return liveKeyPrefix + r.Group + ":" + r.String() }

// liveKeyPrefix starts every liveKey; no Pulumi URN does ("urn:pulumi:").
const liveKeyPrefix = "k8s:"

// kindKey is a kind with its API group ("" for core).
type kindKey struct{ group, kind string }

// merge folds the inventory into the state (see AssessLive).
func (s *state) merge(inv *inventory.Inventory) {
	s.inv = inv
	s.liveRefs = map[inventory.Ref]*object{}
	managed := stringSet(inv.Namespaces)
	listed := listedKinds(inv)
	byURN := map[string]*inventory.Object{}
	byRef := map[inventory.Ref]*inventory.Object{}
	for i := range inv.Objects {
		lo := &inv.Objects[i]
		if lo.Origin != inventory.Declared {
			continue
		}
		if lo.URN != "" {
			byURN[lo.URN] = lo
		}
		byRef[lo.Ref] = lo
	}
	merged := map[*inventory.Object]*object{}
	var objects []*object
	for _, o := range s.objects {
		ref, ok := stateRef(o)
		if !ok {
			objects = append(objects, o)
			continue
		}
		lo := byURN[o.URN]
		if lo == nil {
			lo = byRef[ref]
		}
		switch {
		case lo != nil:
			// Read as live: the state's fields (and its declared inputs)
			// never stand in for what the cluster returned. Two resources
			// declaring one object (a patch beside its owner) both read it.
			o.Outputs, o.Inputs, o.live = lo.Object, nil, lo
			if o.Outputs == nil {
				o.Outputs = map[string]any{}
			}
			if merged[lo] == nil {
				merged[lo] = o
			}
		case listed[kindKey{ref.Group, ref.Kind}] && inManaged(ref, managed):
			s.gone = append(s.gone, goneObject{o, ref})
			continue
		}
		objects = append(objects, o)
	}
	for i := range inv.Objects {
		lo := &inv.Objects[i]
		o := merged[lo]
		if o == nil {
			o = &object{URN: liveKey(lo.Ref), Type: liveType(lo), Outputs: lo.Object, live: lo}
			if o.Outputs == nil {
				o.Outputs = map[string]any{}
			}
			if lo.Origin == inventory.Declared && lo.URN != "" && s.byKey[lo.URN] == nil {
				o.URN = lo.URN // declared, its state copy not found by name
			}
			s.byKey[o.URN] = o
			// The managed namespaces are the state's: an undeclared
			// Namespace is not judged as one of them.
			if lo.Ref.Kind != "Namespace" || lo.Origin == inventory.Declared {
				objects = append(objects, o)
			}
		}
		s.liveObjs = append(s.liveObjs, o)
		s.liveRefs[lo.Ref] = o
	}
	s.objects = objects
	s.types = map[string][]*object{}
	for _, o := range objects {
		s.types[o.Type] = append(s.types[o.Type], o)
	}
	for _, l := range s.types {
		sort.SliceStable(l, func(i, j int) bool { return l[i].URN < l[j].URN })
	}
	s.policies = nil
}

// liveRef is the live object named r, if the inventory holds it.
func (s *state) liveRef(r inventory.Ref) *object { return s.liveRefs[r] }

// managedNamespace reports a namespace the inventory listed as managed.
func (s *state) managedNamespace(ns string) bool {
	return s.inv != nil && slices.Contains(s.inv.Namespaces, ns)
}

// stateRef names a state resource as a Kubernetes object, if it is one.
func stateRef(o *object) (inventory.Ref, bool) {
	rest, ok := strings.CutPrefix(o.Type, "kubernetes:")
	if !ok {
		return inventory.Ref{}, false
	}
	gv, k, ok := strings.Cut(rest, ":")
	if !ok {
		return inventory.Ref{}, false
	}
	group, _, _ := strings.Cut(gv, "/")
	if group == "core" {
		group = ""
	}
	name := o.str("metadata.name")
	if name == "" {
		return inventory.Ref{}, false
	}
	r := inventory.Ref{Group: group, Kind: k, Name: name, Namespace: o.str("metadata.namespace")}
	if kd, ok := inventorykinds.Lookup(group, k); ok {
		switch {
		case !kd.Namespaced:
			r.Namespace = ""
		case r.Namespace == "":
			r.Namespace = "default" // the API's default for a namespaced object
		}
	}
	return r, true
}

// listedKinds are the kinds the inventory says it listed ("group/Kind";
// a core kind as "Kind", "/Kind", "core/Kind" or "v1/Kind"; a version
// after the group is ignored). An inventory that does not say lists
// inventorykinds.All.
func listedKinds(inv *inventory.Inventory) map[kindKey]bool {
	out := map[kindKey]bool{}
	if len(inv.Kinds) == 0 {
		for _, kd := range inventorykinds.All {
			out[kindKey{kd.Group, kd.Kind}] = true
		}
		return out
	}
	for _, s := range inv.Kinds {
		k, group := s, ""
		if i := strings.LastIndex(s, "/"); i >= 0 {
			k, group = s[i+1:], s[:i]
		}
		group, _, _ = strings.Cut(group, "/")
		if group == "core" || apiVersionRe.MatchString(group) {
			group = ""
		}
		out[kindKey{group, k}] = true
	}
	return out
}

// apiVersionRe matches a bare API version ("v1", "v1beta1"): the core
// group spelled by its version.
var apiVersionRe = regexp.MustCompile(`^v[0-9]+((alpha|beta)[0-9]+)?$`)

// inManaged reports an object in a managed namespace, or a managed
// namespace itself.
func inManaged(r inventory.Ref, managed map[string]bool) bool {
	if r.Namespace != "" {
		return managed[r.Namespace]
	}
	return r.Kind == "Namespace" && r.Group == "" && managed[r.Name]
}

// liveType is the Pulumi type token the evaluators look a live object up
// by: the version inventorykinds lists (the one the evaluators' tokens
// use), else the object's own apiVersion.
func liveType(lo *inventory.Object) string {
	version := ""
	if kd, ok := inventorykinds.Lookup(lo.Ref.Group, lo.Ref.Kind); ok {
		version = kd.Version
	} else if i := strings.LastIndex(lo.APIVersion, "/"); i >= 0 {
		version = lo.APIVersion[i+1:]
	} else {
		version = lo.APIVersion
	}
	return inventory.TypeToken(lo.Ref.Group, version, lo.Ref.Kind)
}

func stringSet(l []string) map[string]bool {
	out := make(map[string]bool, len(l))
	for _, s := range l {
		out[s] = true
	}
	return out
}

// attribute says what each fact stands on: a fact located on a live object
// is live (with the object's name, origin and provenance; an object the stack
// does not declare keeps no URN), any other one is the state's. Facts whose
// source an evaluator set are left alone.
func (s *state) attribute(ev []Evidence) []Evidence {
	for i := range ev {
		e := &ev[i]
		if e.Source != "" {
			continue
		}
		o := s.byKey[e.URN]
		if o == nil || o.live == nil {
			e.Source = FromState
			continue
		}
		describeLive(e, o.live)
	}
	return ev
}

// describeLive marks e as read from the live object lo.
func describeLive(e *Evidence, lo *inventory.Object) {
	e.Source = FromLive
	e.Object = lo.Ref.String()
	e.Origin = originText(lo)
	e.Creator = lo.Provenance()
	switch {
	case lo.Origin != inventory.Declared:
		e.URN = ""
	case strings.HasPrefix(e.URN, liveKeyPrefix):
		e.URN = lo.URN // declared, its state copy not matched: the inventory's URN
	}
}

// originText is a live object's origin as the reports show it.
func originText(lo *inventory.Object) string {
	switch {
	case lo.Origin == inventory.Owned && lo.Owner != nil:
		return fmt.Sprintf("owned by %s (%s)", lo.Owner.String(), cmp.Or(string(lo.OwnerOrigin), "unknown"))
	case lo.Origin == inventory.KnownController && lo.Rule != "":
		return fmt.Sprintf("%s (%s)", lo.Origin, lo.Rule)
	}
	return string(lo.Origin)
}

// goneEvidence are the failing facts of the declared objects of the given
// kinds the cluster lacks.
func (s *state) goneEvidence(kinds ...string) []Evidence {
	var ev []Evidence
	for _, g := range s.gone {
		if !slices.Contains(kinds, g.ref.Kind) {
			continue
		}
		ev = append(ev, Evidence{URN: g.obj.URN, Field: g.ref.String(), Value: "absent from the cluster",
			Source: FromLive, Object: g.ref.String(), Origin: string(inventory.Declared),
			Note: fmt.Sprintf("declared in the state but not in the live list of %s: deleted out of band; "+
				"the state's copy is not judged (`pulumi up` recreates it)", cmp.Or(s.inv.Server, "the cluster"))})
	}
	return ev
}

// liveSummary sums the inventory up for the reports.
func (s *state) liveSummary() *LiveSummary {
	inv := s.inv
	l := &LiveSummary{Server: inv.Server, Read: inv.Read.UTC(), Namespaces: slices.Clone(inv.Namespaces),
		Kinds: slices.Clone(inv.Kinds), Rules: slices.Clone(inv.Controllers),
		AllowRules: []AllowRule{broadGroupAllowance, delegatedBinding, bootstrapSuperuser}, Counts: map[string]int{}}
	for _, o := range []inventory.Origin{inventory.Declared, inventory.Owned, inventory.KnownController, inventory.Unmanaged} {
		l.Counts[string(o)] = 0
	}
	for i := range inv.Objects {
		lo := &inv.Objects[i]
		l.Counts[string(lo.Origin)]++
		if lo.IsUnmanaged() {
			l.Unmanaged = append(l.Unmanaged, LiveObject{Object: lo.Ref.String(), Kind: lo.Ref.Kind, Origin: originText(lo), Creator: lo.Provenance()})
		}
	}
	for _, g := range s.gone {
		l.Gone = append(l.Gone, g.ref.String())
	}
	return l
}
