package inventory

// API stubs agreed between the packages being written in parallel; the
// inventory's author replaces this file with the real implementation
// (client.go, list.go, classify.go, state.go, prune.go).

import (
	"context"
	"errors"

	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// State is what the stack's state declares: every Kubernetes object by
// Ref with its URN, and the namespaces the stack manages.
type State struct {
	Declared   map[Ref]string
	Namespaces []string
}

// FromDeployment reads the declared objects and managed namespaces from a
// stack's deployment (kubernetes resources not marked for deletion).
func FromDeployment(dep apitype.DeploymentV3) State { return State{} }

// Client talks to one cluster.
type Client struct {
	Config  *rest.Config
	Dynamic dynamic.Interface
	Kube    kubernetes.Interface
	// Host is the API server's address.
	Host string
}

// Connect builds a client from a kubeconfig file (empty: $KUBECONFIG, then
// ~/.kube/config) and context (empty: the current one).
func Connect(kubeconfig, context string) (*Client, error) { return nil, errors.New("todo") }

// DefaultControllers are the typed rules applied by default.
func DefaultControllers() []Controller { return nil }

// List reads every kind of inventorykinds.All that reaches into st's
// namespaces and classifies each object.
func List(ctx context.Context, c *Client, st State, rules []Controller) (*Inventory, error) {
	return nil, errors.New("todo")
}

// Delete deletes the objects (drift --prune), each guarded by its UID.
func Delete(ctx context.Context, c *Client, objs []Object) error { return errors.New("todo") }
