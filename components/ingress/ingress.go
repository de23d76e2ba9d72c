// Package ingress is Rampart's entry point: the Gateway API on Envoy Gateway
// (default), an external Gateway API implementation, or Ingress objects for
// an existing controller; the TLS floor, the HTTP → HTTPS redirect, HSTS and
// the STOA security hardening checklist's five security headers, and the ingress namespace's network
// policy.
package ingress

import (
	"encoding/json"
	"errors"
	"fmt"

	k8s "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes"
	"github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apiextensions"
	pmetav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/rampart-dev/rampart/helpers/hardening"
	"github.com/rampart-dev/rampart/helpers/kmeta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TypeToken is the component's Pulumi type.
const TypeToken = "rampart:ingress:Ingress"

// Ingress is the component.
type Ingress struct {
	pulumi.ResourceState
	// GatewayName is the Gateway's name ("" in ingress mode).
	GatewayName pulumi.StringOutput `pulumi:"gatewayName"`
	// Listeners are the Gateway's listener names: "http", then one HTTPS
	// listener per host.
	Listeners pulumi.StringArrayOutput `pulumi:"listeners"`
	// Hosts are the names served over HTTPS.
	Hosts pulumi.StringArrayOutput `pulumi:"hosts"`
}

// NewIngress renders the ingress for args' mode.
func NewIngress(ctx *pulumi.Context, name string, args *IngressArgs, opts ...pulumi.ResourceOption) (*Ingress, error) {
	if args == nil {
		return nil, fmt.Errorf("ingress %q: args are required", name)
	}
	a := args.WithDefaults()
	if err := errors.Join(a.Validate(""), a.Images.Err(Pins())); err != nil {
		return nil, fmt.Errorf("ingress %q: %w", name, err)
	}
	comp := &Ingress{}
	if err := ctx.RegisterComponentResource(TypeToken, name, comp, opts...); err != nil {
		return nil, fmt.Errorf("ingress %q: register: %w", name, err)
	}
	parent := pulumi.Parent(comp)
	var deps []pulumi.Resource
	if a.Mode == ModeGateway && a.Chart.Enabled {
		ch, err := newChart(ctx, name+"-envoy-gateway", a, parent)
		if err != nil {
			return nil, fmt.Errorf("ingress %q: %w", name, err)
		}
		deps = append(deps, ch)
	}
	if err := newNetworkPolicy(ctx, name+"-netpol", a, parent); err != nil {
		return nil, fmt.Errorf("ingress %q: %w", name, err)
	}
	listeners := []string{}
	gwName := ""
	if a.Mode == ModeIngress {
		if err := newIngresses(ctx, name, a, parent); err != nil {
			return nil, fmt.Errorf("ingress %q: %w", name, err)
		}
	} else {
		o := renderGateway(name, a)
		gwName = o.gateway.Name
		for _, l := range o.gateway.Spec.Listeners {
			listeners = append(listeners, string(l.Name))
		}
		after := pulumi.DependsOn(deps)
		if o.class != nil {
			cls, err := customResource(ctx, name+"-class", o.class, o.class.ObjectMeta, parent, after)
			if err != nil {
				return nil, fmt.Errorf("ingress %q: %w", name, err)
			}
			after = pulumi.DependsOn(append(deps, cls))
		}
		gw, err := customResource(ctx, name+"-gateway", o.gateway, o.gateway.ObjectMeta, parent, after)
		if err != nil {
			return nil, fmt.Errorf("ingress %q: %w", name, err)
		}
		onGW := pulumi.DependsOn([]pulumi.Resource{gw})
		if _, err := customResource(ctx, name+"-redirect", o.redirect, o.redirect.ObjectMeta, parent, onGW); err != nil {
			return nil, fmt.Errorf("ingress %q: %w", name, err)
		}
		for _, g := range o.grants {
			if _, err := customResource(ctx, name+"-grant-"+g.Name, g, g.ObjectMeta, parent); err != nil {
				return nil, fmt.Errorf("ingress %q: %w", name, err)
			}
		}
		for _, r := range o.routes {
			if _, err := customResource(ctx, name+"-route-"+r.Name, r, r.ObjectMeta, parent, onGW); err != nil {
				return nil, fmt.Errorf("ingress %q: %w", name, err)
			}
		}
		if o.policy != nil {
			if _, err := customResource(ctx, name+"-tls-floor", o.policy, o.policy.ObjectMeta, parent, onGW); err != nil {
				return nil, fmt.Errorf("ingress %q: %w", name, err)
			}
		}
	}
	comp.GatewayName = pulumi.String(gwName).ToStringOutput()
	comp.Listeners = pulumi.ToStringArray(listeners).ToStringArrayOutput()
	comp.Hosts = pulumi.ToStringArray(a.ListenerHosts()).ToStringArrayOutput()
	if err := ctx.RegisterResourceOutputs(comp, pulumi.Map{
		"gatewayName": comp.GatewayName, "listeners": comp.Listeners, "hosts": comp.Hosts,
	}); err != nil {
		return nil, fmt.Errorf("ingress %q: register outputs: %w", name, err)
	}
	return comp, nil
}

// customResource registers a typed upstream object (Gateway API, Envoy
// Gateway) as a CustomResource: the struct marshalled to a map, so the
// fields and their spelling are the upstream types', never a free-form map.
func customResource(ctx *pulumi.Context, name string, obj any, meta metav1.ObjectMeta, opts ...pulumi.ResourceOption) (*apiextensions.CustomResource, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshal %s: %w", name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("unmarshal %s: %w", name, err)
	}
	apiVersion, _ := m["apiVersion"].(string)
	kind, _ := m["kind"].(string)
	for _, k := range []string{"apiVersion", "kind", "metadata", "status"} {
		delete(m, k)
	}
	// patchForce: Rampart's declared values win over an out-of-band field
	// manager's, so `up` restores a drifted object instead of failing on the
	// server-side apply conflict.
	ann := hardening.ManagedAnnotations()
	for k, v := range meta.Annotations {
		ann[k] = v
	}
	md := &pmetav1.ObjectMetaArgs{Name: pulumi.String(meta.Name), Labels: pulumi.ToStringMap(kmeta.Labels(meta.Labels)), Annotations: pulumi.ToStringMap(ann)}
	if meta.Namespace != "" {
		md.Namespace = pulumi.String(meta.Namespace)
	}
	cr, err := apiextensions.NewCustomResource(ctx, name, &apiextensions.CustomResourceArgs{
		ApiVersion: pulumi.String(apiVersion), Kind: pulumi.String(kind), Metadata: md,
		OtherFields: k8s.UntypedArgs(m),
	}, opts...)
	if err != nil {
		return nil, fmt.Errorf("create %s %s: %w", kind, meta.Name, err)
	}
	return cr, nil
}
