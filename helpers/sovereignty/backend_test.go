package sovereignty_test

import (
	"testing"

	"github.com/rampart-dev/rampart/helpers/sovereignty"
)

// TestBackend_TheServiceEachBackendReaches: the host judged is the service
// the state goes to, and no query (where credentials can sit) is kept.
func TestBackend_TheServiceEachBackendReaches(t *testing.T) {
	for _, tc := range []struct{ url, endpoint string }{
		{"https://api.pulumi.com", "https://api.pulumi.com"},
		{"s3://state-bucket?region=eu-west-2&awssdk=v2", "https://s3.eu-west-2.amazonaws.com/state-bucket"},
		{"s3://state-bucket", "https://s3.amazonaws.com/state-bucket"},
		{"s3://state?endpoint=objects.sovereign.example.gov.uk:9000&s3ForcePathStyle=true", "https://objects.sovereign.example.gov.uk:9000/state"},
		{"s3://state?endpoint=HTTPS://Objects.example.us/minio", "https://Objects.example.us/state"},
		{"azblob://state?storage_account=acct", "https://acct.blob.core.windows.net/state"},
		{"gs://state/prefix", "https://storage.googleapis.com/state/prefix"},
		{"https://pulumi.internal.example.org/api?token=do-not-keep", "https://pulumi.internal.example.org/api"},
	} {
		d, ok := sovereignty.Backend(tc.url)
		if !ok || d.Endpoint != tc.endpoint || d.Role != sovereignty.BackendRole || d.Key != sovereignty.BackendKey {
			t.Errorf("Backend(%q) = %+v, %v; want endpoint %s", tc.url, d, ok, tc.endpoint)
		}
	}
	for _, local := range []string{"file:///root/.cache/rampart/state", "file://~", ""} {
		if d, ok := sovereignty.Backend(local); ok {
			t.Errorf("Backend(%q) = %+v: state on this machine is no external endpoint", local, d)
		}
	}
	// Judged like any endpoint: the table knows Pulumi Cloud.
	p := sovereignty.Policy{AllowedJurisdictions: []sovereignty.Jurisdiction{"GB"}}
	d, _ := sovereignty.Backend("https://api.pulumi.com")
	f := p.Assess([]sovereignty.Dependency{d})
	if len(f) != 1 || f[0].Jurisdiction != "US" || f[0].OK(p) {
		t.Errorf("Pulumi Cloud under [GB]: %+v", f)
	}
}
