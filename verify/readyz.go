package verify

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/client-go/kubernetes"
)

// Readyz returns the API server's /readyz?verbose answer as it is (one
// "[+]check ok" line per health check, KMS providers included), read with
// the client's own credentials: evidence a client gets without access to
// the control-plane hosts. An unready server answers 503 with the same
// list, which is kept; an unreachable one gives the error.
func Readyz(ctx context.Context, kube kubernetes.Interface) string {
	rc := kube.Discovery().RESTClient()
	if rc == nil {
		return "error: the client has no REST client for /readyz"
	}
	body, err := rc.Get().AbsPath("/readyz").Param("verbose", "").DoRaw(ctx)
	text := strings.TrimSpace(string(body))
	if err != nil {
		if text != "" {
			return fmt.Sprintf("%s\n(error: %v)", text, err)
		}
		return "error: " + err.Error()
	}
	return text
}
