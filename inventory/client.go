package inventory

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Client talks to one cluster: the dynamic client lists and deletes
// inventorykinds.All, the typed one serves callers that need more (the
// API server's /readyz, for instance).
type Client struct {
	Config  *rest.Config
	Dynamic dynamic.Interface
	Kube    kubernetes.Interface
	// Host is the API server's address, as the kubeconfig names it.
	Host string
}

// Client-side rate limit. client-go's default (5 QPS, burst 10) would
// take ~20 s for ten namespaces × eleven kinds; the API server's priority
// and fairness still protects it.
const (
	clientQPS   = 50
	clientBurst = 100
)

// Connect builds a client from a kubeconfig file and context.
//
// kubeconfig empty: client-go's default loading rules, $KUBECONFIG (a
// path list, merged) then ~/.kube/config. context empty: the file's
// current-context. The files are only read: the legacy ~/.kube/.kubeconfig
// migration client-go would otherwise perform is switched off, since an
// auditor must not write to the machine it reads from.
func Connect(kubeconfig, context string) (*Client, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	rules.MigrationRules = nil
	rules.WarnIfAllMissing = false
	files := strings.Join(rules.GetLoadingPrecedence(), string(os.PathListSeparator))

	raw, err := rules.Load()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w; pass --kubeconfig with a readable kubeconfig of the cluster", files, err)
	}
	if len(raw.Contexts) == 0 {
		return nil, fmt.Errorf("kubeconfig %s: no context found (a missing file reads as empty); pass --kubeconfig or set KUBECONFIG to the cluster's kubeconfig", files)
	}
	name := context
	if name == "" {
		name = raw.CurrentContext
	}
	var known []string
	for n := range raw.Contexts {
		known = append(known, n)
	}
	slices.Sort(known)
	switch {
	case name == "":
		return nil, fmt.Errorf("kubeconfig %s: no current-context set; pass --context with one of: %s", files, strings.Join(known, ", "))
	case raw.Contexts[name] == nil:
		return nil, fmt.Errorf("kubeconfig %s: context %q not found; pass --context with one of: %s", files, name, strings.Join(known, ", "))
	}

	cfg, err := clientcmd.NewDefaultClientConfig(*raw, &clientcmd.ConfigOverrides{CurrentContext: name}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubeconfig %s, context %q: %w; fix the context's cluster and user entries", files, name, err)
	}
	return NewClient(cfg)
}

// NewClient builds a client from a rest config (an in-cluster config, a
// test's). A zero QPS/Burst is raised to the inventory's rate limit.
func NewClient(cfg *rest.Config) (*Client, error) {
	if cfg == nil {
		return nil, errors.New("inventory: nil rest config; build one with Connect")
	}
	cfg = rest.CopyConfig(cfg)
	if cfg.QPS == 0 {
		cfg.QPS = clientQPS
	}
	if cfg.Burst == 0 {
		cfg.Burst = clientBurst
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server %s: dynamic client: %w", cfg.Host, err)
	}
	kube, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server %s: client: %w", cfg.Host, err)
	}
	return &Client{Config: cfg, Dynamic: dyn, Kube: kube, Host: cfg.Host}, nil
}
