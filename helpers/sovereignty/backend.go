package sovereignty

import (
	"net/url"
	"strings"
)

// BackendRole is the Role of the state backend's dependency. The backend
// is where Pulumi keeps the stack's state (every resource's inputs and
// outputs, secrets encrypted): it is chosen by `pulumi login` or
// PULUMI_BACKEND_URL, not by the stack config, so it has no config key.
const BackendRole = "state backend"

// BackendKey stands for the config key in the backend's findings.
const BackendKey = "state backend (pulumi login / PULUMI_BACKEND_URL)"

// Backend is the dependency on the state backend at u, as `pulumi whoami
// --verbose` reports it; false for state on this machine (file://). The
// endpoint is the service the backend reaches, as a URL without the query
// (which can hold credentials): an object store without an endpoint of
// its own is its cloud's public service (s3: s3.<region>.amazonaws.com or
// s3.amazonaws.com; azblob: <storage_account>.blob.core.windows.net; gs:
// storage.googleapis.com).
func Backend(u string) (Dependency, bool) {
	p, err := url.Parse(strings.TrimSpace(u))
	if err != nil || p.Scheme == "" || p.Scheme == "file" {
		return Dependency{}, false
	}
	q := p.Query()
	reached := url.URL{Scheme: "https", Host: p.Host, Path: p.Path}
	switch p.Scheme {
	case "s3":
		reached.Host, reached.Path = "s3.amazonaws.com", "/"+p.Host+p.Path
		if r := q.Get("region"); r != "" {
			reached.Host = "s3." + r + ".amazonaws.com"
		}
		if e := q.Get("endpoint"); e != "" {
			reached.Host = endpointHost(e)
		}
	case "azblob":
		reached.Host, reached.Path = "blob.core.windows.net", "/"+p.Host+p.Path
		if a := q.Get("storage_account"); a != "" {
			reached.Host = a + "." + reached.Host
		}
	case "gs":
		reached.Host, reached.Path = "storage.googleapis.com", "/"+p.Host+p.Path
	}
	return Dependency{Key: BackendKey, Endpoint: reached.String(), Role: BackendRole}, true
}

// endpointHost is the host[:port] of an s3 endpoint parameter, written with
// or without a scheme ("objects.example.org:9000",
// "HTTPS://objects.example.org/minio"); "" when it has none, which
// Backend's callers refuse rather than skip.
func endpointHost(e string) string {
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil {
		return ""
	}
	return u.Host
}
